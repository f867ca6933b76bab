"""Caption files: WebVTT (Zoom, Teams, Meet, whisper), SubRip SRT (Otter, Rev, Descript, whisper) and YouTube's
SubViewer `.sbv` (`0:00:04.160,0:00:08.320` timing lines, read like SRT).

Who speaks comes from a voice tag (`<v Dana Ruiz>`, Teams closes it with `</v>`), a `Name: text` payload (Zoom,
Otter) or whisperX's `[SPEAKER_00]: text`; a cue without one continues the speaker before it. Cue ids (numbers,
Teams' GUIDs), NOTE/STYLE/REGION blocks, cue settings and the captioner's `>>` speaker-change mark are not speech;
Google Meet's caption files name the speaker on a `(Name)` line and may hold two speakers in one cue; Teams' old
transcripts put the name alone on the cue's first line, and copied out of Word have no blank lines between cues.
"""
from __future__ import annotations

import html
import re

from winloss.interviews.readers.common import (
    ANNOTATION,
    CUE_TIME,
    TIME,
    UNKNOWN_SPEAKER,
    Cue,
    ReaderError,
    clean,
    from_clock,
    join,
    learn_labels,
    plausible_label,
    seconds,
)
from winloss.models import Turn

# `start --> end` (WebVTT, SRT), or a line of just `start,end` (SBV)
_TIMING = re.compile(rf"^\s*({CUE_TIME})\s*(?:-->|,(?=\s*{TIME}\s*$))\s*({CUE_TIME})")
_ANY_TIMING = re.compile(rf"^\s*{CUE_TIME}\s*(?:-->|,(?=\s*{TIME}\s*$))\s*{CUE_TIME}", re.MULTILINE)
_CUE_ID = re.compile(r"^\s*\d+\s*$")
# The captioner's speaker-change marks: `>>` (broadcast captions) and a leading `- ` (YouTube's and Netflix's
# style: "- Hi, everyone."); who speaks next is not said, so only the mark goes.
_CHANGE_MARK = re.compile(r"^\s*(?:>>|-(?=\s+\S))\s*")
# Google Meet's caption files: `(Name)` on its own line opens that speaker's caption; a `-` line, then a line of
# blanks, separates two speakers' captions within one cue.
_PAREN_NAME = re.compile(r"^\s*\(([^()\n]{1,60})\)\s*$")
_MEET_SEPARATOR = re.compile(r"\n-[ \t]*\n[ \t]*\n(?=[ \t]*\()")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)*\s+([^>]+)>", re.IGNORECASE)
_PREFIX = re.compile(r"^\s*\[?([^:\]\n]{1,60}?)\]?\s*:\s+(\S.*)$")


