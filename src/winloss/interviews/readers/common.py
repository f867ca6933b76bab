"""What every reader shares: the cue record, timestamps, cleaning speech, joining cues into turns, speaker labels.

A reader turns its format into `Cue`s (speaker, cleaned speech, start, end); `join` makes the turns. Cleaning is the
one place where markup leaves the speech, so every statement cut from a turn is a substring of what was said.
"""
from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass

from winloss.models import Turn

UNKNOWN_SPEAKER = "Speaker"  # the label of speech whose source names no speaker


class ReaderError(ValueError):
    """The content is not (or not a well-formed) file of this reader's format; the message says why."""


@dataclass(frozen=True)
class Cue:
    speaker: str
    text: str
    start: float | None = None
    end: float | None = None


# h:mm:ss(.fff), mm:ss(.fff); any number of fraction digits (Teams writes 7), comma or dot.
TIME = r"(?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d+)?"
# Beside a `-->` arrow a timestamp may be written without padding: Microsoft Graph's Teams transcripts and Teams'
# old .docx say `0:0:5.320`.
CUE_TIME = r"(?:\d+:)?\d{1,2}:\d{1,2}(?:[.,]\d+)?"
_TIME_PARTS = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d+))?")


def seconds(value: str) -> float:
    """'01:02:03.5' / '2:03' / '00:00:01,000' -> seconds; raises ValueError for anything else."""
    m = _TIME_PARTS.fullmatch(value.strip())
    if not m:
        raise ValueError(f"not a timestamp: {value!r}")
    h, mi, s, frac = m.groups()
    return int(h or 0) * 3600 + int(mi) * 60 + int(s) + (int(frac[:3].ljust(3, "0")) / 1000 if frac else 0.0)


