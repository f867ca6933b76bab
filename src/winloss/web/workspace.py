"""What `winloss serve` reads: one run's winloss.db and output folder, and its study's codebook and recordings.

Read-only over the database (opened with mode=ro); every file it hands out is looked up by a name the study itself
defines (an interview id, an image the report links) and must resolve inside the study or the output folder.
"""
from __future__ import annotations

import csv
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from winloss.audio.formats import is_recording
from winloss.interviews.study import StudyError, load_interviews
from winloss.models import COHORTS
from winloss.outputs import db
from winloss.outputs.locations import RunFolders
from winloss.outputs.search import SearchIndex

# Statement columns a filter may name, mapped to SQL; `stance` only where the run's database has it (issue 12).
FILTERS = ("cohort", "stance", "competitor", "loss_type", "interview", "speaker")
_COLUMN = {"cohort": "cohort", "stance": "stance", "competitor": "competitor", "loss_type": "loss_type",
           "interview": "interview_id", "speaker": "speaker"}
PAGE = 200  # statements shown per page of a theme; the CSV has them all
SORTS = ("id", "label", "statements", "interviews", *COHORTS)


def inside(root: Path | None, path: Path) -> Path | None:
    """`path` resolved, if it lies under `root` (symlinks followed); None otherwise."""
    if root is None:
        return None
    try:
        resolved = Path(path).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    return resolved if resolved.is_relative_to(root.resolve()) and resolved.is_file() else None


@dataclass
class ThemeRow:
    theme_id: str
    label: str
    kind: str  # finding | small talk
    new: bool
    keywords: str
    n_statements: int
    n_interviews: int
    cohorts: dict[str, dict] = field(default_factory=dict)  # cohort -> {n, of, share, lift, q}
    stances: dict[str, int] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)  # further columns the run's themes table has


