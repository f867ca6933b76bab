"""Plain-text transcripts, in the styles meeting tools write:

- `Name: text` (Zoom chat-style, Notepad), optionally `[00:01:02] Name: text`
- Otter: `Name  0:03` on its own line, then the paragraph; Zoom's saved captions: `[Name] 00:01:02`, then the text
- Rev: `Speaker 1 (00:01):` then the paragraph, or `Name: (00:01) text`
- Google Meet / Gemini: a title and date header, `00:05:00` section lines, `Name: text`, the "Transcription ended
  after ..." footer
- whisper / whisperX `.txt`: lines of speech without speakers (or `[SPEAKER_00]: text`), and whisper's console form
  `[00:00.000 --> 00:04.000] text`

A line opens a turn only when its label is one the file repeats (common.learn_labels); any other line continues the
turn above, so `Price: they were 20% cheaper.` stays speech. Lines before the first turn are a header, and so is a
block of `Key: value` lines at the top that names the interview (`Date:`, `Company:`, `Interviewer: Jordan`), even
where a key is also a speaker. A page's furniture (`Page 3 of 12`, `Confidential`) and a section title between two
turns (`Section 2: Pricing`), as PDF and Word exports leave them, are not speech. A stamp inside a turn (a
paragraph's `[00:08:12]`, a mid-line `(00:07:50):`) starts a new cue of the same speaker at that time.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from winloss.interviews.readers.common import (
    TIME,
    UNKNOWN_SPEAKER,
    Cue,
    ReaderError,
    clean,
    fill_ends,
    from_clock,
    join,
    learn_labels,
    plausible_label,
    seconds,
)
from winloss.models import Turn

_TS = rf"[\[(]?@?(?P<ts>{TIME})[\])]?"
_RANGE = re.compile(rf"^\[({TIME})\s*-->\s*({TIME})\]\s*(.*)$")
_STAMP_ONLY = re.compile(rf"^{_TS}$")
_LEADING_STAMP = re.compile(rf"^{_TS}\s*[-–—|]?\s+(?P<rest>.*)$")
# Name: text / Name (00:01): text / Name: (00:01) text / [SPEAKER_00]: text / [Name] [00:01.000 --> 00:03.500]: text
_INLINE = re.compile(rf"^\[?(?P<label>[^:：\n]{{1,60}}?)\]?\s*(?:[\[(](?P<ts>{TIME})(?:\s*-->\s*(?P<te>{TIME}))?[\])])?"
                     rf"\s*[:：](?:\s+|$)"
                     rf"(?:[\[(](?P<ts2>{TIME})[\])]\s*)?(?P<rest>.*)$")
# Name [0:00] text (markdown exports write no colon)
_STAMPED_NAME = re.compile(rf"^(?P<label>[^\[(:\n]{{1,60}}?(?:\s*\([^)\n]{{1,30}}\))?)\s+[\[(](?P<ts>{TIME})[\])]\s*(?P<rest>.*)$")
# Otter's `Name  0:03`, `Name - 00:01:02`, Zoom's saved captions `[Name] 00:01:02`; Fathom's (after markdown)
# `0:04 - Name`
_NAME_THEN_STAMP = re.compile(rf"^\[?(?P<label>[^\n]{{1,60}}?)\]?\s*[-–—|]?\s+{_TS}$")
_STAMP_THEN_NAME = re.compile(rf"^{_TS}\s*[-–—|]\s*(?P<label>[^\n]{{1,60}}?)$")
# Meet's footer, also as a markdown heading (`### Transcription ended after 00:49:58`) in Gemini's exports, and
# Otter's closing `Transcribed by https://otter.ai` line
_FOOTER = re.compile(r"^[#*_\s]*(?:transcription ended after\b|this editable transcript was computer generated|"
                     r"transcribed by https?://otter\.ai)", re.IGNORECASE)


@dataclass
class _Line:
    label: str | None  # a candidate speaker label; it opens a turn only if the file repeats it
    rest: str  # the speech after the label
    start: float | None
    end: float | None
    plain: str  # the line as speech when the label is not one: only a leading timestamp removed
    stamp_only: bool = False
    heading: bool = False  # a whole line of name and time (Otter, Teams .docx), the speech on the lines below
    bare: bool = False  # a markdown heading that is only a name (`### Dana Whitfield`): a label only if repeated


def _strip_stamp(line: str) -> tuple[float | None, float | None, str]:
    m = _RANGE.match(line)
    if m:
        return seconds(m.group(1)), seconds(m.group(2)), m.group(3)
    m = _LEADING_STAMP.match(line)
    if m:
        return seconds(m.group("ts")), None, m.group("rest")
    return None, None, line


def _parse_line(line: str) -> _Line:
    m = _STAMP_ONLY.match(line)
    if m:
        return _Line(None, "", seconds(m.group("ts")), None, "", stamp_only=True)
    m = _STAMP_THEN_NAME.match(line)
    if m:
        return _Line(m.group("label").strip(), "", seconds(m.group("ts")), None, line, heading=True)
    start, end, body = _strip_stamp(line)
    for pattern in (_INLINE, _STAMPED_NAME, _NAME_THEN_STAMP):
        m = pattern.match(body)
        if m:
            found = m.groupdict()
            ts = found.get("ts") or found.get("ts2")
            te = found.get("te")
            return _Line(m.group("label").strip(), found.get("rest") or "",
                         start if start is not None else (seconds(ts) if ts else None),
                         end if end is not None else (seconds(te) if te else None), body,
                         heading=pattern is _NAME_THEN_STAMP)
    return _Line(None, body, start, end, body)


# Gemini's "Notes + Transcript" document (and Otter's markdown with its AI summary) puts the notes first and the
# speech under a heading of its own, `# 📖 Transcript`: the notes' bullets ("**Spam Vault Filtering**: Marius
# specified ...") are a summary of what was said, never speech.
_TRANSCRIPT_HEADING = re.compile(r"^[#*_\s]*(?:[^\w\s]+\s*)?transcript[*_\s]*$", re.IGNORECASE)


# What a PDF or Word export repeats on every page: "Page 3 of 12", "Acme Corp | Confidential | Page 2", "- 4 -",
# "3/12", "Confidential". A bare number stays: it can be an answer.
_PAGE_FURNITURE = re.compile(
    r"^[#*_\s]*(?:(?:[^\n]{0,60}?\s[|–—-]\s*)?(?:page|pg\.?)\s*\d+(?:\s*(?:of|/)\s*\d+)?|\d{1,3}\s*(?:of|/)\s*\d{1,3}|"
    r"-\s*\d{1,3}\s*-|(?:strictly\s+|company\s+|highly\s+)?confidential(?:\s*[|–—-]\s*[^\n]{0,60})?)[*_\s]*$",
    re.IGNORECASE)


def body_lines(text: str) -> list[str]:
    lines = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = line.strip().lstrip("\ufeff")
        if _FOOTER.match(line):
            break  # Meet's footer: nothing after it is speech
        if _TRANSCRIPT_HEADING.match(line):
            lines = []  # everything above was notes
            continue
        if line and not _PAGE_FURNITURE.match(line):
            lines.append(line)
    return lines


def read_lines(lines: list[str], headings: frozenset[int] = frozenset(), breaks: frozenset[int] = frozenset()
               ) -> list[Turn]:
    """Turns from the stripped, non-empty lines of a text transcript (also what .docx and markdown come to);
    `headings` are the indexes of lines that were markdown headings: a speaker's name, or a section title; `breaks`
    the indexes of lines that follow a horizontal rule.

    After a rule or a section heading ("## Next Steps", "---" then "**Call Notes:**") the speech has ended: nothing
    is a turn again until a speaker of the conversation speaks (one already heard, or a label the file repeats, as
    in exports that rule off every turn), so a write-up's notes, next steps and summaries below it never count as
    the last speaker's words."""
    parsed = [_bare_heading(_parse_line(line)) if i in headings else _parse_line(line)
              for i, line in enumerate(lines)]
    skip = _header_end(parsed)
    parsed = parsed[skip:]
    headings = frozenset(i - skip for i in headings)
    breaks = frozenset(i - skip for i in breaks)
    labels = _labels(parsed)
    if not labels:
        return _speakerless(parsed)
    cues: list[list] = []
    section: float | None = None  # Meet's `00:05:00` lines stamp the turns that follow
    closed = False  # after a rule or a section heading: only a speaker of the conversation reopens it
    speaks = Counter(p.label for p in parsed if p.label in labels)
    for i, p in enumerate(parsed):
        if i in breaks and cues:
            closed = True
        if p.stamp_only:
            section = p.start
            continue
        if p.label in labels and (not closed or speaks[p.label] > 1 or any(c[0] == p.label for c in cues)):
            closed = False
            start = p.start if p.start is not None else section
            cues.append([p.label, clean(p.rest), start, p.end])
        elif closed:
            continue
        elif not cues or i in headings or _section_title(parsed, i, labels, cues):
            closed = closed or (bool(cues) and i in headings)
            continue  # a header line before the first turn (title, date, attendees), or a section's title
        elif p.start is not None and cues[-1][1]:
            cues.append([cues[-1][0], clean(p.plain), p.start, p.end])  # a paragraph of the turn, stamped
        else:
            cues[-1][1] = f"{cues[-1][1]} {clean(p.plain)}".strip()
    return join(fill_ends(from_clock([c for cue in cues for c in _split_at_stamps(*cue)])))


