"""LLM refinement of unsure stances, against a real local OpenAI-protocol server: only unsure statements go, redacted
and cohort-blind; a valid answer is used and cached; anything invalid falls back to the offline call."""
from __future__ import annotations

import json
import re

import pytest
from llm_server import LlmServer, error, reply, schema_name

from winloss.llm.steps import open_session, refine_stance
from winloss.models import Statement
from winloss.themes.stance import StanceCall

SPEAKERS = ["Dana Ruiz", "Interviewer"]


def statement(i: int, text: str, cohort: str = "churned") -> Statement:
    return Statement(f"INT-00{i}.001", f"INT-00{i}", cohort, "Dana Ruiz", None, None, text,
                     f"{text} That was in March.", 3, question="How was support?")


STATEMENTS = [statement(1, "Dana Ruiz said the tickets sat for a week."),
              statement(2, "Honestly it was fine, I guess."),
              statement(3, "We have forty reps.", cohort="won"),
              statement(4, "Support answered the same day.")]
# the offline calls: 1 and 2 unsure (low margin), 3 and 4 sure
CALLS = [StanceCall("neutral", 0.0, 0.2), StanceCall("positive", 0.5, 0.4), StanceCall("neutral", 0.0, 2.5),
         StanceCall("positive", 2.0, 3.0)]
READING = {"INT-001.001": "negative", "INT-002.001": "neutral"}


def sent_items(body: dict) -> list[dict]:
    blocks = re.findall(r"<data>\n(.*?)\n</data>", body["messages"][1]["content"], re.DOTALL)
    return json.loads(blocks[-1])  # the statements come last, after our own names and the competitors


def reader(body):
    assert schema_name(body) == "stance"
    return reply({"stances": [{"id": row["id"], "stance": READING[row["id"]]} for row in sent_items(body)]})


@pytest.fixture
def server():
    srv = LlmServer().start()
    srv.responder = reader
    yield srv
    srv.stop()


def session_for(server, tmp_path, dry_run=False, **llm):
    return open_session(llm, {"base_url": server.base_url, "model": "test-model", "max_retries": 0},
                        tmp_path / "cache", speakers=SPEAKERS, dry_run=dry_run, env={})


def test_only_unsure_statements_go_redacted_and_without_their_cohort_and_the_answer_is_used(server, tmp_path):
    session = session_for(server, tmp_path)
    out = refine_stance(session, STATEMENTS, CALLS, ["Clarion"])
    assert [c.stance for c in out] == ["negative", "neutral", "neutral", "positive"]
    assert [c.source for c in out] == ["llm", "llm", "offline", "offline"]
    assert out[2:] == CALLS[2:] and out[0].score == CALLS[0].score  # sure calls untouched, lexicon score kept
    (body,) = server.bodies("stance")
    items = sent_items(body)
    assert [i["id"] for i in items] == ["INT-001.001", "INT-002.001"]
    assert items[0]["question"] == "How was support?" and "That was in March." in items[0]["answer"]
    raw = server.requests[0]["raw"]
    assert "Dana" not in raw and "Ruiz" not in raw  # redacted like every other LLM call
    assert "churned" not in raw and "cohort" not in raw  # stance must not be read from the cohort it is tested on
    assert "Clarion" in raw
    use = session.uses[-1]
    assert (use.task, use.status, use.items, use.from_llm) == ("stance", "llm", 2, 2)
    assert "2 of 2 statements the LLM read changed stance" in use.notes


def test_our_own_names_are_sent_so_a_statement_naming_us_is_read_as_about_us(server, tmp_path):
    named = [statement(1, "Payloom's onboarding was slower than Gustly's.")]
    refine_stance(session_for(server, tmp_path), named, CALLS[:1], ["Gustly"], our_names=["Payloom"])
    blocks = re.findall(r"<data>\n(.*?)\n</data>", server.bodies("stance")[0]["messages"][1]["content"], re.DOTALL)
    assert [json.loads(b) for b in blocks[:2]] == [["Payloom"], ["Gustly"]]
    assert "a statement about them is about us" in server.bodies("stance")[0]["messages"][1]["content"]


def test_a_rerun_is_answered_from_the_cache_and_a_dry_run_counts_calls(server, tmp_path):
    first = refine_stance(session_for(server, tmp_path), STATEMENTS, CALLS)
    again = refine_stance(session_for(server, tmp_path), STATEMENTS, CALLS)
    assert first == again and len(server.requests) == 1
    dry = session_for(server, tmp_path / "other", dry_run=True)
    assert refine_stance(dry, STATEMENTS, CALLS) == CALLS and dry.planned_calls == 1 and len(server.requests) == 1


@pytest.mark.parametrize("bad, why", [
    ({"stances": [{"id": "INT-001.001", "stance": "very negative"}, {"id": "INT-002.001", "stance": "neutral"}]},
     "invalid"),
    ({"stances": [{"id": "INT-001.001", "stance": "negative"}]}, "ids do not match"),
    ({"stances": [{"id": "INT-001.001", "stance": "negative"}, {"id": "INT-009.001", "stance": "neutral"}]},
     "ids do not match"),
    ({"stances": [{"id": "INT-001.001", "stance": "negative"}, {"id": "INT-001.001", "stance": "neutral"},
                  {"id": "INT-002.001", "stance": "neutral"}]}, "an id answered twice"),
    ("not json at all", "invalid"),
])
def test_a_bad_answer_falls_back_to_the_offline_call(server, tmp_path, bad, why):
    server.responder = lambda body: reply(bad)
    session = session_for(server, tmp_path)
    assert refine_stance(session, STATEMENTS, CALLS) == CALLS
    use = session.uses[-1]
    assert (use.status, use.from_llm, use.fell_back) == ("fallback", 0, 2)
    assert any(why in note for note in use.notes), use.notes


def test_one_bad_batch_keeps_the_good_ones(server, tmp_path):
    many = [statement(i, f"Remark number {i}.") for i in range(1, 31)]
    calls = [StanceCall("neutral", 0.0, 0.1)] * 30

    def half_wrong(body):
        items = sent_items(body)
        if len(items) < 25:  # the second batch: answers an id it was not asked about
            return reply({"stances": [{"id": "INT-999.001", "stance": "negative"}]})
        return reply({"stances": [{"id": row["id"], "stance": "negative"} for row in items]})

    server.responder = half_wrong
    session = session_for(server, tmp_path)
    out = refine_stance(session, many, calls)
    assert sum(c.source == "llm" for c in out) == 25 and session.uses[-1].status == "partial"


def test_a_failing_endpoint_and_a_margin_of_zero_leave_the_offline_calls(server, tmp_path):
    server.responder = lambda body: error(500)
    session = session_for(server, tmp_path)
    assert refine_stance(session, STATEMENTS, CALLS) == CALLS and session.uses[-1].status == "fallback"
    server.requests.clear()
    off = session_for(server, tmp_path, stance_margin=0.0)
    assert refine_stance(off, STATEMENTS, CALLS) == CALLS and server.requests == []
    assert off.uses[-1].status == "none"


def test_stance_max_sends_the_least_certain_first(server, tmp_path):
    session = session_for(server, tmp_path, stance_max=1)
    out = refine_stance(session, STATEMENTS, CALLS)
    assert [c.source for c in out] == ["llm", "offline", "offline", "offline"]
