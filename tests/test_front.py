"""The report's front: on the demo, a reviewer who reads only the front gets every planted conclusion, in under
1,200 words, with numbers as sentences; on crafted inputs, the rules behind its verdicts and decisions."""
from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import pandas as pd

from winloss.crm.assurance import dollars
from winloss.crm.icp import Criterion, assess
from winloss.crm.loss_types import classify_loss
from winloss.crm.settings import LossRules
from winloss.models import Statement
from winloss.outputs.front import build_front
from winloss.outputs.front_crm import trigger_line, verdict_of
from winloss.outputs.front_followup import NURTURE_ROWS
from winloss.outputs.report import render
from winloss.themes.drivers import Driver, Evidence
from winloss.themes.quotes import Quote

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
LIMIT = 1200
FRONT_SECTIONS = ["## Decisions", "## Old vs new ICP", "## Competitors", "## Churn", "## No decision",
                  "## Open pipeline", "## Confidence"]


def words(text: str) -> int:
    """Words a reader reads: tokens with a letter or digit (table pipes and quote marks are not words)."""
    return sum(1 for w in text.split() if re.search(r"\w", w))


def front_text(run) -> str:
    text = (run.out_dir / "report.md").read_text(encoding="utf-8")
    assert "\n# Appendix" in text
    return text.split("\n# Appendix", 1)[0]


def section(front: str, heading: str) -> str:
    return front.split(heading + "\n", 1)[1].split("\n## ", 1)[0]


