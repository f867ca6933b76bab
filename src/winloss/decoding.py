"""Text files as users save them: UTF-8 with or without BOM, UTF-16 (Excel's "Unicode text", Teams exports) and the
legacy single-byte encodings of Word and Notepad. One function for every text input winloss reads (transcripts,
interviews.csv, CRM exports), so they all decode alike and say which encoding they used.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
# Control characters that never occur in text a person saved (tab, newlines and form feed do).
_BINARY_BYTES = set(range(0, 9)) | {11} | set(range(14, 32)) - {27}


class NotText(ValueError):
    """The bytes are no text in any encoding winloss knows: a binary file (PDF, image, archive ...)."""


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # the codec used: "utf-8", "utf-8-sig", "utf-16", "cp1252", ...

    @property
    def is_unicode(self) -> bool:
        """False for a legacy single-byte guess, which the caller should warn about: a guess can be wrong."""
        return self.encoding.startswith("utf")


def decode_bytes(data: bytes) -> Decoded:
    """Decode `data`; raises NotText when it is not text."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return Decoded(data.decode(codec), codec)
    utf16 = _utf16_without_bom(data)
    if utf16:
        return Decoded(data.decode(utf16), utf16)
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    if _looks_binary(data):
        raise NotText("binary data, not text")
    return Decoded(*_legacy(data))


def read_text(path: Path) -> Decoded:
    return decode_bytes(Path(path).read_bytes())


def _utf16_without_bom(data: bytes) -> str:
    """UTF-16 saved without a BOM: mostly ASCII text leaves a NUL in every other byte."""
    sample = data[:4000]
    if len(sample) < 4:
        return ""
    even, odd = sample[0::2], sample[1::2]
    for zeros, codec in ((odd, "utf-16-le"), (even, "utf-16-be")):
        if zeros.count(0) > 0.4 * len(zeros):
            try:
                data.decode(codec)
            except UnicodeDecodeError:
                return ""
            return codec
    return ""


def _looks_binary(data: bytes) -> bool:
    sample = data[:8000]
    return bool(sample) and sum(b in _BINARY_BYTES for b in sample) > 0.01 * len(sample)


def _legacy(data: bytes) -> tuple[str, str]:
    """Not UTF-8: Windows-1252 when it decodes (what Word and Notepad write in most of the West), else the best
    guess of charset-normalizer (Cyrillic, Central European, Asian code pages ...)."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = ""
    if text and not _mostly_symbols(text):
        return text, "cp1252"
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise NotText("no text encoding fits these bytes")
    return str(best), best.encoding


def _mostly_symbols(text: str) -> bool:
    """cp1252 decodes almost any byte; text in another code page comes out as a run of accented symbols."""
    high = [c for c in text if ord(c) > 127]
    letters = sum(c.isalpha() for c in text)
    return len(high) > 0.3 * max(letters, 1)
