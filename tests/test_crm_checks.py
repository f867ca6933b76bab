"""The checks around the proposed ICP on hand-made tables: the time-split back-test and its "too small" verdict,
ICP health flagging a metric where fit accounts do worse, two ICPs when best customers form two groups, and the
re-contact dates of the nurture list."""
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from winloss.crm.backtest import latest_quarter, out_of_sample
from winloss.crm.followup import recontact
from winloss.crm.groups import describe, split_groups
from winloss.crm.health import icp_health
from winloss.crm.icp import Criterion, IcpRules
from winloss.crm.segments import raw_column


def test_latest_quarter():
    dates = pd.Series([date(2026, 2, 3), None, date(2026, 8, 30)])
    assert latest_quarter(dates) == (date(2026, 7, 1), "2026 Q3")


def closed_deals(n_holdout):
    """Deals before 2026 Q3 (fitted on) and n_holdout in it; big accounts win."""
    rows = []
    for i in range(30):
        rows.append({"close_date": date(2026, 1 + i % 6, 10), "outcome": "won" if i % 2 else "lost",
                     "employees": 500.0 if i % 2 else 20.0})
    for i in range(n_holdout):
        rows.append({"close_date": date(2026, 8, 1), "outcome": "won" if i % 2 else "lost",
                     "employees": 500.0 if i % 2 else 20.0})
    frame = pd.DataFrame(rows)
    frame["amount"], frame["sales_cycle_days"] = 1000.0, 30.0
    return frame, pd.DataFrame({raw_column("employees"): frame["employees"]})


def big_accounts(mask):
    # what a fit on the training deals would find here; the test checks the split, not the criteria rules
    assert mask.sum() == 30
    return [Criterion("primary", "employees", "Employees", (), "Employees 100+", 15, 15, 0, 15, "won deals",
                      "lost deals", low=100.0, weight=100, gate=True)]


@pytest.mark.parametrize("n,small", [(4, True), (12, False)])
def test_out_of_sample_scores_only_the_latest_quarter_and_says_when_it_is_too_small(n, small):
    closed, values = closed_deals(n)
    result = out_of_sample(closed, values, big_accounts, IcpRules())
    assert result["holdout"] == "2026 Q3" and result["fit_deals"] == 30 and result["holdout_deals"] == n
    assert result["too_small"] is small
    assert result["wins_at_or_above_a"] == result["wins"] == n // 2 and result["losses_below_b"] == n - n // 2
    if small:
        assert result["reason"].startswith(f"the holdout has {n} closed deals")


def test_a_study_whose_deals_all_closed_in_one_quarter_says_there_is_nothing_before_it():
    """Payloom's 23 deals all closed in 2026 Q3: "the deals before the holdout quarter are not both won and lost"
    would suggest there were some."""
    closed, values = closed_deals(12)
    recent = closed.iloc[30:].reset_index(drop=True)
    result = out_of_sample(recent, values.iloc[30:].reset_index(drop=True), big_accounts, IcpRules())
    assert result["too_small"] and result["fit_deals"] == 0
    assert result["reason"] == "every dated closed deal closed in 2026 Q3: none before it to fit on"


def test_icp_health_flags_a_metric_where_fit_accounts_do_worse():
    closed = pd.DataFrame({"fit": ["fit"] * 4 + ["no"] * 4, "outcome": ["won", "won", "won", "lost"] * 2,
                           "amount": [100.0] * 8, "sales_cycle_days": [90.0] * 4 + [30.0] * 4})
    accounts = pd.DataFrame({"fit": ["fit"] * 3 + ["no"] * 3, "retention_status": ["expanded", "active", "churned",
                                                                                 "active", "churned", "churned"],
                             "nps": [9.0, 8, 7, 5, 4, 3]})
    health = {r["metric"]: r for r in icp_health(closed, accounts)}
    assert health["time to close (days)"]["fit_worse"]  # 90 days vs 30: the definition needs refinement
    assert not health["retention"]["fit_worse"]
    assert (health["retention"]["fit"]["n"], health["retention"]["fit"]["N"]) == (2, 3)
    assert health["win rate"]["fit"]["value"] == health["win rate"]["non_fit"]["value"] == 0.75
    assert not health["win rate"]["fit_worse"]  # equal is not worse