def _blocks(text: str) -> list[list[str]]:
    text = _MEET_SEPARATOR.sub("\n-\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    return [b.splitlines() for b in re.split(r"\n\s*\n", text) if b.strip()]


def _timed_blocks(text: str, strict: bool) -> list[tuple[float, float, list[str]]]:
    """(start, end, payload lines) of each cue. A block with no timing line is skipped (WebVTT's header, NOTE,
    STYLE, REGION) or, when strict (SRT), continues the cue before it; an SRT file that opens with one is refused."""
    out: list[tuple[float, float, list[str]]] = []
    for lines in _blocks(text):
        if not any(_TIMING.match(line) for line in lines):
            if strict and not out:
                raise ReaderError(f"not SRT: block without a timing line: {lines[0][:60]!r}")
            if strict:
                # a cue of several paragraphs (a blank line inside its text, as chat-bot and podcast tools write
                # them): the paragraphs after the first are still that cue's speech
                out[-1][2].extend(lines)
            continue
        opened = False
        for line in lines:
            m = _TIMING.match(line)
            if m:
                # A timing line inside a block opens a cue too: Teams' text copied out of Word has no blank lines.
                if opened and out[-1][2] and _CUE_ID.match(out[-1][2][-1]):
                    out[-1][2].pop()  # the next cue's number, not speech
                out.append((seconds(m.group(1)), seconds(m.group(2)), []))
                opened = True
            elif opened:
                out[-1][2].append(line)
    return out


def _name_lines(blocks: list[tuple[float, float, list[str]]]) -> set[str]:
    """Teams' old transcripts (and Microsoft Graph's) put the speaker's name alone on the first line of each cue:
    names the file repeats there, when nearly every cue of two or more lines opens with one."""
    firsts = [lines[0].strip() for _, _, lines in blocks
              if len(lines) >= 2 and not _VOICE.search(lines[0]) and not _PREFIX.match(lines[0])]
    multi = sum(len(lines) >= 2 for _, _, lines in blocks)
    labels = {label for label in learn_labels(firsts, len(firsts)) if plausible_label(label)}
    return labels if labels and sum(f in labels for f in firsts) >= 0.8 * multi else set()


def _payload_cues(blocks: list[tuple[float, float, list[str]]]) -> list[Cue]:
    """Cues of one file: voice tags first, then `Name: text` prefixes the file repeats (see learn_labels)."""
    raw: list[tuple[str | None, str, float, float]] = []
    named = _name_lines(blocks)
    for start, end, lines in blocks:
        speaker = None
        parts: list[str] = []
        if len(lines) >= 2 and lines[0].strip() in named:
            speaker, lines = lines[0].strip(), lines[1:]
        for line in lines:
            line = _CHANGE_MARK.sub("", line)
            if line.strip() == "-":
                continue
            voice = _VOICE.search(line)
            paren = _PAREN_NAME.match(line)
            # Teams writes a name's accents as entities: `<v Carlos Far&#237;as>` is the interviewer "Carlos Farías"
            name = html.unescape(voice.group(1)).strip() if voice else paren.group(1).strip() if paren and \
                plausible_label(paren.group(1)) and not ANNOTATION.fullmatch(line.strip()) else None
            if name:
                if speaker is not None and name != speaker and parts:
                    raw.append((speaker, clean(" ".join(parts)), start, end))
                    parts = []
                speaker = name
                if not voice:
                    continue  # the line is only the name
            parts.append(line)
        raw.append((speaker, clean(" ".join(parts)), start, end))
    prefixes = [m.group(1).strip() for s, body, *_ in raw if s is None and (m := _PREFIX.match(body))]
    labels = learn_labels(prefixes, len(raw))
    unvoiced = sum(s is None for s, *_ in raw)
    if labels and sum(p in labels for p in prefixes) >= 0.8 * unvoiced:
        # Zoom names the speaker of every cue: where nearly all cues are named, a one-off name is a speaker too.
        labels |= {p for p in prefixes if plausible_label(p)}
    cues, current = [], UNKNOWN_SPEAKER
    for speaker, body, start, end in raw:
        if speaker is None:
            m = _PREFIX.match(body)
            if m and m.group(1).strip() in labels:
                speaker, body = m.group(1).strip(), m.group(2)
            else:
                speaker = current  # a cue without a name continues the speaker before it
        current = speaker
        cues.append(Cue(speaker, body, start, end))
    return cues


def read_vtt(text: str) -> list[Turn]:
    if not text.lstrip("\ufeff").lstrip().startswith("WEBVTT"):
        raise ReaderError("not WebVTT: the first line must be 'WEBVTT'")
    return join(from_clock(_payload_cues(_timed_blocks(text, strict=False))))


def read_srt(text: str) -> list[Turn]:
    return join(from_clock(_payload_cues(_timed_blocks(text, strict=True))))


def sniff_vtt(text: str) -> float:
    return 1.0 if text.lstrip("\ufeff").lstrip().startswith("WEBVTT") else 0.0


def sniff_srt(text: str) -> float:
    head = text.lstrip("\ufeff").lstrip()[:400]
    lines = head.splitlines()
    if (len(lines) >= 2 and lines[0].strip().isdigit() and _TIMING.match(lines[1])) or \
            (lines and _TIMING.match(lines[0])):  # SRT's numbered cue, or SBV's first timing line
        return 0.95
    return 0.6 if _ANY_TIMING.search(head) and not head.startswith("WEBVTT") else 0.0