# a stamp inside speech, as transcribers mark a long turn's paragraphs: `... twice. (00:07:50): And then ...`
_INNER_STAMP = re.compile(rf"\s*[\[(](?P<ts>{TIME})[\])]\s*:?\s*")


def _split_at_stamps(speaker: str, text: str, start: float | None, end: float | None) -> list[Cue]:
    cues, pos, at = [], 0, start
    for m in _INNER_STAMP.finditer(text):
        cues.append(Cue(speaker, text[pos:m.start()].strip(), at, None))
        at, pos = seconds(m.group("ts")), m.end()
    cues.append(Cue(speaker, text[pos:].strip(), at, end))
    return [c for c in cues if c.text] or cues[-1:]


# The keys of a header that names the interview, as a PDF, Word or markdown write-up opens: `**Date:** 2024-03-12`
_METADATA_KEY = re.compile(
    r"(?:interview\s+|call\s+|meeting\s+)?(?:date|time|duration|length|company|account|customer|client|"
    r"organi[sz]ation|participants?|attendees|present|location|title|subject|topic|recorded(?:\s+on)?|recording|"
    r"outcome|result|segment|industry|region|deal(?:\s+\w+)?|plan|tier|arr|acv|source|language|id|type|study|"
    r"project|interviewed\s+by|conducted\s+by|transcribed\s+by|notes?)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.?!…]['\"”’)]*$")


