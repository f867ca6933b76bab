"""Hybrid quote search on the demo study: meaning finds paraphrases, keywords find exact phrases, filters hold."""
import json
import re
import sqlite3

import pandas as pd
import pytest
from click.testing import CliRunner
from research_study import shared_embedder

from winloss.cli import main
from winloss.interviews.study import load_interviews
from winloss.outputs.db import DB_NAME, crm_extra, load_vectors, write_database
from winloss.outputs.search import STOP_WORDS, SearchError, SearchIndex, fts_query


@pytest.fixture(scope="module")
def index(demo_run):
    return SearchIndex.open(demo_run.out_dir / DB_NAME)


def search(index, query, **filters):
    return index.search(query, shared_embedder().encode([query])[0], **filters)


def words(text):
    return set(re.findall(r"\w+", text.lower())) - STOP_WORDS


def test_meaning_finds_paraphrases(index):
    query = "it cost more than we could afford"
    hits = search(index, query, limit=5)
    paraphrases = [h for h in hits if not words(h.quote) & words(query)]
    assert any(re.search(r"budget|pric|quote|expensive", h.quote, re.I) for h in paraphrases), hits
    assert all(h.similarity > 0.3 for h in hits)


def test_keywords_find_exact_phrases(index):
    hits = search(index, '"SOC 2"', limit=5)
    assert len(hits) == 5 and all("soc 2" in h.quote.lower() and h.keyword > 0 for h in hits)
    # A phrase in quotes must appear as a phrase: "SOC 2" is not "2 ... SOC".
    assert fts_query('"SOC 2" report') == '"SOC 2" OR "report"'


def test_every_quote_is_verbatim_with_provenance(index, demo_run):
    statements = pd.read_csv(demo_run.out_dir / "statements.csv", keep_default_na=False).set_index("statement_id")
    for h in search(index, "the setup took forever", limit=10):
        row = statements.loc[h.statement_id]
        assert (h.quote, h.interview_id, h.speaker, h.cohort) == (row.text, row.interview_id, row.speaker, row.cohort)


def test_filters(index):
    assert {h.cohort for h in search(index, "security review", cohort="Closed Lost", limit=20)} == {"lost"}
    some = search(index, "security review", limit=1)[0]
    assert {h.interview_id for h in search(index, "pricing", interview=some.interview_id, limit=50)} == \
        {some.interview_id}
    themed = [t for t in index.themes if (index.theme_ids == t).sum() >= 3]
    tid = themed[0]
    by_id = search(index, "pricing", theme=tid, limit=50)
    by_label = search(index, "pricing", theme=index.themes[tid].upper(), limit=50)
    assert by_id == by_label and {h.theme_id for h in by_id} == {tid}
    assert {h.theme_id for h in search(index, "pricing", theme="unassigned", limit=20)} == {None}
    with pytest.raises(SearchError, match="not found; known themes"):
        search(index, "pricing", theme="no such theme at all")
    with pytest.raises(SearchError, match="unknown cohort"):
        search(index, "pricing", cohort="maybe")


def test_competitor_filter_with_the_demo_crm(demo_run, tmp_path):
    from winloss.crm.analysis import analyse_crm

    out = demo_run.out_dir
    study = out.parent / "demo"
    interviews, _ = load_interviews(study)
    frames = {f: pd.read_csv(out / f"{f}.csv", keep_default_na=False) for f in ("statements", "themes", "quotes")}
    extra = crm_extra(analyse_crm(study, interviews, frames["statements"], frames["themes"], frames["quotes"], None))
    to_clarion = {iid for iid, fields in extra.items() if fields["competitor"] == "Clarion"}
    assert to_clarion and all(extra[i]["loss_type"] for i in to_clarion)
    vectors = load_vectors(sqlite3.connect(out / DB_NAME))
    write_database(tmp_path, interviews, frames["statements"], frames["themes"], pd.read_csv(out / "theme_cohorts.csv"),
                   vectors, index_model(out), extra)
    hits = search(SearchIndex.open(tmp_path / DB_NAME), "why we chose them", competitor="clarion", limit=50)
    assert hits and {h.interview_id for h in hits} <= to_clarion and {h.competitor for h in hits} == {"Clarion"}
    assert all(h.account == extra[h.interview_id]["account"] for h in hits)


def index_model(out):
    return sqlite3.connect(out / DB_NAME).execute("SELECT value FROM meta WHERE key = 'model_id'").fetchone()[0]


def test_cli_json(demo_run):
    db = demo_run.out_dir / DB_NAME
    result = CliRunner().invoke(main, ["search", "too expensive", "--db", str(db), "--cohort", "lost", "--limit", "3",
                                       "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert len(hits) == 3 and all(h["cohort"] == "lost" for h in hits)
    for key in ("interview_id", "cohort", "speaker", "start", "end", "theme_id", "theme_label", "quote", "score"):
        assert key in hits[0]
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    bad = CliRunner().invoke(main, ["search", "x", "--db", str(db.parent / "missing.db")])
    assert bad.exit_code == 2 and "no such database" in bad.output