def test_a_recontact_date_in_a_season_or_after_next():
    """What buyers say in interviews: "we'll look again in the spring", "maybe next autumn", "next March"."""
    closed = date(2026, 8, 15)
    assert recontact("We'll probably look again in the spring, when the new budget opens.", closed) == (
        date(2027, 3, 1), "look again in the spring")
    assert recontact("Maybe next autumn, after the migration.", closed) == (date(2026, 9, 1), "next autumn")
    assert recontact("next March works", closed) == (date(2027, 3, 1), "next March")
    assert recontact("Finance froze spend in the spring.", closed) == (None, "")  # no cue, no date
    # a yes to the date the interviewer offers ("Can we reach out in the new year?")
    assert recontact("Yeah, January's fine.", closed) == (date(2027, 1, 1), "January's fine")
    assert recontact("Spring works for us.", closed)[0] == date(2027, 3, 1)
    assert recontact("It may be better to wait.", closed) == (None, "")  # "may", the verb
    # Wrenchline's L9: "call us" and "call me" without "back" ask for a call all the same
    assert recontact("My office manager said, call us in November, and she's right.", closed) == (
        date(2026, 11, 1), "call us in November")
    assert recontact("Not really. Call me in November.", closed)[0] == date(2026, 11, 1)
    assert recontact("Call me if anything changes.", closed) == (None, "")
    # Quillstack's L6: a buyer who will be in touch
    assert recontact("I'll be back in touch in the spring, I expect, once she's settled in.", closed) == (
        date(2027, 3, 1), "back in touch in the spring")
    assert recontact("We kept in touch with their team through the spring.", closed) == (None, "")  # no cue
    # Tallybird's L3: "the new year" is next January, as "next year" is
    assert recontact("Sure. Maybe in the new year, once we know what Harbor's stack can do.", closed) == (
        date(2027, 1, 1), "in the new year")


def test_an_account_is_gone_by_the_crm_or_by_its_buyers_words():
    from winloss.crm.followup import gone

    assert gone("No Decision / Acquired", "") == "crm"
    assert gone("No Decision", "", "We didn't go with anybody. I'm selling the company.") == "interview"
    for said in ("We got acquired in May.", "We're closing our doors in December.", "The company was bought by Acme."):
        assert gone("", "", said) == "interview", said
    # buying, being persuaded or an app closing is no company ending
    for said in ("We acquired a competitor last year.", "We were sold on the demo.", "The app kept shutting down.",
                 "We bought it for the map."):
        assert gone("No Decision", "", said) == "", said
    # acquired, but the buyer (or the rep) still says when to come back: that is the reason to call
    closed = date(2026, 7, 7)
    said = "So, we were acquired. Harbor Brands bought us in June. Maybe in the new year, once we know their stack."
    assert gone("Other", "", said, closed) == ""
    assert gone("No Decision / Acquired", "Parent picks its tools first; revisit in Q2", "", closed) == ""
    assert gone("No Decision / Acquired", "", "", closed) == "crm"


def test_icp_health_calls_fit_worse_only_beyond_chance():
    """A gap of a few deals is within chance (Mann-Whitney U for values, Fisher for rates): said so, not turned into
    "the definition needs refinement"."""
    from winloss.crm.assurance import health_rows
    from winloss.crm.result import CrmAnalysis

    closed = pd.DataFrame({"fit": ["fit"] * 4 + ["no"] * 4, "outcome": ["won", "won", "won", "lost"] * 2,
                           "amount": [100.0, 300.0, 200.0, 0, 150.0, 350.0, 250.0, 0],
                           "sales_cycle_days": [30.0] * 8})
    accounts = pd.DataFrame({"fit": ["fit", "no"], "retention_status": ["", ""], "nps": [math.nan, math.nan]})
    health = {r["metric"]: r for r in icp_health(closed, accounts)}
    value = health["average contract value"]
    assert value["fit"]["value"] < value["non_fit"]["value"] and not value["fit_worse"] and value["within_chance"]
    rows = {r["metric"]: r for r in health_rows(CrmAnalysis(problems=[], health=list(health.values())))}
    assert rows["average contract value"]["flag"] == "fit does worse here, within chance"


