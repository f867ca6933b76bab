"""Load and validate a study's interviews table (interviews.csv, .tsv, .txt or .xlsx; read by winloss.tables)."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from winloss.crm.columns import normalise_header, resolve_columns
from winloss.crm.parse import date_order_note, day_first, parse_date
from winloss.errors import WinlossError
from winloss.models import Interview, Problem
from winloss.tables import TableError, TableSource, find_table, read_table

REQUIRED = ("interview_id", "cohort", "file")
# column -> the headers people give it in a spreadsheet, compared case-, space- and punctuation-blind (so
# "Interview ID" is interview_id); the first header present wins.
COLUMNS: dict[str, tuple[str, ...]] = {
    "interview_id": ("interview id", "interview", "id"),
    "cohort": ("cohort", "outcome", "result", "deal outcome", "win loss", "status"),
    "file": ("file", "transcript", "transcript file", "file name", "filename", "path", "file path", "recording"),
    "account_id": ("account id",),
    "deal_id": ("deal id", "opportunity id", "opportunity"),
    "date": ("date", "interview date"),
    "interviewer": ("interviewer", "interviewers", "interviewed by"),
    "company": ("company", "company name", "account", "account name", "customer"),
    "speakers": ("speakers", "number of speakers"),
}
_HEADERS = {alias for aliases in COLUMNS.values() for alias in aliases}

_COHORT_ALIASES = {
    "won": "won", "win": "won", "closed won": "won", "closedwon": "won", "won deal": "won",
    "lost": "lost", "loss": "lost", "closed lost": "lost", "closedlost": "lost", "lost deal": "lost",
    "no decision": "lost", "closed no decision": "lost",
    "churned": "churned", "churn": "churned", "churned customer": "churned", "cancelled": "churned",
    "canceled": "churned", "closed churned": "churned",
    # Salesforce's account Type for a customer who left; a research team's "ex-customer"
    "former customer": "churned", "ex customer": "churned", "lost customer": "churned", "churned account": "churned",
}


class StudyError(WinlossError):
    """The study cannot be run at all (exit code 2)."""


def normalise_cohort(value: str) -> str | None:
    """'Closed Won', 'closed_lost', and an outcome with its reason after a dash, bracket or colon ('Closed Lost -
    Competitor', 'Won (renewal)'); 'churn risk' is no outcome."""
    for text in (value, re.split(r"\s[-–—]\s|[(:/,]", value, maxsplit=1)[0]):
        key = re.sub(r"[\s_\-]+", " ", text.strip().lower())
        if key in _COHORT_ALIASES:
            return _COHORT_ALIASES[key]
    return None


@dataclass
class Manifest:
    interviews: list[Interview]
    problems: list[Problem]  # one per row that had to be skipped
    source: TableSource  # how interviews.csv (or .tsv, .txt, .xlsx) was read
    listed: int  # the rows it lists, read or not
    notes: list[str] = field(default_factory=list)  # what the user should know though nothing failed


def _date_reader(values: list[str]) -> Callable[[str], str]:
    """Interview dates as ISO whatever the spreadsheet wrote (07.07.2026, 7/7/2026, 7 Jul 2026), day or month first
    decided once for the column, so the report's date range sorts; a value that is no date stays as written."""
    dayfirst = day_first(values)

    def iso(value: str) -> str:
        try:
            parsed = parse_date(value, dayfirst)
        except ValueError:
            return value
        return parsed.isoformat() if parsed else value

    return iso


def _header_score(cells: list[str]) -> int:
    return sum(normalise_header(c) in _HEADERS for c in cells)


def _transcript_path(study_dir: Path, written: str) -> Path:
    """The file a row names, relative to the study; Windows' backslashes are folders, and a bare file name is also
    looked for in transcripts/ and recordings/, where the study keeps them."""
    relative = written.strip().replace("\\", "/")
    file = (study_dir / relative).resolve()
    if not file.is_file() and "/" not in relative:
        found = [p for p in (study_dir / "transcripts" / relative, study_dir / "recordings" / relative) if p.is_file()]
        if len(found) == 1:
            return found[0].resolve()
    return file


def load_interviews(study_dir: Path) -> tuple[list[Interview], list[Problem]]:
    """Return the valid interviews and one Problem per row that had to be skipped."""
    manifest = read_manifest(study_dir)
    return manifest.interviews, manifest.problems


def read_manifest(study_dir: Path) -> Manifest:
    study_dir = Path(study_dir)
    if not study_dir.is_dir():
        raise StudyError(f"{study_dir}: no such study folder")
    try:
        path = find_table(study_dir, "interviews")
        if path is None:
            raise StudyError(f"{study_dir / 'interviews.csv'}: missing; a study needs interviews.csv (or .tsv, .txt, "
                             f".xlsx) with columns {', '.join(REQUIRED)}")
        table = read_table(path, _header_score)
    except TableError as exc:
        raise StudyError(str(exc)) from exc
    if not table.header:
        raise StudyError(f"{path}: empty; expected a header with columns {', '.join(REQUIRED)}")
    colmap, _ = resolve_columns(table.header, COLUMNS)
    named = {h: c for c, h in colmap.fields.items()}
    header = [named.get(h, "") for h in table.header]
    missing = [c for c in REQUIRED if c not in colmap.fields]
    if missing:
        raise StudyError(f"{path}: missing required column(s) {', '.join(missing)} (found: "
                         f"{', '.join(table.header)})")

    interviews: list[Interview] = []
    problems: list[Problem] = list(table.problems)
    seen: dict[str, int] = {}
    dates = [cells[header.index("date")] for _, cells in table.rows] if "date" in header else []
    iso_date = _date_reader(dates)
    notes = [f"{path.name} date column: {n}" for n in [date_order_note(dates, day_first(dates))] if n]
    named_files: set[Path] = set()
    for row_no, cells in table.rows:
        row = {k: v for k, v in zip(header, cells) if k}
        where = f"{path.name} row {row_no}"
        if len(cells) > len(header):
            problems.append(Problem(where, f"{len(cells)} cells but {len(header)} columns; extra cells ignored"))
        iid = row["interview_id"]
        if not iid:
            problems.append(Problem(where, "empty interview_id"))
            continue
        if iid in seen:
            problems.append(Problem(where, f"duplicate interview_id {iid!r} (first on row {seen[iid]}); row skipped", iid))
            continue
        seen[iid] = row_no
        cohort = normalise_cohort(row["cohort"])
        if cohort is None:
            problems.append(Problem(where, f"unknown cohort {row['cohort']!r} for {iid}; use won, lost or churned", iid))
            continue
        if not row["file"]:
            problems.append(Problem(where, f"empty file for {iid}", iid))
            continue
        file = _transcript_path(study_dir, row["file"])
        named_files.add(file)
        if not file.is_file():
            problems.append(Problem(where, f"file not found: {row['file']} (interview {iid})", iid))
            continue
        names = tuple(n.strip() for n in row.get("interviewer", "").split(";") if n.strip())
        speakers = row.get("speakers", "")
        if speakers and not (speakers.isdigit() and 1 <= int(speakers) <= 9):
            problems.append(Problem(where, f"speakers {speakers!r} for {iid}: expected a whole number 1-9 "
                                           "(people heard in the recording) or empty", iid))
            continue
        interviews.append(Interview(
            interview_id=iid, cohort=cohort, file=file, row=row_no,
            account_id=row.get("account_id", ""), deal_id=row.get("deal_id", ""),
            date=iso_date(row.get("date", "")), company=row.get("company", ""), interviewers=names,
            speakers=int(speakers or 0),
        ))
    if not interviews and not problems:
        raise StudyError(f"{path}: has a header but no interview rows")
    unlisted = unlisted_files(study_dir, named_files)
    if unlisted:
        notes.append(f"{len(unlisted)} file(s) in the study's folders named by no row of {path.name}, so not "
                     f"analysed: {', '.join(unlisted[:5])}{' ...' if len(unlisted) > 5 else ''}")
    return Manifest(interviews, problems, table.source, len(table.rows) + len(table.problems), notes)


def unlisted_files(study_dir: Path, named: set[Path]) -> list[str]:
    """Files in transcripts/ and recordings/ that no row names (hidden files aside), relative to the study. A file
    of a named file's stem is its own: the transcript winloss wrote from a recording (transcripts/call.vtt)."""
    stems = {p.stem for p in named}
    found = [p for folder in ("transcripts", "recordings") for p in sorted((study_dir / folder).rglob("*"))
             if p.is_file() and not any(part.startswith(".") for part in p.relative_to(study_dir).parts)]
    return [p.relative_to(study_dir).as_posix() for p in found if p.resolve() not in named and p.stem not in stems]
