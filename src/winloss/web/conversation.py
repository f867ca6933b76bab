"""A statement in its conversation: the interviewer's question before it and the turns around it.

The database holds the customer's statements; the turns between them (the interviewer's questions) come from
re-parsing the interview's transcript with the parser the run used. Without a readable transcript the view falls
back to the interview's statements from the database.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from winloss.interviews.transcripts import TranscriptError, parse_transcript
from winloss.models import Turn

AROUND = 3  # turns shown after the statement's turn, and before it up to the interviewer's question


@dataclass(frozen=True)
class Line:
    speaker: str
    start: float | None
    before: str  # the turn's text split around the statement: before + hit + after == the turn's text
    hit: str
    after: str
    customer: bool
    question: bool  # the interviewer's question the statement answers


@dataclass(frozen=True)
class Conversation:
    lines: list[Line]
    source: str  # "transcript" or "database"


def conversation(transcript: Path | None, statement, statements: list, customers: set[str]) -> Conversation:
    """The window around `statement` (a statements row); `statements` are the interview's rows in order."""
    turns = _turns(transcript)
    found = _locate(turns, statement, statements) if turns else None
    if found is None:
        return _from_database(statement, statements)
    index, offset = found
    first = index
    while first > 0 and index - first < AROUND + 3:
        first -= 1
        if turns[first].speaker not in customers:
            break
    question = first if turns[first].speaker not in customers and first < index else -1
    lines = []
    for n in range(max(0, min(first, index - AROUND)), min(len(turns), index + AROUND + 1)):
        turn = turns[n]
        start = turn.time_at(offset)[0] if n == index else turn.start
        if n == index:
            end = offset + len(statement["text"])
            lines.append(Line(turn.speaker, start, turn.text[:offset], turn.text[offset:end], turn.text[end:],
                              True, False))
        else:
            lines.append(Line(turn.speaker, start, turn.text, "", "", turn.speaker in customers, n == question))
    return Conversation(lines, "transcript")


def _turns(path: Path | None) -> list[Turn]:
    if path is None:
        return []
    try:
        return parse_transcript(path).turns
    except (TranscriptError, OSError, ValueError):
        return []


def _locate(turns: list[Turn], statement, statements: list) -> tuple[int, int] | None:
    """(turn index, character offset) of the statement: among the turns holding its text, the one nearest its
    time, or without times the same occurrence as its rank among the interview's statements with that text."""
    text = statement["text"]
    places = [(i, t.text.find(text)) for i, t in enumerate(turns) if text in t.text]
    if not places:
        return None
    if statement["start"] is not None and any(turns[i].time_at(o)[0] is not None for i, o in places):
        return min(places, key=lambda p: abs((turns[p[0]].time_at(p[1])[0] or 0.0) - statement["start"]))
    rank = [s["statement_id"] for s in statements if s["text"] == text].index(statement["statement_id"])
    return places[min(rank, len(places) - 1)]


def _from_database(statement, statements: list) -> Conversation:
    ids = [s["statement_id"] for s in statements]
    index = ids.index(statement["statement_id"])
    lines = [Line(s["speaker"], s["start"], "" if n == index else s["text"], s["text"] if n == index else "", "",
                  True, False) for n, s in enumerate(statements)][max(0, index - AROUND): index + AROUND + 1]
    return Conversation(lines, "database")
