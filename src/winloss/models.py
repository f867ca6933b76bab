"""Data classes that cross module boundaries. Plain, frozen where possible, no behaviour beyond small helpers."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

COHORTS = ("won", "lost", "churned")


@dataclass(frozen=True)
class Turn:
    """One cue or speaker turn of a transcript, as it appears in the source file."""

    speaker: str
    text: str
    start: float | None = None  # seconds; None when the source has no timestamps
    end: float | None = None
    # (char offset in text, start, end) of each source cue joined into this turn
    cues: tuple[tuple[int, float | None, float | None], ...] = ()

    def time_at(self, offset: int) -> tuple[float | None, float | None]:
        """Start and end of the source cue that holds character `offset`."""
        hit = None
        for cue in self.cues:
            if cue[0] <= offset:
                hit = cue
        return (hit[1], hit[2]) if hit else (self.start, self.end)


@dataclass
class Transcript:
    turns: list[Turn]
    source: Path | None = None
    format: str = ""  # the reader that read it: vtt, srt, txt, markdown, json, table; docx/txt for a Word file
    warnings: list[str] = field(default_factory=list)  # e.g. a legacy encoding guessed, no speaker labels


@dataclass(frozen=True)
class Interview:
    """One row of interviews.csv, validated."""

    interview_id: str
    cohort: str  # one of COHORTS
    file: Path  # absolute path
    row: int  # 1-based data row number in interviews.csv (header is row 1, first data row is 2)
    account_id: str = ""
    deal_id: str = ""
    date: str = ""
    company: str = ""
    interviewers: tuple[str, ...] = ()  # speaker labels named in the `interviewer` column
    speakers: int = 0  # people heard in the recording, from the optional `speakers` column; 0 = estimate


@dataclass(frozen=True)
class Statement:
    """A unit of customer evidence. `text` is an exact substring of `turn_text`."""

    statement_id: str
    interview_id: str
    cohort: str
    speaker: str
    start: float | None
    end: float | None
    text: str
    turn_text: str  # the full text of the cue/turn the statement was cut from (verbatim source)
    turn_index: int  # index of the turn in the transcript
    question: str = ""  # the interviewer's last question before this turn: context, never evidence


@dataclass
class Problem:
    """An input that failed: reported, skipped, and named in the exit code."""

    where: str  # file path or "interviews.csv row 7"
    message: str
    interview_id: str = ""

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class RoleResult:
    interviewers: set[str]
    customers: set[str]
    method: str  # "manifest", "config", "questions", "speakerless", "single-speaker"
    warning: str = ""
    extra: dict = field(default_factory=dict)
    sure: bool = True  # False: no labels, one speaker, or nobody clearly asks: interviewer speech may count


@dataclass(frozen=True)
class Coverage:
    """What the counts rest on: the interviews listed, those that could not be read, and those whose interviewer
    could not be told from the customer (their statements may hold the interviewer's), and those not in English (their
    stances are left neutral)."""

    listed: int
    unread: tuple[str, ...] = ()
    unsure_roles: tuple[str, ...] = ()
    not_english: tuple[str, ...] = ()