def number_seconds(value, scale: float = 1.0) -> float | None:
    """A JSON/CSV time: a number (times `scale`, e.g. 0.001 for milliseconds), a numeric string or a timestamp."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return round(float(value) * scale, 3)
    text = str(value).strip()
    try:
        return round(float(text) * scale, 3)
    except ValueError:
        return seconds(text)


_TAG = re.compile(r"</?[a-z][^>]*>", re.IGNORECASE)
_ANNOTATION_WORDS = (r"inaudible|unintelligible|indiscernible|crosstalk|cross-talk|overlapping|overlap|laughs?|"
                     r"laughter|laughing|chuckles?|sighs?|coughs?|coughing|clears throat|pause|silence|music|noise|"
                     r"background noise|applause|foreign|no audio|audio cuts out|blank_audio|blank audio|phone rings?")
# [inaudible], [crosstalk 00:01:02], (pause 0.28), (laughs), and captioners' described sounds, up to two lowercase
# words before the sound ("(upbeat music)", "[audience laughing]"): transcriber notes, not speech. A capitalised word
# there is a name ("(Dana laughs)" stays: it says who).
ANNOTATION = re.compile(rf"[\[(]\s*(?-i:[a-z][a-z-]*\s+){{0,2}}(?:{_ANNOTATION_WORDS})\b[^\])]{{0,40}}[\])]|"
                        r"/(?:unintelligible|inaudible)/", re.IGNORECASE)
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)\s]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_MARKUP = re.compile(r"[<\[*_\\&(/]")
_SPACE = re.compile(r"\s+")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")


def clean(text: str) -> str:
    """Speech only: tags, markdown emphasis, links (their words kept) and transcriber annotations removed, HTML
    entities decoded, whitespace collapsed."""
    if not _MARKUP.search(text):  # plain speech, most cues: each pattern below needs one of these characters
        return _SPACE.sub(" ", text).strip()
    text = _TAG.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_EMPHASIS.sub(r"\2", text)
    text = _MD_ESCAPE.sub(r"\1", text)
    text = html.unescape(text)
    text = ANNOTATION.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def join(cues: list[Cue]) -> list[Turn]:
    """Consecutive cues of one speaker become one turn (joined by a space); each keeps its offset and times."""
    turns: list[Turn] = []
    pending: list[Cue] = []

    def flush() -> None:
        if not pending:
            return
        offsets, pos = [], 0
        for cue in pending:
            offsets.append((pos, cue.start, cue.end))
            pos += len(cue.text) + 1
        turns.append(Turn(speaker=pending[0].speaker, text=" ".join(c.text for c in pending), start=pending[0].start,
                          end=pending[-1].end, cues=tuple(offsets)))
        pending.clear()

    for cue in cues:
        if not cue.text:
            continue
        if pending and pending[-1].speaker != cue.speaker:
            flush()
        pending.append(cue)
    flush()
    return turns


CLOCK_FROM = 3600.0  # an interview does not start an hour in: stamps that do are the time of day


def from_clock(cues: list[Cue]) -> list[Cue]:
    """Times from the first stamped cue when the file stamps the time of day (Zoom's saved captions write
    `[Name] 14:02:11`): a quote "at 14:02:11" of a 40-minute interview finds nothing. A stamp more than 12 hours
    before the one above it crossed midnight."""
    first = next((c.start for c in cues if c.start is not None), None)
    if first is None or first < CLOCK_FROM:
        return cues
    out, day, last = [], 0.0, first
    for c in cues:
        start = end = None
        if c.start is not None:
            if c.start + 12 * 3600 < last:
                day += 24 * 3600
            last = c.start
            start = round(c.start + day - first, 3)  # milliseconds, as read: 65823.435 - 65816.181 is not exact
        if c.end is not None:
            end = round(c.end + day - first + (24 * 3600 if c.start is not None and c.end < c.start else 0), 3)
        out.append(Cue(c.speaker, c.text, start, end))
    return out


def fill_ends(cues: list[Cue]) -> list[Cue]:
    """Formats that stamp only where a turn starts: a cue ends where the next later-stamped one starts (Meet
    stamps a whole section of turns with one time)."""
    out = []
    for i, cue in enumerate(cues):
        end = cue.end
        if end is None and cue.start is not None:
            end = next((c.start for c in cues[i + 1:] if c.start is not None and c.start > cue.start), None)
        out.append(Cue(cue.speaker, cue.text, cue.start, end))
    return out


# A speaker label as people are named: letters of any script, digits, spaces, apostrophes, dots, hyphens,
# brackets for company or pronouns, '+' and '/' of phone numbers and pronouns; one comma, for the "Last, First"
# display names of corporate and university accounts (Zoom's saved captions: `[Birje, Shreya] 13:00:52`). No other
# sentence punctuation.
LABEL = (r"[^\W_\d][\w.'’\- ]{0,38}?(?:,\s?[^\W_\d][\w.'’\- ]{0,38}?)?(?:\s*[(\[][^)\]\n]{1,30}[)\]])?"
         r"|[A-Za-z]+_\d+|\+?[\d ()\-]{7,20}")
_LABEL_RE = re.compile(rf"(?:{LABEL})")


def plausible_label(label: str) -> bool:
    label = label.strip()
    if not label or len(label) > 60 or not _LABEL_RE.fullmatch(label):
        return False
    return len(label.split()) <= 6


# Speaker labels that name a role or a seat, not a person: "Speaker 2", "SPEAKER_01", "Customer", "Guest B", and
# Zoom's and Teams' "Unknown Speaker".
ROLE_LABEL = re.compile(
    r"(speaker|spk|spkr|interviewer|interviewee|customer|client|participant|respondent|moderator|host|guest|unknown|"
    r"user|agent|rep|me|you|q|a)(?:[\s_#-]*\d+|[\s_#-]+[a-z])?|unknown[\s_-]+speaker(?:[\s_#-]*\d+)?|[A-Z]+_\d+",
    re.IGNORECASE)


def learn_labels(candidates: list[str], lines: int) -> set[str]:
    """The labels of a file (of `lines` lines or cues) are the candidates it repeats: a speaker speaks more than
    once, while a content line such as 'Price: they were 20% cheaper.' is a one-off. A one-off still counts when it
    looks like a full name ('Owen Pryce', 'Speaker 3'). When nothing repeats, the candidates are labels only if they
    open most lines (a two-line file), not when one line of prose happens to hold a colon."""
    counts = Counter(c for c in candidates if plausible_label(c))
    repeated = {label for label, n in counts.items() if n >= 2}
    if not repeated:
        return set(counts) if 2 * sum(counts.values()) >= lines else set()
    return repeated | {label for label in counts if ROLE_LABEL.fullmatch(label) or _full_name(label)}


def _full_name(label: str) -> bool:
    # a comma'd one-off is prose more often than a name spoken once ("Okay, Great: ...")
    words = label.split()
    return len(words) >= 2 and "," not in label and all(w[:1].isupper() for w in words)
