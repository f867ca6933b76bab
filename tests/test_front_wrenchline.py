"""The draft on fixtures/wrenchline, held out whole (no rule has been written from its stance errors): what its first
run said that a careful analyst would not sign, fixed without touching stance or themes. Each check reads the run's
own report and CSVs, and counts from the study's own files where it can."""
from __future__ import annotations

import json
import re

import pytest
from studies import FIXTURES, rows, run_copy
from studies import front_and_appendix as texts


@pytest.fixture(scope="module")
def wrenchline(tmp_path_factory):
    return run_copy(tmp_path_factory, "wrenchline")


def section(text: str, heading: str) -> str:
    return text.split(heading + "\n", 1)[1].split("\n## ", 1)[0] if heading + "\n" in text else ""


def test_the_trigger_is_the_champion_who_retired_not_a_review_left(wrenchline):
    churn = section(texts(wrenchline)[0], "## Churn")
    trigger = churn.split("Relationship trigger:", 1)[1]
    assert "INT-C2" in trigger and "retired" in trigger
    assert "one-star review" not in churn


def test_the_nurture_list_leaves_off_the_company_being_sold_and_reads_the_buyers_date(wrenchline):
    nurture = {r["account"]: r for r in rows(wrenchline, "nurture.csv")}
    assert "Old Mill Electric" not in nurture  # "I'm selling the company"
    assert nurture["Crestview Plumbing"]["recontact"] == "2026-11-01"  # "call us in November" (INT-L9)
    assert nurture["Crestview Plumbing"]["recontact_from"] == "interview INT-L9"
    no_decision = section(texts(wrenchline)[0], "## No decision")
    assert "Old Mill Electric is being sold or closed, as its buyer says in the interview" in no_decision
    # the count of no-decision losses agrees with the appendix's loss types; the list is what is left of it
    front, appendix = texts(wrenchline)
    assert "Of 12 losses, 9 went to a competitor and 3 to no decision" in appendix
    assert f"Re-engage {len(nurture)} of the 3 deals lost to no decision" in front
    assert f"3 deals were lost to no decision; {len(nurture)} worth" in no_decision


def test_a_score_whose_criteria_are_within_chance_routes_no_deal(wrenchline):
    front, appendix = texts(wrenchline)
    assert "The new ICP has no gate" in front  # the premise
    assert "Whether it predicts wins or retention is not measured" in front and "predicts neither" not in front
    assert "(pursue)" not in section(front, "## Open pipeline")
    assert "route none on it while the score's criteria are within chance" in front
    # the appendix's scorecard, 60-second version and actions say the same: bands are named, nothing is pursued
    scorecard = section(appendix, "### Scorecard")
    assert "pursue" not in scorecard and "named only: route no deal on them yet" in scorecard
    assert "it is no rule to route on yet" in section(appendix, "### The 60-second version")
    assert "so next quarter's deals can test Employees up to 14" in section(appendix, "## Actions")
    assert "record it, but route no deal on it yet" in appendix and "route A (" not in appendix
    assert "Best among them" not in appendix and "- Rank higher: Employees up to 14 (within chance)." in appendix


def test_no_rival_is_given_a_reason_its_buyers_said_did_not_decide(wrenchline):
    competitors = section(texts(wrenchline)[0], "## Competitors")
    # JobRoute's buyers raise price to say it did not decide ("Price didn't really come into it")
    assert "Price went up" not in competitors


def test_labels_are_no_sentence_fragments_and_silence_is_said(wrenchline):
    front, _ = texts(wrenchline)
    labels = [r["label"] for r in rows(wrenchline, "themes.csv")]
    assert not [x for x in labels if re.search(r"\b(if|because|unless|although|though|whether)\b", x, re.I)], labels
    # its won and lost praise and complaints are misread, and a cohort with no driver is said to have none
    drivers = json.loads((wrenchline.out_dir / "run.json").read_text(encoding="utf-8"))["drivers"]
    none = [w for c, w in (("won", "win"), ("lost", "loss"), ("churned", "churn"))
            if not any(d["cohort"] == c and d["kind"] == "driver" for d in drivers)]
    assert none, "the premise: some cohort has no driver"
    assert f"No {' or '.join(none)} driver passed the test." in section(front, "## Confidence")


def test_what_the_draft_lacks_is_named_as_the_study_lacks_it(wrenchline):
    """Wrenchline has no crm/accounts.csv and its ICP has no gate: the draft says so, not "accounts.csv has no ARR",
    "12 of 12 pass the gate" or a fit / non-fit table with nothing on one side; a seat label is no name."""
    _, appendix = texts(wrenchline)
    assert not list((FIXTURES / "wrenchline" / "crm").glob("accounts*"))  # the premise
    assert "Churned ARR: not known (no crm/accounts.csv)" in appendix
    assert "No retained-ARR figures (no crm/accounts.csv)" in appendix and "accounts.csv has no ARR" not in appendix
    pressure = section(appendix, "## Pressure tests")
    assert "Nothing to test: there is no current ICP, and the proposed ICP has no gate" in pressure
    assert "pass the proposed ICP's gate" not in pressure
    assert "The proposed ICP has no gate, so every deal counts as fit" in section(appendix, "## ICP health")
    quoted = re.findall(r"^> — ([^,]+), INT-", appendix, flags=re.M)
    assert "customer (Speaker 2)" in quoted and "Speaker 2" not in quoted
