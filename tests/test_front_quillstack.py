"""The draft on fixtures/quillstack, the sixth held-out study (no stance, theme or label rule has been written from
it): what its first run said that a careful analyst would not sign, where the cause was general and the fix
touched neither stance nor themes. Each check reads the run's own report and CSVs."""
from __future__ import annotations

import csv

import pytest
from studies import front_and_appendix as report
from studies import rows, run_copy


@pytest.fixture(scope="module")
def quillstack(tmp_path_factory):
    return run_copy(tmp_path_factory, "quillstack")


def test_a_rival_the_buyer_names_against_us_fills_a_blank_competitor(quillstack):
    """L5 ("On the tender scoring Clausewell came out ahead") and L8 ("Papertrail didn't charge for them") were lost
    to those rivals; the HubSpot export left their Competitor blank and the draft counted both as no decision."""
    losses = {r["deal_id"]: r for r in rows(quillstack, "loss_types.csv")}
    with open(quillstack.out_dir.parent / "quillstack" / "interviews.csv", encoding="utf-8", newline="") as f:
        deal_of = {r["interview_id"]: r["deal_id"] for r in csv.DictReader(f)}
    assert losses[deal_of["INT-L5"]]["competitor"] == "Clausewell"
    assert losses[deal_of["INT-L8"]]["competitor"] == "Papertrail"
    assert losses[deal_of["INT-L2"]]["competitor"] == ""  # acquired: no decision, though it names Clausewell
    front, appendix = report(quillstack)
    assert "Why buyers chose Papertrail, in the 3 interviewed losses" in front
    assert "Of 12 losses, 9 went to a competitor and 3 to no decision" in appendix
    assert {r["account"] for r in rows(quillstack, "nurture.csv")} == {"Ellery Manufacturing", "Lindgren & Moss"}


def test_no_criterion_means_no_score_no_band_and_no_back_test(quillstack):
    """The study's CRM sets no criterion apart, yet the draft put both open deals in "band C (deprioritise)" and
    back-tested a scorecard on which every deal scored 0."""
    front, appendix = report(quillstack)
    assert "there is no criterion to score accounts on" in appendix
    assert "band C" not in front and "## Open pipeline" not in front
    assert "scorecard puts" not in appendix and "wins score 70+" not in front + appendix
    for name in ("open_pipeline.csv", "loss_types.csv"):
        assert all(r["band"] == "" and r["score"] == "" for r in rows(quillstack, name)), name


def test_what_the_buyer_said_agrees_with_the_crm_when_it_says_the_same(quillstack):
    """L2's CRM reason is "No decision - acquired, parent has its own CLM", and its buyer says "We were acquired in
    June": no disagreement. L6's buyer "will be back in touch in the spring": a re-contact date."""
    front, appendix = report(quillstack)
    rep_vs_buyer = appendix.split("### What the rep recorded vs what the buyer said", 1)[1].split("\n## ", 1)[0]
    assert "Ostrander Chemicals" not in rep_vs_buyer
    nurture = {r["account"]: r for r in rows(quillstack, "nurture.csv")}
    assert nurture["Lindgren & Moss"]["recontact"] == "2027-03-01"


def test_a_win_line_tells_its_churn_side(quillstack):
    """A theme praised by won buyers and criticised by churned ones more often than by the rest, short of a flip:
    the first draft said only "praised in 5 of 10 won interviews" ("Sales team"). Every such win driver in run.json
    carries its other side, and the front's and appendix's lines say it."""
    import json

    drivers = json.loads((quillstack.out_dir / "run.json").read_text(encoding="utf-8"))["drivers"]
    sided = [d for d in drivers if d["cohort"] == "won" and d["against"]]
    assert sided, "the premise: a win driver that churned customers criticise"
    front, appendix = report(quillstack)
    for d in sided:
        line = next(x for x in front.splitlines() if x.startswith(f"- {d['label']}: praised in"))
        assert "; yet criticised or missed in" in line
        assert f"**Also** {d['against']}." in appendix or d["flip"]  # a flip says its other side itself


def test_with_no_gate_the_competitor_block_still_says_what_its_losses_name(quillstack):
    """No deal's fit is known (no gate), so there is no playbook verdict; the first draft stopped at "No verdict"
    although reps and buyers agree: Papertrail's buyers left over approver seats' price, Clausewell's for AI
    redlining our product lacks. Each side's count is given."""
    front, _ = report(quillstack)
    block = {name: front.split(f"### {name}\n", 1)[1].split("\n#", 1)[0] for name in ("Papertrail", "Clausewell")}
    assert "No verdict on fit (the ICP has no gate), but what these losses name is price" in block["Papertrail"]
    assert "No verdict on fit (the ICP has no gate), but what these losses name is a product gap" \
        in block["Clausewell"]
    assert "Verdict:" not in front  # no playbook verdict without a fit
    # and each becomes a decision, as a verdict would: the largest competitive losses are not left to the appendix
    decisions = front.split("## Decisions\n", 1)[1].split("\n## ", 1)[0]
    assert "**Product.** Close the product gap behind Clausewell: $312k in 5 deals lost to it (fit not tested)" \
        in decisions
    assert "**Sales.** Arm Sales with an answer to Papertrail's price" in decisions
    # a reason against us that won buyers praise is said with its praise
    assert "Quillstack's approvals (against us in 3 of 3; praised in 8 of 10 won interviews)" in block["Papertrail"]


def test_with_no_criterion_the_icp_speaks_of_the_groups_it_compared(quillstack):
    """No accounts.csv and no criterion: the draft compared won with lost deals, so it must not say "our best
    customers are not yet set apart from problematic ones", define criteria by best customers, announce "One ICP",
    or call back-tests that do not exist upper bounds."""
    _, appendix = report(quillstack)
    assert "our won deals are not yet set apart from lost deals" in appendix
    assert "best customers are not yet set apart" not in appendix
    proposed = appendix.split("## Proposed ICP\n", 1)[1].split("\n## ", 1)[0]
    assert "Primary criteria are present in nearly all won deals" in proposed and "best customers" not in proposed
    assert "One ICP" not in proposed
    notes = appendix.split("## Confidence notes\n", 1)[1].split("\n## ", 1)[0]
    assert "no criterion was found, so there is no scorecard to back-test" in notes
    assert "in-sample back-test" not in notes