def rows(run, name: str) -> list[dict]:
    with open(run.out_dir / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_demo_front_comes_first_fits_the_limit_and_keeps_the_appendix(demo_run):
    front = front_text(demo_run)
    report = (demo_run.out_dir / "report.md").read_text(encoding="utf-8")
    appendix = report.split("\n# Appendix", 1)[1]
    assert words(front) < LIMIT, words(front)
    headings = [line for line in front.splitlines() if line.startswith("## ")]
    assert [h for h in headings if h in FRONT_SECTIONS] == FRONT_SECTIONS
    for kept in ("## Scope", "## Headline findings", "## Why we win", "## Why we lose", "## Proposed ICP",
                 "## Money, open pipeline and nurture list", "## Themes", "## Confidence notes"):
        assert kept in appendix, kept
    assert "Left off this front" not in front  # the demo's front agrees with its appendix
    assert not [w for w in json.loads((demo_run.out_dir / "run.json").read_text())["warnings"]
                if w.startswith("front:")]


def test_numbers_in_the_front_are_sentences_without_test_statistics(demo_run):
    front = front_text(demo_run)
    assert not re.search(r"\b[pq][ -](?:value)?\s*[<=]?\s*0?\.\d", front)
    for word in ("Fisher", "lift", "q-value", "BH q", "Benjamini"):
        assert word not in front.replace("p- and q-values are in the appendix", ""), word
    decisions = section(front, "## Decisions")
    items = [line for line in decisions.splitlines() if re.match(r"\d\. ", line)]
    assert 3 <= len(items) <= 5
    for item in items:
        owner = re.match(r"\d\. \*\*(.+?)\.\*\*", item).group(1)
        assert owner in {"Product", "Sales", "Marketing", "Customer Success", "RevOps"}
        assert re.search(r"\d+ of \d+|\d+ right-fit deals", item) and "$" in item, item
        assert "*Next quarter's metric:*" in item


def test_reader_of_the_front_gets_every_planted_conclusion(demo_run):
    planted = json.loads((DEMO / "crm_planted.json").read_text())
    front = front_text(demo_run)
    decisions = section(front, "## Decisions")
    # the gate: who is in, as a RevOps qualification decision; who is out, in the ICP changes
    gate = next(line for line in decisions.splitlines() if "**RevOps.**" in line)
    assert all(label in gate for label in planted["primary"]), gate
    icp = section(front, "## Old vs new ICP")
    assert all(label in icp for label in planted["gate_negatives"])
    assert "predicts both wins and retention" in icp
    # the product-gap competitor: right fit, so a product decision, not qualification
    gap = planted["product_gap_competitor"]
    block = front.split(f"### {gap}\n", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
    assert "Verdict: product gap" in block and "SOC 2" in block
    assert re.search(rf"\*\*Product\.\*\* [^\n]*{gap}", decisions)
    # Clarion's losses are right fit (a gap to counter); Tallyhub's are mostly wrong fit (qualification)
    assert "Verdict: positioning gap" in front.split("### Clarion\n", 1)[1].split("\n### ", 1)[0]
    assert "Verdict: qualification" in front.split("### Tallyhub\n", 1)[1].split("\n### ", 1)[0]
    # the nurture list: the planted right-fit no-decision deals, named, the same rows as nurture.csv
    no_decision = section(front, "## No decision")
    nurture = rows(demo_run, "nurture.csv")
    assert {r["deal_id"] for r in nurture} == {d for d, t in planted["loss_types"].items() if t == 3}
    # the front lists the soonest re-contacts (nurture.csv's order) and says where the rest are
    assert len(nurture) > NURTURE_ROWS and f"all {len(nurture)} are in nurture.csv" in no_decision
    for r in nurture[:NURTURE_ROWS]:
        assert f"| {r['account']} | {r['deal_id']} | {dollars(float(r['amount']))} |" in no_decision
        assert (r["recontact"] or "not said") in no_decision.split(r["deal_id"], 1)[1].split("\n", 1)[0]
    assert not any(r["deal_id"] in no_decision for r in nurture[NURTURE_ROWS:])
    # the open pipeline per band, as open_pipeline.csv holds it
    pipeline = section(front, "## Open pipeline")
    open_rows = rows(demo_run, "open_pipeline.csv")
    for band in "ABC":
        mine = [r for r in open_rows if r["band"] == band]
        amount = dollars(sum(float(r["amount"] or 0) for r in mine))
        assert re.search(rf"band {band} \([a-z ]+\) {len(mine)} deals?, {re.escape(amount)}", pipeline), band
    # churn: the ARR, who churns, and the champion leaving as a relationship trigger, quoted from one of them
    churn = section(front, "## Churn")
    money = json.loads((demo_run.out_dir / "icp.json").read_text())["money"]
    assert dollars(money["churned_arr"]) in churn and "HubSpot" in churn.split("Who churns:", 1)[1]
    # ... beside the accounts that stayed: counted from the raw export, HubSpot is 1 of the 61 retained won accounts
    accounts = pd.read_csv(DEMO / "crm" / "accounts.csv")
    won = pd.read_csv(DEMO / "crm" / "deals.csv").query("Stage == 'Closed Won'")
    kept = accounts[accounts["Retention Status"].str.lower() != "churned"].merge(won, on="Account ID")
    hubspot = int((kept.drop_duplicates("Account ID")["CRM Platform"] == "HubSpot").sum())
    assert f"CRM platform: HubSpot ({hubspot} of {kept['Account ID'].nunique()})" in churn, churn
    trigger = churn.split("Relationship trigger:", 1)[1]
    n = int(re.match(r" in (\d+) of 8 churned interviews", trigger).group(1))
    champions = json.loads((DEMO / "planted.json").read_text())["champion_left"]["interviews"]
    assert n >= len(champions) - 1
    assert re.search(r"— [^,]+, (INT-\d+)", trigger).group(1) in champions
    # the sync that stops is Product's to fix; watching the relationship stays Customer Success's
    assert re.search(r"\*\*Product\.\*\* Fix [^\n]*\$[^\n]*; Customer Success to watch for a champion leaving "
                     r"\(\d+ of 8 churned", decisions)


def test_every_quote_in_the_front_is_verbatim(demo_run):
    texts = {r["text"] for r in rows(demo_run, "statements.csv")}
    quoted = re.findall(r'^> "(.*)"$', front_text(demo_run), flags=re.MULTILINE)
    assert quoted and all(q in texts for q in quoted)


# ---- crafted ----------------------------------------------------------------------------------------------------

def _driver(theme: str, cohort: str, stance: str, n: int, N: int, n_other: int, N_other: int, label: str) -> Driver:
    s = Statement(f"{theme}-1", f"INT-{theme}", cohort, "Ann", 1.0, 2.0, f"{label} said plainly.",
                  f"{label} said plainly.", 0)
    return Driver(theme, label, cohort, stance, "driver", Evidence(theme, cohort, stance, n, N, n_other, N_other,
                                                                   3.0, 0.01, 0.04), "praised",
                  quotes=(Quote(theme, cohort, s, 1.0),))


def test_without_a_crm_the_front_still_decides_from_the_interviews():
    drivers = {"won": [_driver("T01", "won", "positive", 7, 10, 2, 20, "fast setup")],
               "lost": [_driver("T04", "lost", "negative", 5, 10, 1, 20, "budget freeze"),
                        _driver("T02", "lost", "negative", 6, 10, 1, 20, "missing reports")],
               "churned": [_driver("T03", "churned", "negative", 4, 10, 0, 20, "slow support")]}
    empty = pd.DataFrame(columns=["statement_id", "interview_id", "cohort", "text", "theme_id"])
    front, dropped = build_front(empty, pd.DataFrame(columns=["theme_id", "label"]), empty, drivers, None,
                                 {"won": 10, "lost": 10, "churned": 10})
    assert dropped == []
    assert [d.owner for d in front.decisions] == ["Product", "Customer Success", "Marketing", "Marketing"]
    assert front.decisions[0].text.startswith("Fix missing reports")  # a budget freeze is not Product's to fix
    assert "stalled on budget freeze" in front.decisions[2].text
    assert "7 of 10 won interviews" in front.decisions[-1].text
    text = render({"front": front}, "front/front.md.j2")
    assert "## Decisions" in text and "## Why buyers choose us, and why we lose them" in text
    assert "## Competitors" not in text and "## No decision" not in text
    assert '> "fast setup said plainly."' in text and "4 of 10 churned interviews" in text
    assert "slow support rests on 4 churned interviews" in text  # a thin driver is named under Confidence


def test_competitor_verdicts_follow_the_playbooks_rule():
    def losses(*types_reasons):
        return pd.DataFrame({"deal_id": [f"D{i}" for i in range(len(types_reasons))],
                             "loss_type": [t for t, _ in types_reasons],
                             "loss_reason": [r for _, r in types_reasons]})
    certification = losses((2, "Security review"), (2, "Missing certification"), (2, "Price"))
    assert verdict_of(certification, {}) == "product gap"
    price = losses((2, "Price"), (2, "Price"), (2, "Missing feature"), (1, "Price"))
    assert verdict_of(price, {}) == "positioning gap"  # one feature mention among right-fit price losses
    assert verdict_of(price, {"D0": "needed SSO", "D1": "no API"}) == "product gap"  # what the notes say counts
    assert verdict_of(losses((1, "Price"), (1, "Price"), (2, "Price")), {}) == "qualification"


def test_a_relationship_trigger_is_counted_per_interview_and_quoted_from_quotes_csv_first():
    said = {"S1": ("INT-1", "And then Kevin left, nobody owned it."), "S2": ("INT-2", "Our champion moved on."),
            "S3": ("INT-3", "The sync broke."), "S4": ("INT-4", "She left in May.")}
    statements = pd.DataFrame([{"statement_id": k, "interview_id": i, "cohort": "churned", "text": t}
                               for k, (i, t) in said.items()])
    quotes = pd.DataFrame([{"statement_id": "S4", "interview_id": "INT-4", "quote": said["S4"][1],
                            "speaker": "Ann", "cohort": "churned", "theme_id": "T1", "start": 3.0}])
    line = trigger_line(statements, quotes)
    assert line.text.startswith("Relationship trigger: in 3 of 4 churned interviews")
    assert [q["quote"] for q in line.quotes] == ["She left in May."]
    # one interview is reported as one (n of N says how thin it is), quoted with its own statement
    one = trigger_line(statements[statements["statement_id"].isin(["S1", "S3"])], quotes)
    assert one.text.startswith("Relationship trigger: in 1 of 2 churned interviews")
    assert one.text.endswith(": one customer's story, not yet a pattern.") and not line.text.endswith("pattern.")
    assert [q["quote"] for q in one.quotes] == ["And then Kevin left, nobody owned it."]
    assert trigger_line(statements[statements["statement_id"] == "S3"], quotes) is None


def test_a_behavioural_disqualifier_alone_never_makes_a_deal_wrong_fit():
    common = {"n": 5, "N": 10, "n_other": 1, "N_other": 10, "group": "best customers",
              "other": "problematic customers", "weight": -20}
    hubspot = Criterion("negative", "crm", values=("HubSpot",), label="CRM platform: HubSpot", gate=True,
                        category="technographic", dimension="CRM platform", **common)
    paid = Criterion("negative", "source", values=("Paid Search",), label="Lead source: Paid Search", gate=False,
                     category="behavioural", dimension="Lead source", **common)
    values = pd.DataFrame({"crm": ["Salesforce", "HubSpot"], "source": ["Paid Search", "Referral"]})
    scores, failures = assess(values, [hubspot, paid])
    assert failures == [[], ["hits negative CRM platform: HubSpot"]]
    assert scores.tolist() == [0, 0]  # the behavioural pocket still lowers the score
    rules = LossRules()
    assert classify_loss("D1", "Budget freeze", "", "", failures[0], rules)[0] == 3  # right fit, no decision
    assert classify_loss("D2", "Budget freeze", "", "", failures[1], rules)[0] == 1


def test_since_last_quarter_pairs_drivers_across_relabelled_themes_and_moves_the_icp():
    from winloss.crm.result import CrmAnalysis
    from winloss.outputs.compare import PreviousRun
    from winloss.outputs.front_since import since_lines

    def health(won, closed, kept, known):
        return [{"metric": "win rate", "fit": {"n": won, "N": closed}, "non_fit": {"n": 0, "N": 0}},
                {"metric": "retention", "fit": {"n": kept, "N": known}, "non_fit": {"n": 0, "N": 0}}]

    was = [{"cohort": "won", "theme_id": "T05", "label": "old name", "kind": "driver", "n": 3, "N": 10},
           {"cohort": "lost", "theme_id": "T06", "label": "price", "kind": "driver", "n": 6, "N": 10},
           {"cohort": "churned", "theme_id": "T07", "label": "support", "kind": "driver", "n": 5, "N": 10}]
    icp = {"criteria": [{"label": "Employees 100-500", "kind": "primary"}, {"label": "Industry: Retail",
                                                                           "kind": "secondary"}],
           "health": health(40, 100, 50, 60), "money": {"churned_arr": 300000.0, "churned_accounts": 10}}
    previous = PreviousRun("../q2out", {"won": 10, "lost": 10, "churned": 10}, was, icp)
    now = {"won": [_driver("T01", "won", "positive", 8, 10, 2, 20, "fast setup")],  # T05 last quarter
           "lost": [_driver("T02", "lost", "negative", 6, 10, 1, 20, "missing reports")]}
    employees = Criterion("primary", "emp", "Employees", (), "Employees 100-500", 9, 10, 1, 10, "best customers",
                          "problematic customers")
    crm = CrmAnalysis(problems=[], usable=True, criteria=[employees], health=health(60, 100, 55, 60),
                      money={"churned_arr": 200000.0, "churned_accounts": 5})
    lines = [x.text for x in since_lines(previous, [("T05", "T01", 0.9), ("T06", "T02", 0.85)], now, crm,
                                         {"won": 10, "lost": 10, "churned": 12})]
    assert lines[0] == "Against ../q2out: 32 interviews this quarter, 30 then."
    assert "Rose: fast setup (won: 8 of 10, was 3 of 10)." in lines
    assert not any("missing reports" in x for x in lines)  # T06 -> T02, the same 6 of 10: not a move
    assert "No longer drivers: support (churned: was 5 of 10)." in lines
    assert "ICP criteria since last quarter: dropped: Industry: Retail (secondary)." in lines
    assert "Won 60 of 100 closed deals this quarter, against 40 of 100 last quarter." in lines
    assert any(x.startswith("Churned ARR $200k from 5 accounts, against $300k from 10") for x in lines)


def _crm(gated: bool):
    from winloss.crm.result import CrmAnalysis

    lost = [("D1", "Vaultline", "Security review", "Needed SOC 2 Type II", 90000, "fit", 2),
            ("D2", "Vaultline", "Security review", "", 80000, "fit", 2),
            ("D3", "Vaultline", "Price", "", 70000, "fit", 2),
            ("D4", "Tallyhub", "Price", "flat fee", 10000, "fails Employees 100-500", 1),
            ("D5", "Tallyhub", "Price", "flat fee", 12000, "fails Employees 100-500", 1),
            ("D6", "Tallyhub", "Price", "", 15000, "fit", 2),
            ("D7", "Clarion", "Price", "", 50000, "fit", 2)]  # 1 deal: no block of its own
    deals = pd.DataFrame([{"deal_id": d, "account_id": f"A{d}", "account_name": f"Acme {d}", "excluded": "",
                           "outcome": "lost", "competitor": c, "loss_reason": r, "loss_notes": n, "amount": float(a),
                           "fit": f, "loss_type": float(t), "loss_rule": "", "score": 50.0, "band": "B",
                           "close_date": None, "stage": "Closed Lost"}
                          for d, c, r, n, a, f, t in lost])
    gate = [Criterion("primary", "emp", "Employees", (), "Employees 100-500", 9, 10, 1, 10, "best customers",
                      "problematic customers", gate=True)] if gated else []
    return CrmAnalysis(problems=[], usable=True, deals=deals, criteria=gate)


def test_competitor_blocks_apply_the_playbooks_rule_only_when_the_icp_has_a_gate():
    from winloss.outputs.front import appendix_of
    from winloss.outputs.front_crm import competitor_blocks

    empty = pd.DataFrame(columns=["statement_id", "interview_id", "cohort", "text", "theme_id"])
    for gated in (True, False):
        crm = _crm(gated)
        blocks = competitor_blocks(crm, appendix_of(crm, {}), {}, empty, pd.DataFrame(columns=["theme_id", "label"]),
                                   empty)
        assert [b.name for b in blocks] == ["Vaultline", "Tallyhub"]  # 3+ deals each; most deals, then value
        vault, tally = blocks
        assert (vault.deals, vault.value, vault.right_fit) == (3, 240000.0, 3)
        if gated:
            assert (vault.verdict, tally.verdict) == ("product gap", "qualification")
            assert "no lost buyer was interviewed" in vault.lines[1].text and "SOC 2" in vault.lines[1].text
        else:
            assert vault.verdict == tally.verdict == "unknown"
            assert "their fit is unknown" in vault.lines[0].text and vault.lines[2].text.startswith("No verdict")
            assert all(x.claim is None for b in blocks for x in b.lines)


def test_the_demo_front_names_its_flips_shows_each_quote_once_and_stands_out_only_on_a_tested_theme(demo_run):
    from winloss.crm.evidence import themes_apart

    front = front_text(demo_run)
    decisions = section(front, "## Decisions")
    assert "**RevOps.** Qualify every new deal on the ICP's gate" in decisions  # the demo's gate predicts wins
    churn_fix = next(line for line in decisions.splitlines() if "churned interviews criticise it" in line)
    assert "churned interviews criticise it, against" in churn_fix
    # both planted flips (CRM integration, support: praised by won, criticised by churned) are named as flips
    why = [line for line in section(front, "## Churn").splitlines() if line.startswith("- Why:")]
    assert len(why) == 2 and all("a flip: praised in" in w for w in why), why
    assert "a flip" in churn_fix
    quotes = re.findall(r'^> "(.+)"$', front, re.MULTILINE)
    assert quotes and len(quotes) == len(set(quotes))  # one remark never backs two sentences
    report = (demo_run.out_dir / "report.md").read_text(encoding="utf-8")
    statements = pd.read_csv(demo_run.out_dir / "statements.csv", keep_default_na=False)
    labels = {r["label"]: r["theme_id"] for r in rows(demo_run, "themes.csv")}
    churned = sorted(set(statements.loc[statements["cohort"] == "churned", "interview_id"]))
    for label in re.findall(r'Churned customers stand out on "([^"]+)"', report):
        assert labels[label] in themes_apart(statements, churned), label


def test_the_report_says_who_read_the_stances():
    from winloss.outputs.front import stance_basis

    offline = pd.DataFrame({"stance": ["positive", "negative"], "stance_source": ["offline", "offline"]})
    assert stance_basis(offline).startswith(
        "an offline scorer right on 48-85 % (by study) of 1,140 hand-labelled statements")
    assert "LLM" not in stance_basis(offline)
    # the n is every interview study's stance key, so a new key cannot leave the report's figure stale
    keyed = sum(len(pd.read_csv(k)) for k in sorted(DEMO.parent.glob("*/stance_key.csv")))
    assert f"of {keyed:,} hand-labelled statements" in stance_basis(offline), keyed
    refined = offline.assign(stance_source=["llm", "offline"])
    assert stance_basis(refined).endswith("with the LLM re-reading the 1 of 2 statements it was least sure of")


def test_with_a_crm_but_no_competitor_block_the_front_still_says_why_we_lose():
    """Maven's export names no competitor and none took three deals: the front names the firm loss drivers and
    circumstances instead, strongest first, each quoted, where it had said nothing about why we lose."""
    from dataclasses import replace

    from winloss.outputs.front import loss_lines

    price = _driver("T07", "lost", "negative", 7, 10, 5, 20, "Pricing model")
    freeze = replace(_driver("T10", "lost", "neutral", 5, 10, 0, 20, "Budget got reallocated"), kind="circumstance",
                     verb="mentioned as a circumstance, not a judgement of us,",
                     evidence=Evidence("T10", "lost", "neutral", 5, 10, 0, 20, math.inf, 0.002, 0.027))
    weak = replace(_driver("T12", "lost", "negative", 3, 10, 1, 20, "Tallyhub's forecast"),
                   evidence=Evidence("T12", "lost", "negative", 3, 10, 1, 20, 6.0, 0.095, 0.381))
    lines = loss_lines({"lost": [price, weak, freeze]})
    assert [x.text for x in lines] == [
        "Budget got reallocated: mentioned as a circumstance, not a judgement of us, in 5 of 10 lost interviews "
        "against 0 of 20 others.",
        "Pricing model: criticised or missed in 7 of 10 lost interviews against 5 of 20 others."]
    assert all(x.quotes for x in lines)
    assert [x.text for x in loss_lines({"lost": [weak]})] == [  # no firm one: the strongest, said to be weak
        "Tallyhub's forecast: criticised or missed in 3 of 10 lost interviews against 1 of 20 others (with every "
        "driver this report could name tested, a gap this size can be chance: a lead to check in its quotes, not a "
        "finding)."]


def test_confidence_names_what_the_counts_leave_out():
    from winloss.models import Coverage
    from winloss.outputs.front import coverage_lines

    assert coverage_lines(None, 20) == [] and coverage_lines(Coverage(20), 20) == []
    lines = coverage_lines(Coverage(22, ("INT-07", "INT-19"), ("INT-03",), ("INT-11",)), 20, (30, 100))
    assert lines == [
        "30 of 100 statements (30%) fit no theme: a topic missing from this page may be among them (statements.csv, "
        "empty theme_id).",
        "2 of the 22 listed interviews could not be read (INT-07, INT-19) and are in no count: see the appendix's "
        "problems.",
        "In 1 interview (INT-03) the interviewer could not be told from the customer: some counted statements may "
        "be the interviewer's.",
        "1 interview is not in English (INT-11): counted in themes, their stances neutral unless the LLM read them."]
    # a quarter is the line: below it, no note
    assert coverage_lines(Coverage(20), 20, (24, 100)) == []


def test_a_churn_driver_about_the_product_failing_is_products_to_fix():
    from dataclasses import replace

    from winloss.outputs.decisions import churn_owner

    assert churn_owner(_driver("T05", "churned", "negative", 6, 9, 2, 21, "Arrival-window texts")) == "Product"
    assert churn_owner(_driver("T03", "churned", "negative", 4, 10, 0, 20, "slow support")) == "Customer Success"
    broke = _driver("T06", "churned", "negative", 4, 10, 0, 20, "Changes in Salesforce")
    said = ["We'd add a field and the sync would just stop.", "Nobody at your side noticed for a week.",
            "Every renewal the numbers were stale again."]
    broke = replace(broke, quotes=tuple(replace(q, statement=replace(q.statement, text=t, turn_text=t))
                                        for q, t in zip(broke.quotes * 3, said)))
    assert churn_owner(broke) == "Product"  # two of three quotes tell the product failing
    said = ["We're on HubSpot, and the sync was... not great. Like, deals would just stop updating.",
            "Nobody at your side noticed for a week.", "Every renewal the numbers were stale again."]
    broke = replace(broke, quotes=tuple(replace(q, statement=replace(q.statement, text=t, turn_text=t))
                                        for q, t in zip(broke.quotes, said)))
    assert churn_owner(broke) == "Product"  # the demo's own words: the sync "would just stop updating"
