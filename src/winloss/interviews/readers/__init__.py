"""The transcript readers, one per format family, and how a file's reader is chosen: from its content first.

Every reader is a pure function text -> list[Turn] with a `sniff` that scores (0..1) how likely the text is its
format; the file's extension only breaks near-ties, so a Zoom .txt that is really WebVTT still reads as WebVTT.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from winloss.interviews.readers import captions, json_styles, markdown, tables, text
from winloss.interviews.readers.common import ReaderError
from winloss.models import Turn


@dataclass(frozen=True)
class Reader:
    name: str  # what Transcript.format says
    read: Callable[[str], list[Turn]]
    sniff: Callable[[str], float]
    suffixes: tuple[str, ...]


READERS = (
    Reader("vtt", captions.read_vtt, captions.sniff_vtt, (".vtt",)),
    Reader("srt", captions.read_srt, captions.sniff_srt, (".srt", ".sbv")),
    Reader("json", json_styles.read_json, json_styles.sniff_json, (".json",)),
    Reader("table", tables.read_table, tables.sniff_table, (".csv", ".tsv", ".tab")),
    Reader("markdown", markdown.read_markdown, markdown.sniff_markdown, (".md", ".markdown")),
    Reader("txt", text.read_text, text.sniff_text, (".txt", ".text", ".md")),
)
SUFFIXES = tuple(sorted({s for r in READERS for s in r.suffixes} | {".docx"}))
_SUFFIX_BONUS = 0.05
_CONFIDENT = 0.5  # below this only the speakerless plain-text fallback recognised the content


def choose(content: str, suffix: str) -> Reader:
    """The reader whose sniff scores the content highest; the extension adds a little, and decides when no reader
    is confident; the order breaks ties."""
    suffix = suffix.lower()
    scored = [(r.sniff(content) + (_SUFFIX_BONUS if suffix in r.suffixes else 0.0), -i, r)
              for i, r in enumerate(READERS)]
    score, _, best = max(scored, key=lambda s: (s[0], s[1]))
    owner = next((r for r in READERS if suffix in r.suffixes), None)
    if score < _CONFIDENT and owner is not None:
        return owner  # only the catch-all text reader took it: the extension's reader says what is wrong
    return best


__all__ = ["READERS", "SUFFIXES", "Reader", "ReaderError", "choose"]
