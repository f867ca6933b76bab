"""Markdown transcripts: `**Name** [0:00] text`, `**Name:** text`, `### Name (00:01)` or `### Name` headings,
and Fathom's `[@0:04](https://fathom.video/...) \\- **Name**` line followed by the paragraph.

The markup of a line's head is taken off (links keep their words, `\\-` escapes are undone, `@0:04` is a time), then
the lines read as a text transcript; markup inside speech is removed by common.clean.
"""
from __future__ import annotations

import re

from winloss.interviews.readers.common import TIME, clean
from winloss.interviews.readers.text import body_lines, read_lines
from winloss.models import Turn

_HEADING_OR_BULLET = re.compile(r"^(?:#{1,6}\s+|[-*+]\s+(?=\*\*|\[))")
_FATHOM = re.compile(rf"^\[@?{TIME}\]\([^)]*\)", re.MULTILINE)
_BOLD_HEAD = re.compile(r"^(?:#{1,6}\s+|[-*+]\s+)?\*\*[^*\n]{1,60}\*\*", re.MULTILINE)


# a heading's attribute block, as Google Docs' markdown export writes its section times: `### 00:00:00 {#00:00:00}`
_ATTRIBUTES = re.compile(r"\s*\{#[^}\n]*\}\s*$")


_RULE = re.compile(r"^(?:-{3,}|\*{3,}|_{3,}|(?:[-*_]\s+){2,}[-*_])\s*$")


def _unmark(line: str) -> str:
    if line.startswith("#"):
        line = _ATTRIBUTES.sub("", line)
    line = _HEADING_OR_BULLET.sub("", line)
    return clean(line)


def read_markdown(text: str) -> list[Turn]:
    lines: list[str] = []
    headings: set[int] = set()
    breaks: set[int] = set()
    for line in body_lines(text):
        if _RULE.match(line.strip()):
            breaks.add(len(lines))  # the line after a horizontal rule
            continue
        unmarked = _unmark(line)
        if unmarked:
            if line.startswith("#"):
                headings.add(len(lines))  # a speaker's heading, or a section's title: never speech
            lines.append(unmarked)
    return read_lines(lines, frozenset(headings), frozenset(breaks))


# `### Interviewer (00:03)` / `## Dana Whitfield - 00:01:02`, the speech on the lines below
_HEADING_TURN = re.compile(rf"^#{{1,6}}\s+[^\n#]{{1,60}}?\s*[-–—|]?\s*[\[(]?{TIME}[\])]?\s*$", re.MULTILINE)
_HEADING = re.compile(r"^#{1,6}\s+\S", re.MULTILINE)


def sniff_markdown(text: str) -> float:
    """Markdown whatever the file's extension: a .txt of `### Name (00:03)` headings is markdown, and a text
    transcript with headings reads as one too (the markdown reader is the text reader with the markup taken off)."""
    head = text[:20000]
    if _FATHOM.search(head):
        return 0.9
    if len(_BOLD_HEAD.findall(head)) >= 2 or len(_HEADING_TURN.findall(head)) >= 2:
        return 0.8
    return 0.6 if len(_HEADING.findall(head)) >= 2 else 0.0
