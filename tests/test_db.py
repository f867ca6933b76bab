"""winloss.db: opens with the plain sqlite3 module, matches the documented schema, holds what the run found."""
import re
import sqlite3
import time

import numpy as np
import pandas as pd
import pytest
from research_study import run_study, write_study

from winloss.interviews.study import load_interviews
from winloss.outputs.db import DB_NAME, load_vectors, write_database

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("db")
    study = write_study(tmp / "study")
    run_study(study, tmp / "out")
    return tmp / "out"


def columns(conn, table):
    return [(r[1], r[2].upper(), r[3], r[5]) for r in conn.execute(f"PRAGMA table_info({table})")]


def test_schema_matches_the_docs(run_dir):
    sql = re.search(r"```sql\n(.*?)```", (ROOT / "docs" / "database.md").read_text(encoding="utf-8"), re.S).group(1)
    documented = sqlite3.connect(":memory:")
    documented.executescript(sql)
    real = sqlite3.connect(run_dir / DB_NAME)
    names = "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
    assert documented.execute(names).fetchall() == real.execute(names).fetchall()
    for (kind, table) in real.execute("SELECT type, name FROM sqlite_master WHERE type = 'table'"):
        assert columns(documented, table) == columns(real, table), table
    assert real.execute("PRAGMA user_version").fetchone()[0] == 1


def test_contents_match_the_run(run_dir):
    conn = sqlite3.connect(run_dir / DB_NAME)
    statements = pd.read_csv(run_dir / "statements.csv", keep_default_na=False)
    rows = conn.execute("SELECT statement_id, interview_id, cohort, speaker, text, COALESCE(theme_id, '') "
                        "FROM statements ORDER BY id").fetchall()
    assert rows == list(statements[["statement_id", "interview_id", "cohort", "speaker", "text", "theme_id"]]
                        .itertuples(index=False, name=None))
    themes = pd.read_csv(run_dir / "themes.csv", keep_default_na=False)
    assert conn.execute("SELECT theme_id, label, n_statements FROM themes ORDER BY theme_id").fetchall() == \
        list(themes[["theme_id", "label", "n_statements"]].itertuples(index=False, name=None))
    assert conn.execute("SELECT count(*) FROM theme_cohorts").fetchone()[0] == \
        len(pd.read_csv(run_dir / "theme_cohorts.csv"))
    assert conn.execute("SELECT sum(n_statements) FROM interviews").fetchone()[0] == len(statements)
    # The FTS index finds a statement by a stemmed word ("priced" -> "price").
    hits = conn.execute("SELECT s.text FROM statements_fts f JOIN statements s ON s.id = f.rowid "
                        "WHERE statements_fts MATCH 'priced'").fetchall()
    assert len(hits) >= 3 and all("pric" in t.lower() for (t,) in hits)
    vectors = load_vectors(conn)
    assert vectors.shape == (len(statements), 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_crm_fields_and_bytes_are_deterministic(run_dir, tmp_path):
    study = run_dir.parent / "study"
    interviews, _ = load_interviews(study)
    statements = pd.read_csv(run_dir / "statements.csv", keep_default_na=False)
    themes = pd.read_csv(run_dir / "themes.csv", keep_default_na=False)
    cohorts = pd.read_csv(run_dir / "theme_cohorts.csv")
    vectors = load_vectors(sqlite3.connect(run_dir / DB_NAME))
    extra = {"R02": {"account": "Company 2", "competitor": "Clarion", "loss_type": "competitor"}}
    paths = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        paths.append(write_database(tmp_path / name, interviews, statements, themes, cohorts, vectors, "m", extra))
    assert paths[0].read_bytes() == paths[1].read_bytes()
    conn = sqlite3.connect(paths[0])
    assert conn.execute("SELECT DISTINCT interview_id FROM statements WHERE competitor = 'Clarion'").fetchall() == \
        [("R02",)]
    assert conn.execute("SELECT loss_type FROM interviews WHERE interview_id = 'R02'").fetchone() == ("competitor",)
    assert conn.execute("SELECT count(*) FROM statements WHERE competitor IS NULL").fetchone()[0] == \
        int((statements["interview_id"] != "R02").sum())
    with pytest.raises(Exception, match="3 vectors for"):
        write_database(tmp_path / "a", interviews, statements, themes, cohorts, vectors[:3], "m")


def test_exports(run_dir, tmp_path):
    from click.testing import CliRunner
    from openpyxl import load_workbook

    from winloss.cli import main

    statements = pd.read_csv(run_dir / "statements.csv", keep_default_na=False)
    for fmt in ("csv", "json", "xlsx"):
        result = CliRunner().invoke(main, ["export", str(run_dir.parent / "study"), "--out", str(run_dir),
                                           "--format", fmt, "--dest", str(tmp_path / fmt)])
        assert result.exit_code == 0, result.output
    evidence = pd.read_csv(tmp_path / "csv" / "evidence.csv", keep_default_na=False)
    assert evidence["quote"].tolist() == statements["text"].tolist()
    assert set(evidence.columns) >= {"interview_id", "cohort", "company", "competitor", "theme_id", "theme_label"}
    data = __import__("json").loads((tmp_path / "json" / "winloss.json").read_text(encoding="utf-8"))
    assert sorted(data) == ["evidence", "quotes", "theme_cohorts", "themes"]
    assert [r["quote"] for r in data["evidence"]] == statements["text"].tolist()
    book = load_workbook(tmp_path / "xlsx" / "winloss.xlsx", read_only=True)
    assert book.sheetnames == ["evidence", "themes", "theme_cohorts", "quotes"]
    assert book["evidence"].max_row == len(statements) + 1
    first = (tmp_path / "xlsx" / "winloss.xlsx").read_bytes()
    time.sleep(1.1)  # openpyxl stamps the save time to the second: the export must not carry it
    CliRunner().invoke(main, ["export", "x", "--out", str(run_dir), "--to", "xlsx", "--dest", str(tmp_path / "again")])
    assert (tmp_path / "again" / "winloss.xlsx").read_bytes() == first