def test_two_icps_when_best_customers_form_two_groups():
    rng = np.random.default_rng(3)
    best = np.concatenate([rng.integers(20, 60, 12), rng.integers(800, 3000, 12)])
    other = np.concatenate([rng.integers(100, 500, 12), rng.integers(5, 15, 4), rng.integers(5000, 9000, 3)])
    groups = split_groups("Employees", "", best, other, 3)
    assert [g.label for g in groups] == ["Employees 20-55", "Employees 800-3,000"]
    assert [(g.best, g.best_total, g.other) for g in groups] == [(12, 24, 0), (12, 24, 0)]
    assert describe(groups, "best customers", "problematic customers").startswith("Two ICPs: best customers form")
    one = split_groups("Employees", "", rng.integers(120, 700, 30), np.array([10, 20, 30, 2000, 3000.0]), 3)
    assert one == [] and describe(one, "won deals", "lost deals") == (
        "One ICP: the won deals form one group on every numeric gate dimension tested.")
    # a narrow pocket of a few best customers on each side of a gap is not a second ICP
    pockets = np.concatenate([[30.0, 31, 32], rng.integers(100, 400, 10), [5000.0, 5001, 5002],
                              rng.integers(6000, 9000, 10)])
    assert split_groups("Employees", "", pockets, rng.integers(100, 9000, 40), 3) == []


CLOSED = date(2026, 8, 10)


@pytest.mark.parametrize("notes,expected", [
    ("Frozen until January", date(2027, 1, 1)),
    ("Wanted flexible seats; revisit in January", date(2027, 1, 1)),
    ("Asked us to call back in Q2", date(2027, 4, 1)),
    ("Call back in Q4", date(2026, 10, 1)),
    ("Pushed to next fiscal year", date(2027, 1, 1)),
    ("follow up in 3 months", date(2026, 11, 1)),
    ("maybe next quarter", date(2026, 10, 1)),
    ("CEO froze new spend in June", None),  # a month, but not a date to call back
    ("Went dark", None),
])
def test_recontact_dates_from_the_notes(notes, expected):
    assert recontact(notes, CLOSED)[0] == expected


def test_the_holdouts_band_a_is_tested_against_the_bands_below_it():
    """Out of sample the demo's band A won 8 of 18 against 5 of 14 below it: "8 of 13 wins score 70+" alone read as
    a confirmation; the draft says the edge is within chance, and says the test when it holds."""
    from winloss.crm.assurance import holdout_edge, out_of_sample_text
    from winloss.crm.result import CrmAnalysis

    def analysis(a_won, a_lost, rest_won, rest_lost):
        bands = [{"band": "A", "won": a_won, "deals": a_won + a_lost}, {"band": "B", "won": rest_won, "deals":
                 rest_won + rest_lost}, {"band": "C", "won": 0, "deals": 0}]
        oos = {"holdout": "2026 Q3", "fit_deals": 125, "holdout_deals": 32, "wins_at_or_above_a": a_won,
               "wins": a_won + rest_won, "losses_below_b": rest_lost, "losses": a_lost + rest_lost, "bands": bands,
               "too_small": False, "reason": ""}
        return CrmAnalysis(problems=[], out_of_sample=oos)

    flat = analysis(8, 10, 5, 9)
    assert holdout_edge(flat)[:4] == (8, 18, 5, 14) and holdout_edge(flat)[4] > 0.05
    assert "Band A won 8 of 18 (44%) against 5 of 14 (36%) below it: within chance" in out_of_sample_text(flat)
    assert "Band A" not in out_of_sample_text(flat, edge=False)
    steep = analysis(15, 3, 2, 12)
    assert holdout_edge(steep)[4] < 0.05 and "within chance" not in out_of_sample_text(steep)
    small = CrmAnalysis(problems=[], out_of_sample={**flat.out_of_sample, "too_small": True})
    assert holdout_edge(small) is None
