"""Transcripts as tables: CSV or TSV with speaker, start, end and text columns in any order, under the names tools
use (CORAAL's `Line, Spkr, StTime, Content, EnTime`; whisper's `start, end, text` TSV in milliseconds; Descript,
Fireflies and spreadsheet exports' `Speaker, Start Time, Text`).
"""
from __future__ import annotations

import csv
import io
import re

from winloss.interviews.readers.common import (
    UNKNOWN_SPEAKER,
    Cue,
    ReaderError,
    clean,
    join,
    number_seconds,
)
from winloss.models import Turn

_COLUMNS = {
    "speaker": ("speaker", "spkr", "speaker name", "speaker_name", "speaker label", "speaker_label", "name",
                "participant", "who", "spk"),
    "start": ("start", "start time", "start_time", "starttime", "sttime", "begin", "from", "start (s)",
              "start_ms", "start (ms)", "timestamp", "time", "offset", "start timecode"),
    "end": ("end", "end time", "end_time", "endtime", "entime", "stop", "to", "end (s)", "end_ms", "end (ms)",
            "end timecode"),
    "text": ("text", "content", "transcript", "transcription", "utterance", "sentence", "words", "speech",
             "dialogue", "caption"),
}


def _rows(text: str) -> tuple[list[str], list[list[str]], str]:
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    first = lines.split("\n", 1)[0]
    delimiter = max(("\t", ",", ";", "|"), key=first.count)
    rows = [r for r in csv.reader(io.StringIO(lines), delimiter=delimiter) if any(c.strip() for c in r)]
    if not rows:
        raise ReaderError("empty table: no header and no rows")
    return [c.strip() for c in rows[0]], rows[1:], delimiter


# A speech column a user renamed keeps its noun last ("Raw transcription", "Corrected transcription"); of several,
# the one filled in most rows, and of those the edited one, is what the user means to be quoted.
_EDITED = re.compile(r"\b(?:corrected|edited|reviewed|final|clean(?:ed)?)\b")


def _columns(header: list[str], rows: list[list[str]] = ()) -> dict[str, int]:
    found: dict[str, int] = {}
    names = [h.strip().lower() for h in header]
    for role, synonyms in _COLUMNS.items():
        for i, name in enumerate(names):
            if name in synonyms and i not in found.values():
                found.setdefault(role, i)
    if "text" not in found:
        named = [i for i, name in enumerate(names) if i not in found.values() and len(name.split()) > 1
                 and name.split()[-1] in _COLUMNS["text"]]
        if named:
            filled = {i: sum(i < len(r) and bool(r[i].strip()) for r in rows) for i in named}
            found["text"] = min(named, key=lambda i: (-filled[i], not _EDITED.search(names[i]), i))
    return found


def read_table(text: str) -> list[Turn]:
    header, rows, _ = _rows(text)
    cols = _columns(header, rows)
    if "text" not in cols:
        raise ReaderError(f"table without a text column (columns: {', '.join(header)}); "
                          f"name one of: {', '.join(_COLUMNS['text'][:4])} (or end its name with one)")
    if not rows:
        raise ReaderError(f"header only: the table has columns ({', '.join(header)}) but no rows")
    # whisper's TSV and `*_ms` columns count milliseconds; CORAAL and spreadsheets count seconds or h:mm:ss.
    start_name = header[cols["start"]].lower() if "start" in cols else ""
    ms = "ms" in start_name or (header == ["start", "end", "text"] and all(
        re.fullmatch(r"\d+", r[cols["start"]].strip()) for r in rows if len(r) > cols["start"]))
    cues = []
    for n, row in enumerate(rows, start=2):
        cell = {role: (row[i].strip() if i < len(row) else "") for role, i in cols.items()}
        try:
            start = number_seconds(cell.get("start"), 0.001 if ms else 1.0)
            end = number_seconds(cell.get("end"), 0.001 if ms else 1.0)
        except ValueError as exc:
            raise ReaderError(f"row {n}: {exc}") from exc
        cues.append(Cue(cell.get("speaker") or UNKNOWN_SPEAKER, clean(cell["text"]), start, end))
    return join(cues)


def sniff_table(text: str) -> float:
    try:
        header, _, _ = _rows(text[:20000])
    except (ReaderError, csv.Error):
        return 0.0
    cols = _columns(header)
    if "text" not in cols:
        return 0.0
    return 0.95 if len(cols) >= 2 else 0.4
