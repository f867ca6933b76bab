"""Read a transcript file of any supported format into turns (interviews/readers does the formats), and write WebVTT.

Bytes are decoded with winloss.decoding (BOM, UTF-16, legacy code pages, said in a warning); a .docx is unpacked
to its paragraphs; the reader is chosen from the content (readers.choose). Every problem is a TranscriptError whose
message says what is wrong with the file; the pipeline adds which interviews use it.
"""
from __future__ import annotations

import html
from pathlib import Path

from winloss.decoding import NotText, decode_bytes
from winloss.interviews.readers import SUFFIXES, ReaderError, choose
from winloss.interviews.readers.docx import docx_text, is_docx
from winloss.models import Transcript, Turn

SUPPORTED = ", ".join(SUFFIXES)
_MAGIC = ((b"%PDF", "a PDF document"), (b"\xd0\xcf\x11\xe0", "a legacy Word .doc or other OLE file"),
          (b"PK\x03\x04", "a ZIP archive"), (b"{\\rtf", "an RTF document"), (b"ID3", "MP3 audio"),
          (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"RIFF", "a RIFF (WAV/AVI) file"))


class TranscriptError(Exception):
    pass


def _unsupported(data: bytes, path: Path) -> TranscriptError:
    kind = next((name for magic, name in _MAGIC if data.startswith(magic)), "binary data, not text")
    return TranscriptError(f"unsupported format: {path.name} is {kind}; supported: {SUPPORTED} "
                           "(export the transcript as one of these)")


def _decode(data: bytes, path: Path) -> tuple[str, str, list[str]]:
    """(text, container, warnings): the text to read and what it came in."""
    if is_docx(data):
        try:
            return docx_text(data), "docx", []
        except ReaderError as exc:
            raise TranscriptError(str(exc)) from exc
    if path.suffix.lower() == ".docx":
        raise _unsupported(data, path)  # named .docx but not one (a PDF saved with the wrong name)
    try:
        decoded = decode_bytes(data)
    except NotText:
        raise _unsupported(data, path) from None
    warnings = [] if decoded.is_unicode else [
        (f"{path.name} is not Unicode: decoded as {decoded.encoding} (a guess from its bytes); if accents or quote "
         "marks look wrong in its quotes, save it as UTF-8")]
    return decoded.text, "", warnings


def parse_transcript(path: Path) -> Transcript:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TranscriptError(f"cannot read: {exc.strerror}") from exc
    text, container, warnings = _decode(data, path)
    if not text.strip():
        raise TranscriptError("empty transcript")
    reader = choose(text, "" if container else path.suffix)
    try:
        turns = reader.read(text)
    except ReaderError as exc:
        raise TranscriptError(f"{reader.name}: {exc}") from exc
    if not turns:
        raise TranscriptError(f"no speech found in this {reader.name} transcript")
    fmt = f"{container}/{reader.name}" if container else reader.name
    return Transcript(turns=turns, source=path, format=fmt, warnings=warnings)


def _stamp(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def write_vtt(turns: list[Turn], path: Path) -> None:
    """One cue per turn, `<v Speaker>` voice tags: the format parse_vtt reads back."""
    lines = ["WEBVTT", ""]
    for turn in turns:
        start = turn.start or 0.0
        end = turn.end if turn.end is not None else start
        lines += [f"{_stamp(start)} --> {_stamp(end)}", f"<v {turn.speaker}>{html.escape(turn.text, quote=False)}", ""]
    Path(path).write_text("\n".join(lines), encoding="utf-8")
