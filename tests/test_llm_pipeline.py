"""`winloss run` with and without an LLM, against a real local OpenAI-protocol server, on the demo study."""
from __future__ import annotations

import json
import logging
import re
import shutil

import pandas as pd
import pytest
from conftest import DEMO
from llm_server import LlmServer, demo_responder, error

from winloss.interviews.study import load_interviews
from winloss.interviews.transcripts import parse_transcript
from winloss.pipeline import run

LLM_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "WINLOSS_LLM_BASE_URL", "WINLOSS_LLM_MODEL")


@pytest.fixture(scope="module")
def embedder():
    from winloss.themes.embedding import Embedder

    return Embedder()


@pytest.fixture
def study(tmp_path):
    path = tmp_path / "demo"
    shutil.copytree(DEMO, path, ignore=shutil.ignore_patterns("codebook*"))
    return path


@pytest.fixture
def server(monkeypatch):
    for name in LLM_ENV:
        monkeypatch.delenv(name, raising=False)
    srv = LlmServer().start()

    srv.responder = demo_responder
    yield srv
    srv.stop()


def speaker_names(study) -> set[str]:
    interviews, _ = load_interviews(study)
    return {turn.speaker for i in interviews for turn in parse_transcript(i.file).turns}


def test_labels_from_the_llm_then_a_rerun_sends_nothing(study, server, embedder, tmp_path):
    flags = {"base_url": server.base_url, "model": "test-model"}
    result = run(study, tmp_path / "out", embedder=embedder, llm_flags=flags)
    assert result.exit_code == 0
    n_themes = result.counts.themes
    themes = (tmp_path / "out" / "themes.csv").read_text(encoding="utf-8")
    assert themes.count("Specific issue number") == n_themes
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "Customers describe issue 1." in report and "theme labels from the LLM" in report
    record = json.loads((tmp_path / "out" / "run.json").read_text())["llm"]
    assert record["enabled"] and record["settings"]["api_key"] is None
    assert {u["task"]: u["status"] for u in record["uses"]} == {"labels": "llm", "merges": "llm",
                                                                 "loss_notes": "llm", "stance": "llm",
                                                                 "summary": "llm"}
    assert "LLM reading of loss notes: budget freeze" in (tmp_path / "out" / "loss_types.csv").read_text()
    assert re.search(r"We analysed \d+ closed deals\. \[\d+\]", report)
    headline = report.split("## Headline findings")[1].split("\n## ")[0]
    assert "stands out. [T" in headline and "> —" in headline
    sent = len(server.requests)
    n_notes = next(u["items"] for u in record["uses"] if u["task"] == "loss_notes")
    n_unsure = next(u["items"] for u in record["uses"] if u["task"] == "stance")
    # one label per theme, one duplicate review, loss notes 20 a call, unsure statements 25 a call, one summary
    assert sent == n_themes + 1 + -(-n_notes // 20) + -(-n_unsure // 25) + 1
    # the unsure statements carry the LLM's reading (here: one that agrees with the answer key), the rest stay offline
    statements = pd.read_csv(tmp_path / "out" / "statements.csv", keep_default_na=False)
    read = statements[statements["stance_source"] == "llm"]
    assert 0 < len(read) == n_unsure < len(statements)
    # the report says who read the stances its drivers rest on
    assert f"with the LLM re-reading the {n_unsure} of {len(statements)} statements it was least sure of" in report
    key = read.merge(pd.read_csv(DEMO / "stance_key.csv"), on="statement_id", suffixes=("", "_key"))
    assert len(key) and (key["stance"] == key["stance_key"]).all()
    # with redaction on (the default), no speaker name or part of one leaves the machine, nor the people the
    # customers mention (the demo's Kevin, Carolyn, Denise), in any case
    raw = "\n".join(r["raw"] for r in server.requests)
    for name in speaker_names(study) | {"Kevin", "Carolyn", "Denise"}:
        for part in [name] + name.split():
            if len(part) >= 3 and part[0].isupper():
                for form in (part, part.lower()):
                    assert not re.search(rf"(?<!\w){re.escape(form)}(?!\w)", raw), form
    # a fresh copy of the study (no codebook from the first run): the answers come from the cache
    fresh = tmp_path / "fresh"
    shutil.copytree(DEMO, fresh, ignore=shutil.ignore_patterns("codebook*"))
    rerun = run(fresh, tmp_path / "out2", embedder=embedder, llm_flags=flags)
    assert len(server.requests) == sent and rerun.exit_code == 0
    assert (tmp_path / "out2" / "themes.csv").read_text(encoding="utf-8") == themes
    first, second = (json.loads((tmp_path / d / "run.json").read_text()) for d in ("out", "out2"))
    assert first["llm"] == second["llm"]  # run.json's LLM record does not depend on the cache
    assert first["timings"]["llm_requests"]["requests"] == sent
    assert (second["timings"]["llm_requests"]["cache_hits"], second["timings"]["llm_requests"]["requests"]) == (sent, 0)
    # the study's codebook now holds the LLM labels: a rerun of the same study keeps them and asks nothing
    again = run(study, tmp_path / "out3", embedder=embedder, llm_flags=flags)
    assert len(server.requests) == sent and again.exit_code == 0
    assert (tmp_path / "out3" / "themes.csv").read_text(encoding="utf-8").count("Specific issue number") == n_themes


def test_a_codebook_with_offline_labels_is_relabelled_but_renamed_themes_are_kept(study, server, embedder,
                                                                                   tmp_path):
    run(study, tmp_path / "offline", embedder=embedder)  # writes a codebook, offline labels
    book = (study / "codebook.toml").read_text(encoding="utf-8")
    first_label = re.search(r'label = "([^"]+)"', book).group(1)
    (study / "codebook.toml").write_text(book.replace(f'label = "{first_label}"', 'label = "Chosen by a person"', 1),
                                         encoding="utf-8")
    run(study, tmp_path / "out", embedder=embedder,
        llm_flags={"base_url": server.base_url, "model": "test-model"})
    labels = [line.split(",")[1] for line in
              (tmp_path / "out" / "themes.csv").read_text(encoding="utf-8").splitlines()[1:]]
    assert "Chosen by a person" in labels
    assert sum(label.startswith("Specific issue number") for label in labels) == len(labels) - 1


def test_no_llm_configured_sends_nothing(study, server, embedder, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")  # a key alone, even with the openai base URL variable set,
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)  # must not switch the LLM on
    result = run(study, tmp_path / "out", embedder=embedder)
    assert result.exit_code == 0 and server.requests == []
    record = json.loads((tmp_path / "out" / "run.json").read_text())["llm"]
    assert not record["enabled"] and record["uses"][0]["status"] == "off"
    assert "Specific issue" not in (tmp_path / "out" / "themes.csv").read_text(encoding="utf-8")


def test_dry_run_counts_calls_and_sends_nothing(study, server, embedder, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="winloss"):
        run(study, tmp_path / "out", embedder=embedder, dry_run=True,
            llm_flags={"base_url": server.base_url, "model": "test-model"})
    assert server.requests == []
    n_themes = len((tmp_path / "out" / "themes.csv").read_text(encoding="utf-8").splitlines()) - 1
    match = re.search(r"LLM dry run: (\d+) call\(s\), about (\d+) tokens", caplog.messages[-1])
    assert match and int(match.group(1)) > n_themes + 1 and int(match.group(2)) > 1000


def test_a_failing_endpoint_never_fails_the_run(study, server, embedder, tmp_path):
    server.responder = lambda body: error(500)
    result = run(study, tmp_path / "out", embedder=embedder,
                 llm_flags={"base_url": server.base_url, "model": "test-model", "max_retries": 1})
    assert result.exit_code == 0
    assert len(server.requests) <= 2 * 4 * 2  # concurrency 4, then the endpoint is given up on
    record = json.loads((tmp_path / "out" / "run.json").read_text())["llm"]
    assert {u["status"] for u in record["uses"]} == {"fallback"} and len(record["uses"]) == 5
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "theme labels: offline" in report


def test_cli_flags(study, server, tmp_path):
    from click.testing import CliRunner

    from winloss.cli import main

    url = ["--llm-base-url", server.base_url, "--llm-model", "test-model"]
    off = CliRunner().invoke(main, ["run", str(study), "--out", str(tmp_path / "a"), *url, "--no-llm"])
    assert off.exit_code == 0, off.output
    dry = CliRunner().invoke(main, ["run", str(study), "--out", str(tmp_path / "b"), *url, "--dry-run"])
    assert dry.exit_code == 0 and re.search(r"LLM dry run: \d+ call\(s\)", dry.output), dry.output
    assert server.requests == []
    live = CliRunner().invoke(main, ["run", str(study), "--out", str(tmp_path / "c"), *url])
    assert live.exit_code == 0 and len(server.requests) > 0
    assert json.loads((tmp_path / "c" / "run.json").read_text())["llm"]["settings"]["redact"] is True
    (study / "codebook.toml").unlink()  # so the themes are labelled again, now without redaction
    sent = len(server.requests)
    plain = CliRunner().invoke(main, ["run", str(study), "--out", str(tmp_path / "d"), *url, "--no-redact"])
    assert plain.exit_code == 0 and len(server.requests) > sent
    raw = "\n".join(r["raw"] for r in server.requests[sent:])
    assert any(name in raw for name in speaker_names(study) if len(name) > 3)