def _header_end(parsed: list[_Line]) -> int:
    """Where the speech starts after a header block of `Key: value` lines (distinct keys, short values, one of
    them a key such as Date or Company); 0 when the file opens with no such block. Its `Interviewer: Jordan (PMM)`
    line names a speaker, it is not a turn."""
    i = 0
    while i < len(parsed) and parsed[i].label is None and not parsed[i].stamp_only:
        i += 1  # a title above the block
    seen: set[str] = set()
    metadata = False
    while i < len(parsed):
        p = parsed[i]
        key = (p.label or "").strip()
        if not key or p.heading or key.casefold() in seen or _SENTENCE_END.search(p.rest) or len(p.rest.split()) > 14:
            break
        seen.add(key.casefold())
        metadata = metadata or bool(_METADATA_KEY.fullmatch(key))
        i += 1
    return i if metadata else 0


_TITLE_SMALL_WORDS = frozenset("a an and of the to for in on with vs vs. & or at by".split())


def _section_title(parsed: list[_Line], i: int, labels: set[str], cues: list[list]) -> bool:
    """A short Title Case line without a sentence's end, between the speech of one turn and the next turn's label:
    a write-up's section title ("Section 2: Pricing and Packaging"), not the end of the turn above."""
    words = parsed[i].plain.split()
    if not 2 <= len(words) <= 8 or not cues[-1][1] or _SENTENCE_END.search(parsed[i].plain) \
            or parsed[i].plain[-1] in ",;":
        return False
    nxt = parsed[i + 1] if i + 1 < len(parsed) else None
    if nxt is None or nxt.label not in labels:
        return False
    capitalised = [w for w in words if w[:1].isalpha() and w.casefold() not in _TITLE_SMALL_WORDS]
    return bool(capitalised) and all(w[:1].isupper() for w in capitalised)


def _bare_heading(p: _Line) -> _Line:
    if p.label is None and not p.stamp_only and plausible_label(p.plain):
        return _Line(p.plain, "", None, None, p.plain, heading=True, bare=True)
    return p


def _labels(parsed: list[_Line]) -> set[str]:
    """The file's repeated labels; in a file laid out as name-and-time headings (Otter), every such heading is one,
    so a guest who speaks once is not folded into the turn above."""
    found = [p.label for p in parsed if p.label]
    labels = learn_labels(found, sum(not p.stamp_only for p in parsed))
    if sum(p.heading and not p.bare and p.label in labels for p in parsed) >= 2:
        labels |= {p.label for p in parsed if p.heading and not p.bare and plausible_label(p.label)}
    # a heading that is only a name-shaped phrase, once ("## Next Steps"): a section's title, not a speaker
    once = Counter(found)
    return {label for label in labels if once[label] > 1 or not any(p.bare and p.label == label for p in parsed)}


def _speakerless(parsed: list[_Line]) -> list[Turn]:
    cues = [Cue(UNKNOWN_SPEAKER, clean(p.plain), p.start, p.end) for p in parsed if not p.stamp_only]
    return join(fill_ends(from_clock(cues)))


def read_text(text: str) -> list[Turn]:
    lines = body_lines(text)
    if not lines:
        raise ReaderError("no text lines")
    return read_lines(lines)


def sniff_text(text: str) -> float:
    """Any text could be a plain transcript: a low score that other readers beat, higher when labels repeat."""
    head = body_lines(text[:20000])[:200]
    if not head:
        return 0.0
    return 0.5 if _labels([_parse_line(line) for line in head]) else 0.2
