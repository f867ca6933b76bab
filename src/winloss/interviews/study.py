"""Load and validate a study's interviews.csv."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from winloss.errors import WinlossError
from winloss.models import Interview, Problem

REQUIRED = ("interview_id", "cohort", "file")

_COHORT_ALIASES = {
    "won": "won", "win": "won", "closed won": "won", "closedwon": "won", "won deal": "won",
    "lost": "lost", "loss": "lost", "closed lost": "lost", "closedlost": "lost", "lost deal": "lost",
    "no decision": "lost", "closed no decision": "lost",
    "churned": "churned", "churn": "churned", "churned customer": "churned", "cancelled": "churned",
    "canceled": "churned", "closed churned": "churned",
}


class StudyError(WinlossError):
    """The study cannot be run at all (exit code 2)."""


def normalise_cohort(value: str) -> str | None:
    key = re.sub(r"[\s_\-]+", " ", value.strip().lower())
    return _COHORT_ALIASES.get(key)


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StudyError(f"{path}: not UTF-8 (byte {exc.start}); save it as UTF-8 and rerun") from exc


def load_interviews(study_dir: Path) -> tuple[list[Interview], list[Problem]]:
    """Return the valid interviews and one Problem per row that had to be skipped."""
    study_dir = Path(study_dir)
    if not study_dir.is_dir():
        raise StudyError(f"{study_dir}: no such study folder")
    path = study_dir / "interviews.csv"
    if not path.is_file():
        raise StudyError(f"{path}: missing; a study needs interviews.csv with columns {', '.join(REQUIRED)}")
    text = _read_text(path)
    if not text.strip():
        raise StudyError(f"{path}: empty; expected a header with columns {', '.join(REQUIRED)}")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise StudyError(f"{path}: missing required column(s) {', '.join(missing)} (found: {', '.join(header)})")
    reader.fieldnames = header

    interviews: list[Interview] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for row_no, raw in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()):
            continue
        where = f"{path.name} row {row_no}"
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
        file = (study_dir / row["file"]).resolve()
        if not file.is_file():
            problems.append(Problem(where, f"file not found: {row['file']} (interview {iid})", iid))
            continue
        names = tuple(n.strip() for n in row.get("interviewer", "").split(";") if n.strip())
        interviews.append(Interview(
            interview_id=iid, cohort=cohort, file=file, row=row_no,
            account_id=row.get("account_id", ""), deal_id=row.get("deal_id", ""),
            date=row.get("date", ""), company=row.get("company", ""), interviewers=names,
        ))
    if not interviews and not problems:
        raise StudyError(f"{path}: has a header but no interview rows")
    return interviews, problems
