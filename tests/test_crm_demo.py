"""The demo study's synthetic CRM export (fixtures/make_demo_crm.py): the analysis recovers what was planted, the
outputs are deterministic, and the ICP draft renders with verbatim quotes in the field's order."""
import filecmp
import json
import re

import pandas as pd
import pytest
from conftest import DEMO

from winloss.crm import analyse_crm
from winloss.interviews.study import load_interviews

TEXT = ("theme_id", "interview_id", "statement_id", "cohort", "speaker", "text", "label", "keywords", "quote")


def read(out, name):
    """An output table as the pipeline holds it: text columns as strings ('' when empty), numbers as numbers."""
    table = pd.read_csv(out / name, dtype={c: str for c in TEXT})
    for column in TEXT:
        if column in table:
            table[column] = table[column].fillna("")
    return table


@pytest.fixture(scope="module")
def demo(demo_run):
    out = demo_run.out_dir
    interviews, _ = load_interviews(DEMO)
    statements, themes, quotes = read(out, "statements.csv"), read(out, "themes.csv"), read(out, "quotes.csv")
    analysis = analyse_crm(DEMO, interviews, statements, themes, quotes, {})
    return analysis, statements, themes, quotes, demo_run


def test_demo_crm_is_clean_and_every_interview_joins(demo):
    a = demo[0]
    assert a.usable and a.problems == []
    assert len(a.deals) == 142 and (a.deals["excluded"] == "open").sum() == 3
    assert sum(1 for j in a.joins if j.deal_id) == 30


def test_planted_profile_is_recovered(demo):
    a = demo[0]
    kinds = {c.label: c.kind for c in a.criteria}
    assert kinds["Employees 201-1000"] == "primary"
    assert kinds["CRM platform: Salesforce"] == "primary"
    assert any(k == "secondary" and label.startswith("Lead source:") and "Partner" in label and "Referral" in label
               for label, k in kinds.items())
    assert kinds["CRM platform: HubSpot"] == "negative"
    assert kinds["Employees 11-200"] == "negative"
    assert not any(label.startswith("Country") for label in kinds)  # no pattern was planted there
    country = a.segments[a.segments["key"] == "country"]
    assert (country["q_win"] > 0.05).all() and (country["q_best"] > 0.05).all()


def test_critical_question_competitor_losses(demo):
    c = demo[0].critical
    by = {b["competitor"]: b for b in c["by_competitor"]}
    assert by["Clarion"]["n_fit"] / by["Clarion"]["N"] >= 0.8  # Clarion beats us on our best-fit deals
    assert by["Tallyhub"]["n_fit"] / by["Tallyhub"]["N"] <= 0.5  # Tallyhub mostly wins deals that never fit
    assert c["answer"] == "partly"
    assert c["lost_to_competitor"]["n"] / c["lost_to_competitor"]["N"] > c["other_losses"]["n"] / c["other_losses"]["N"]


def test_loss_types_of_interviewed_deals(demo):
    table = demo[0].loss_table().set_index("deal_id")
    assert len(table) == 65
    assert table.loc["OPP-2063", "loss_type"] == 3  # Harbor & Finch: budget freeze
    assert table.loc["OPP-2039", "loss_type"] == 2  # Bluefin: Clarion
    assert table.loc["OPP-2078", "loss_type"] == 1  # Northgate: 80 employees, lost to Tallyhub
    assert table.loc["OPP-2078", "rule"].startswith("profile: fails Employees 201-1000")
    assert table.loc["OPP-2054", "rule"] == "competitor recorded: Clarion"  # Everly: the rep's story


def test_backtest(demo):
    bt = demo[0].backtest
    assert bt["wins"] == 74 and bt["losses"] == 65
    assert bt["wins_at_or_above_a"] / bt["wins"] >= 0.65
    bands = {b["band"]: b for b in bt["bands"]}
    assert bands["A"]["win_rate"] > bands["C"]["win_rate"]
    assert bands["C"]["problematic"] >= 0.9 * sum(b["problematic"] for b in bt["bands"])


def test_changes_from_the_current_icp(demo):
    changes = {(r["change"], r["current"].split(" (")[0] or r["proposed"].split(" (")[0]) for r in demo[0].changes}
    assert ("changed", "Employees 51-1000") in changes
    assert ("dropped", "Industry: Retail or Software") in changes
    assert ("added", "CRM platform: Salesforce") in changes


def test_outputs_are_deterministic_and_complete(demo, tmp_path):
    a = demo[0]
    a.write(tmp_path / "one")
    a.write(tmp_path / "two")
    for name in ("icp.json", "loss_types.csv", "segments.csv"):
        assert filecmp.cmp(tmp_path / "one" / name, tmp_path / "two" / name, shallow=False), name
    loss = pd.read_csv(tmp_path / "one" / "loss_types.csv", dtype=str, keep_default_na=False)
    assert list(loss.columns) == ["deal_id", "account", "loss_type", "loss_type_name", "rule", "competitor",
                                  "loss_reason", "score", "band"]
    assert list(loss["deal_id"]) == sorted(loss["deal_id"])
    seg = pd.read_csv(tmp_path / "one" / "segments.csv", dtype=str, keep_default_na=False)
    assert all(re.fullmatch(r"\d\.\d{4}|", v) for v in seg["win_rate"])
    icp = (tmp_path / "one" / "icp.json").read_text()
    assert '"wins_at_or_above_a": 52' in icp and '"Employees 201-1000"' in icp


def test_every_quote_in_the_draft_is_from_quotes_csv(demo):
    a, _, _, quotes, _ = demo
    verbatim = set(quotes["quote"])
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "quote" in node:
                found.append(node["quote"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(a.context())
    assert found and set(found) <= verbatim


def test_draft_follows_the_fields_order_and_every_share_has_its_n(demo_run):
    text = (demo_run.out_dir / "report.md").read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    order = ["## Scope", "## Headline findings", "## Why we win", "## Why we lose", "## Why customers churn",
             "## Firmographic and technographic patterns", "## Proposed ICP", "## Changes from the current ICP",
             "## Confidence notes", "## Actions"]
    assert [h for h in headings if h in order] == order
    assert "n of N" not in text  # no template placeholders left
    for share in re.findall(r"[^\n]{0,30}\(\d+%\)", text):
        assert re.search(r"\d+ of \d+[^(]*\(\d+%\)", share), share


def test_winloss_run_writes_the_icp_draft(demo_run):
    out = demo_run.out_dir
    for name in ("icp.json", "loss_types.csv", "segments.csv"):
        assert (out / name).stat().st_size > 0, name
    report = (out / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# ICP update draft")
    assert "## Proposed ICP" in report and "| primary | Employees 201-1000 |" in report
    icp = json.loads((out / "icp.json").read_text(encoding="utf-8"))
    assert all(c["p_value"] > 0 for c in icp["criteria"])
    assert icp["backtest"]["wins"] == 74
