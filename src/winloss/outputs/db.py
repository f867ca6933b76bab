"""The run's quote index: `winloss.db`, a plain SQLite file the user owns (schema in docs/database.md).

Written once per run, from scratch, in a fixed order, so the same run gives the same bytes.
"""
from __future__ import annotations

import math
import os
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from winloss import __version__
from winloss.errors import WinlossError
from winloss.models import Interview

if TYPE_CHECKING:  # readers (`winloss search`, `serve`) start faster without importing pandas
    import pandas as pd

DB_NAME = "winloss.db"
SCHEMA_VERSION = 1
# PRAGMA application_id lets `file` and other tools recognise the database ("WLDB").
APPLICATION_ID = 0x574C4442

# Per-interview CRM fields that `extra` may carry (crm/ step); copied onto each statement.
CRM_FIELDS = ("account", "competitor", "loss_type")
# Optional per-cohort statistics the theme engine adds to theme_cohorts.csv.
COHORT_STATS = ("lift", "p_value", "q_value", "small_sample")

SCHEMA = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE interviews (
    interview_id TEXT PRIMARY KEY,
    cohort TEXT NOT NULL,
    file TEXT NOT NULL,
    account_id TEXT NOT NULL,
    deal_id TEXT NOT NULL,
    date TEXT NOT NULL,
    company TEXT NOT NULL,
    account TEXT,
    competitor TEXT,
    loss_type TEXT,
    n_statements INTEGER NOT NULL
);
CREATE TABLE themes (
    theme_id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    keywords TEXT NOT NULL,
    n_statements INTEGER NOT NULL,
    n_interviews INTEGER NOT NULL,
    status TEXT NOT NULL
);
CREATE TABLE theme_cohorts (
    theme_id TEXT NOT NULL REFERENCES themes(theme_id),
    cohort TEXT NOT NULL,
    interviews_with_theme INTEGER NOT NULL,
    interviews_in_cohort INTEGER NOT NULL,
    share REAL,
    lift REAL,
    p_value REAL,
    q_value REAL,
    small_sample INTEGER,
    PRIMARY KEY (theme_id, cohort)
);
CREATE TABLE statements (
    id INTEGER PRIMARY KEY,
    statement_id TEXT NOT NULL UNIQUE,
    interview_id TEXT NOT NULL REFERENCES interviews(interview_id),
    cohort TEXT NOT NULL,
    speaker TEXT NOT NULL,
    start REAL,
    end REAL,
    text TEXT NOT NULL,
    theme_id TEXT REFERENCES themes(theme_id),
    account TEXT,
    competitor TEXT,
    loss_type TEXT,
    stance TEXT
);
CREATE INDEX statements_interview ON statements(interview_id);
CREATE INDEX statements_theme ON statements(theme_id);
CREATE TABLE embeddings (
    id INTEGER PRIMARY KEY REFERENCES statements(id),
    vector BLOB NOT NULL
);
CREATE VIRTUAL TABLE statements_fts USING fts5(
    text,
    content="statements",
    content_rowid="id",
    tokenize="porter unicode61 remove_diacritics 2"
);
"""


class DatabaseError(WinlossError):
    pass


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _nullable(value):
    """pandas NaN/NA and empty strings become SQL NULL; numpy scalars become Python scalars."""
    if value is None or type(value).__name__ == "NAType":  # pandas.NA
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    if isinstance(value, str) and value == "":
        return None
    return value


def _crm_by_interview(extra: Mapping | None) -> dict[str, dict[str, str]]:
    """`extra` maps interview_id -> {account, competitor, loss_type}; `{"interviews": {...}}` is accepted too."""
    if not extra:
        return {}
    table = extra.get("interviews", extra)
    return {str(k): {f: _text(v.get(f)) for f in CRM_FIELDS} for k, v in table.items() if isinstance(v, Mapping)}


def write_database(
    out_dir: Path,
    interviews: Iterable[Interview],
    statements_df: pd.DataFrame,
    themes_df: pd.DataFrame,
    theme_cohorts_df: pd.DataFrame,
    vectors: np.ndarray,
    model_id: str,
    extra: Mapping | None = None,
    *,
    new_themes: Iterable[str] | None = None,
) -> Path:
    """Write OUT/winloss.db from the run's tables; returns its path. Rows keep the order of the DataFrames.

    `new_themes`: ids of themes this run added to an existing codebook (status "new").
    """
    out_dir = Path(out_dir)
    vectors = np.ascontiguousarray(vectors, dtype="<f4")
    if len(vectors) != len(statements_df):
        raise DatabaseError(f"{len(vectors)} vectors for {len(statements_df)} statements")
    crm = _crm_by_interview(extra)
    new_themes = set(new_themes or ())
    interviews = list(interviews)
    n_by_interview = statements_df["interview_id"].astype(str).value_counts().to_dict() if len(statements_df) else {}

    path = out_dir / DB_NAME
    tmp = out_dir / (DB_NAME + ".tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.executescript(SCHEMA)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        meta = {
            "schema_version": str(SCHEMA_VERSION),
            "winloss_version": __version__,
            "model_id": model_id,
            "embedding_dim": str(vectors.shape[1] if vectors.ndim == 2 else 0),
            "embedding_dtype": "float32 little-endian, L2-normalised",
        }
        conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
        conn.executemany(
            "INSERT INTO interviews VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    i.interview_id, i.cohort, Path(i.file).as_posix(), i.account_id, i.deal_id, i.date, i.company,
                    *(_nullable(crm.get(i.interview_id, {}).get(f, "")) for f in CRM_FIELDS),
                    int(n_by_interview.get(i.interview_id, 0)),
                )
                for i in interviews
            ],
        )
        conn.executemany(
            "INSERT INTO themes VALUES (?,?,?,?,?,?)",
            [
                (
                    str(r["theme_id"]), _text(r.get("label")), _text(r.get("keywords")),
                    int(r.get("n_statements", 0)), int(r.get("n_interviews", 0)),
                    "new" if str(r["theme_id"]) in new_themes else
                    "small talk" if r.get("kind") == "small talk" else "",
                )
                for r in themes_df.to_dict("records")
            ],
        )
        conn.executemany(
            "INSERT INTO theme_cohorts VALUES (?,?,?,?,?,?,?,?,?)",
            [
                (
                    str(r["theme_id"]), str(r["cohort"]), int(r["interviews_with_theme"]),
                    int(r["interviews_in_cohort"]), _nullable(r.get("share")),
                    *(_nullable(r.get(c)) for c in COHORT_STATS),
                )
                for r in theme_cohorts_df.to_dict("records")
            ],
        )
        rows = []
        for n, r in enumerate(statements_df.to_dict("records"), start=1):
            fields = crm.get(str(r["interview_id"]), {})
            rows.append(
                (
                    n, str(r["statement_id"]), str(r["interview_id"]), str(r["cohort"]), _text(r["speaker"]),
                    _nullable(r.get("start")), _nullable(r.get("end")), str(r["text"]), _nullable(r.get("theme_id")),
                    *(_nullable(fields.get(f, "")) for f in CRM_FIELDS), _nullable(r.get("stance")),
                )
            )
        conn.executemany("INSERT INTO statements VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        conn.executemany(
            "INSERT INTO embeddings VALUES (?, ?)", ((n, vectors[n - 1].tobytes()) for n in range(1, len(rows) + 1))
        )
        conn.execute("INSERT INTO statements_fts(statements_fts) VALUES ('rebuild')")
        conn.commit()
        # A compact file whose bytes depend only on the content.
        conn.execute("VACUUM")
    finally:
        conn.close()
    os.replace(tmp, path)
    return path


def connect(path: Path) -> sqlite3.Connection:
    """Open an existing winloss.db read-only."""
    path = Path(path)
    if not path.is_file():
        raise DatabaseError(f"{path}: no such database (run `winloss run` first)")
    conn = sqlite3.connect(f"file:{path.resolve().as_posix()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise DatabaseError(f"{path}: not a SQLite database: {exc}") from exc
    if version != SCHEMA_VERSION:
        conn.close()
        raise DatabaseError(f"{path}: schema version {version}, this winloss reads {SCHEMA_VERSION}")
    return conn


def meta(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(tuple(row) for row in conn.execute("SELECT key, value FROM meta"))


def load_vectors(conn: sqlite3.Connection) -> np.ndarray:
    """All statement vectors as one (n, d) float32 matrix, row i = statements.id i+1."""
    dim = int(meta(conn)["embedding_dim"])
    blobs = b"".join(row[0] for row in conn.execute("SELECT vector FROM embeddings ORDER BY id"))
    return np.frombuffer(blobs, dtype="<f4").reshape(-1, dim)


def crm_extra(analysis) -> dict[str, dict[str, str]]:
    """The `extra` for write_database from the CRM stage (crm.result.CrmAnalysis, or None): for each interview
    joined to a deal, the deal's account name, competitor and loss type, as the analysis gives them."""
    return analysis.interview_fields() if analysis is not None else {}