@dataclass
class Workspace:
    folders: RunFolders
    index: SearchIndex
    columns: set[str]  # the statements table's columns
    theme_extra: list[str]  # themes columns beyond schema version 1 (shown as they are)
    recordings: dict[str, Path]  # interview id -> recording inside the study
    _memos: dict = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, folders: RunFolders) -> Workspace:
        index = SearchIndex.open(folders.out_dir / db.DB_NAME)
        conn = index.conn
        columns = {r[1] for r in conn.execute("PRAGMA table_info(statements)")}
        known = {"theme_id", "label", "keywords", "n_statements", "n_interviews", "status"}
        extra = [r[1] for r in conn.execute("PRAGMA table_info(themes)") if r[1] not in known]
        return cls(folders, index, columns, extra, _recordings(folders.study_dir))

    @property
    def conn(self) -> sqlite3.Connection:
        return self.index.conn

    @property
    def filters(self) -> tuple[str, ...]:
        return tuple(f for f in FILTERS if _COLUMN[f] in self.columns)

    # -- themes ---------------------------------------------------------------------------------------------------
    def themes(self, sort: str = "id", descending: bool = False) -> list[ThemeRow]:
        return sorted(self._memo("themes", self._all_themes), key=_sort_key(sort), reverse=descending)

    def _all_themes(self) -> list[ThemeRow]:
        rows = {}
        for r in self.conn.execute("SELECT * FROM themes ORDER BY theme_id"):
            rows[r["theme_id"]] = ThemeRow(
                r["theme_id"], r["label"], "small talk" if r["status"] == "small talk" else "finding",
                r["status"] == "new", r["keywords"], r["n_statements"], r["n_interviews"],
                extra={c: "" if r[c] is None else str(r[c]) for c in self.theme_extra})
        for r in self.conn.execute("SELECT * FROM theme_cohorts ORDER BY theme_id, cohort"):
            if r["theme_id"] in rows:
                rows[r["theme_id"]].cohorts[r["cohort"]] = {"n": r["interviews_with_theme"],
                                                            "of": r["interviews_in_cohort"], "share": r["share"],
                                                            "lift": r["lift"], "q": r["q_value"]}
        if "stance" in self.columns:
            for tid, stance, n in self.conn.execute(
                    "SELECT theme_id, stance, count(*) FROM statements WHERE theme_id IS NOT NULL "
                    "GROUP BY theme_id, stance ORDER BY theme_id, stance"):
                if tid in rows:
                    rows[tid].stances[stance or "none"] = n
        return list(rows.values())

    def theme(self, theme_id: str) -> ThemeRow | None:
        return next((t for t in self.themes() if t.theme_id == theme_id), None)

    def cohort_sizes(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT cohort, count(*) FROM interviews GROUP BY cohort ORDER BY cohort"))

    def quotes(self, theme_id: str) -> list[sqlite3.Row]:
        """The report's quotes for the theme (quotes.csv), as statement rows."""
        path = self.folders.out_dir / "quotes.csv"
        if not path.is_file():
            return []
        with path.open(encoding="utf-8", newline="") as f:
            ids = [r["statement_id"] for r in csv.DictReader(f) if r.get("theme_id") == theme_id]
        return [row for sid in ids if (row := self.statement(sid)) is not None]

    # -- statements -----------------------------------------------------------------------------------------------
    def choices(self, theme_id: str | None = None) -> dict[str, list[str]]:
        """The values each filter can take (within the theme when given), for the filter menus."""
        where, args = ("WHERE theme_id IS ?", [theme_id or None]) if theme_id is not None else ("", [])
        return self._memo(("choices", theme_id), lambda: {f: [v for (v,) in self.conn.execute(
            f"SELECT DISTINCT {_COLUMN[f]} FROM statements {where} ORDER BY 1", args) if v not in (None, "")]
                for f in self.filters})

    def _memo(self, key, compute):
        """What the read-only database answers, once per version of the file: the themes table and the filter
        menus are the same on every request (a full scan of 20,000 statements each, 80-100 ms) until a new
        `winloss run` rewrites winloss.db."""
        return self.memo(key, compute, self.folders.out_dir / db.DB_NAME)

    def memo(self, key, compute, *files: Path):
        """compute(), kept while none of `files` changes (size and modification time); an error is not kept."""
        version = tuple(_version(f) for f in files)
        if key not in self._memos or self._memos[key][0] != version:
            self._memos[key] = (version, compute())
        return self._memos[key][1]

    def forget(self, key) -> None:
        """Drop a kept value now: after this process changed its file (within one tick of the file clock)."""
        self._memos.pop(key, None)

    def statements(self, theme_id: str | None, filters: dict[str, str], offset: int = 0,
                   limit: int | None = PAGE) -> tuple[list[sqlite3.Row], int]:
        """The theme's statements (None: unassigned) that pass the filters, in statement order, and their count."""
        clauses, args = ["s.theme_id IS ?"], [theme_id]
        for name, value in filters.items():
            if name in self.filters and value:
                clauses.append(f"s.{_COLUMN[name]} = ?")
                args.append(value)
        where = " AND ".join(clauses)
        total = self.conn.execute(f"SELECT count(*) FROM statements s WHERE {where}", args).fetchone()[0]
        page = "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"
        rows = self.conn.execute(f"{_SELECT} WHERE {where} ORDER BY s.id{page}", args).fetchall()
        return rows, total

    def statement(self, statement_id: str) -> sqlite3.Row | None:
        return self.conn.execute(f"{_SELECT} WHERE s.statement_id = ?", (statement_id,)).fetchone()

    def interview(self, interview_id: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM interviews WHERE interview_id = ?", (interview_id,)).fetchone()

    def interview_statements(self, interview_id: str) -> list[sqlite3.Row]:
        return self.conn.execute(f"{_SELECT} WHERE s.interview_id = ? ORDER BY s.id", (interview_id,)).fetchall()

    # -- files ----------------------------------------------------------------------------------------------------
    def transcript_file(self, interview_id: str) -> Path | None:
        row = self.interview(interview_id)
        return inside(self.folders.study_dir, Path(row["file"])) if row is not None else None

    def output_file(self, name: str) -> Path | None:
        return inside(self.folders.out_dir, self.folders.out_dir / name)


_SELECT = ("SELECT s.*, t.label AS theme_label FROM statements s LEFT JOIN themes t ON t.theme_id = s.theme_id")


def _version(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _sort_key(sort: str):
    if sort in COHORTS:
        return lambda t: (t.cohorts.get(sort, {}).get("share") or 0.0, t.theme_id)
    key = {"label": lambda t: (t.label.lower(), t.theme_id), "statements": lambda t: (t.n_statements, t.theme_id),
           "interviews": lambda t: (t.n_interviews, t.theme_id)}
    return key.get(sort, lambda t: t.theme_id)


def _recordings(study_dir: Path | None) -> dict[str, Path]:
    """Interview id -> its recording, for the interviews whose interviews.csv file is a recording in the study."""
    if study_dir is None:
        return {}
    try:
        interviews, _ = load_interviews(study_dir)
    except StudyError:  # a study that no longer loads still has its results to browse
        return {}
    found = {}
    for i in interviews:
        path = inside(study_dir, Path(i.file)) if is_recording(Path(i.file)) else None
        if path is not None:
            found[i.interview_id] = path
    return found
