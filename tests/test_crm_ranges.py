"""Data-derived numeric ICP ranges (crm/ranges.py) and the criteria built on them: the cut points come from the
observed values, keep a minimum support on each side, read as round numbers that change no count, and carry their
n of N and Fisher test."""
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact

from winloss.crm.icp import IcpRules, derive_criteria
from winloss.crm.ranges import Range, best_range, best_tail, range_text, roundest
from winloss.crm.segments import EMPLOYEE_BANDS, Dimension, band_of, raw_column

EMP = Dimension("employees", "Employees", tuple(b for _, b in EMPLOYEE_BANDS), tuple(u for u, _ in EMPLOYEE_BANDS),
                numeric=True)
CRM = Dimension("crm_platform", "CRM platform", kind="technographic")


def planted(seed=7):
    """Best customers at 124-697 employees, problematic ones mostly below 116 or above 1,100 (a few inside)."""
    rng = np.random.default_rng(seed)
    best = np.concatenate([[124, 697], rng.integers(124, 698, 28)])
    prob = np.concatenate([rng.integers(10, 116, 12), rng.integers(1100, 4000, 5), [300, 450]])
    return best.astype(float), prob.astype(float)


def test_the_range_is_found_between_the_observed_values_and_rounded_without_changing_a_count():
    best, prob = planted()
    r = best_range(best, prob, min_support=3)
    assert (r.low, r.high) == (120, 700)  # not a quartile, not a standard band edge
    assert (r.n, r.N, r.n_other, r.N_other) == (30, 30, 2, 19)
    assert range_text(r) == "120-700"
    # the rounded edges hold exactly the accounts the raw edges (124 and 697) held
    assert r.contains(best).sum() == ((best >= 124) & (best <= 697)).sum()


def test_minimum_support_per_side_stops_a_cut_that_isolates_a_few_accounts():
    best = np.array([50.0, 51, 52, 53, 54, 55, 56, 57])
    prob = np.array([1.0, 2, 200, 201])  # two problematic below, two above
    r = best_range(best, prob, min_support=3)
    # a cut needs 3 accounts on each side: below 50 there are only 2, so the range cannot start at 50
    assert (r.low, r.high, r.n, r.n_other) == (51, 56, 6, 0)
    loose = best_range(best, prob, min_support=2)
    assert (loose.low, loose.high, loose.n, loose.n_other) == (50, 60, 8, 0)


def test_tails_are_negative_ranges_next_to_the_positive_one():
    best, prob = planted()
    fit = best_range(best, prob, 3)
    tail = best_tail(prob, best, 3, 0.1, fit)
    assert tail.exclusive and (tail.low, tail.high) == (None, 120)  # ends at the range's edge: "under 120"
    assert range_text(tail) == "under 120" and not tail.overlaps(fit)
    assert (tail.n, tail.N, tail.n_other) == (12, 19, 0)


@pytest.mark.parametrize("lo,hi,prefer,expected", [
    (115, 124, 124, 120), (697, 766, 697, 700), (148, 163, 163, 150), (41e6, 46e6, 43e6, 4.5e7), (3, 3, 3, 3)])
def test_roundest_number_in_an_interval(lo, hi, prefer, expected):
    assert roundest(lo, hi, prefer) == pytest.approx(expected)


def test_range_text_reads_like_a_person_wrote_it():
    assert range_text(Range(150, 800, 0, 0, 0, 0)) == "150-800"
    assert range_text(Range(1000, None, 0, 0, 0, 0)) == "1,000+"
    assert range_text(Range(None, 2e7, 0, 0, 0, 0, exclusive=True), "$") == "under $20M"
    assert range_text(Range(90, None, 0, 0, 0, 0, exclusive=True), " days") == "over 90 days"


def frames(best, prob):
    emp = np.concatenate([best, prob])
    acc = pd.DataFrame({"employees": [band_of(v, EMPLOYEE_BANDS) for v in emp], raw_column("employees"): emp,
                        "crm_platform": ["Salesforce"] * len(best) + ["HubSpot", "Salesforce"] * (len(prob) // 2)
                        + ["HubSpot"] * (len(prob) % 2)})
    cohort = pd.Series(["best"] * len(best) + ["problematic"] * len(prob))
    outcome = pd.Series(["won"] * len(acc))
    return acc, cohort, acc.copy(), outcome


def test_numeric_criteria_carry_n_of_n_and_the_fisher_test():
    acc, cohort, deals, outcome = frames(*planted())
    criteria = {c.label: c for c in derive_criteria([EMP, CRM], acc, cohort, deals, outcome, IcpRules())}
    emp = criteria["Employees 120-700"]
    assert (emp.kind, emp.n, emp.N, emp.n_other, emp.N_other) == ("primary", 30, 30, 2, 19)
    assert emp.p_value == pytest.approx(fisher_exact([[30, 0], [2, 17]])[1])
    assert emp.gate and emp.numeric and (emp.low, emp.high) == (120, 700)
    under = criteria["Employees under 120"]
    assert under.kind == "negative" and under.n == 0 and under.n_other == 12
    assert criteria["CRM platform: HubSpot"].category == "technographic"
    # a deal whose headcount is unknown neither meets nor fails the range
    row = pd.DataFrame({raw_column("employees"): [math.nan, 300.0]})
    assert emp.met(row).tolist() == [False, True] and emp.known(row).tolist() == [False, True]


def test_an_open_range_is_closed_where_the_deals_beyond_a_cut_inside_it_lose():
    """Best customers all have 124+ employees and problematic ones gather below: the customers say "120+". Big
    accounts that lose never become customers, so only the deals show the upper edge: above 900 employees we won
    2 of 10 deals against 30 of 44 below. The range closes there ("120-900"); without those losses it stays open."""
    rng = np.random.default_rng(3)
    best = np.concatenate([[124, 697], rng.integers(124, 698, 28)]).astype(float)
    prob = np.concatenate([rng.integers(10, 116, 12), [300, 450]]).astype(float)
    acc, cohort, deals, outcome = frames(best, prob)
    acc = acc.assign(crm_platform="Salesforce")
    sizes = [950.0, 1200, 1500, 1800, 2100, 2400, 2700, 3000, 3500, 4000]
    big = pd.DataFrame({"employees": [band_of(v, EMPLOYEE_BANDS) for v in sizes], raw_column("employees"): sizes,
                        "crm_platform": "Salesforce"})
    with_big = pd.concat([acc, big], ignore_index=True)
    beyond = ["lost", "lost", "won", "lost", "lost", "lost", "lost", "won", "lost", "lost"]
    lost_small = pd.Series(["won"] * len(best) + ["lost"] * len(prob) + beyond)
    closed = {c.label: c for c in derive_criteria([EMP], acc, cohort, with_big, lost_small, IcpRules())}
    emp = next(c for c in closed.values() if c.kind == "primary")
    assert emp.label == "Employees 120-900" and (emp.n, emp.N) == (30, 30)
    assert emp.high == 900 and not emp.met(big).any()
    assert "Employees under 120" in closed  # the customers' own negative is kept
    open_ = {c.label: c for c in derive_criteria([EMP], acc, cohort, acc.copy(), lost_small[:len(acc)],
                                                 IcpRules())}
    assert "Employees 120+" in open_


def test_a_range_that_would_turn_away_a_band_of_deals_we_win_ranks_but_does_not_gate():
    """Tallybird's shape: every best customer has 120+ employees and the problematic ones gather below, so the
    customers draw the edge at 120; but 12 closed deals at 50-99 employees won 10, above the overall rate. A gate
    there would turn them away: the range ranks instead, and says why. With 8 such deals (the demo's 100-119 won 6
    of 8) the customers' edge stands."""
    best = planted()[0]
    prob = np.concatenate([np.linspace(10, 45, 12), [300, 450]])
    acc, cohort, deals, outcome = frames(best, prob)
    acc = acc.assign(crm_platform="Salesforce")

    def with_band(n, won):
        sizes = np.linspace(50, 99, n)
        band = pd.DataFrame({"employees": [band_of(v, EMPLOYEE_BANDS) for v in sizes],
                             raw_column("employees"): sizes, "crm_platform": "Salesforce"})
        outcomes = ["won"] * len(best) + ["lost"] * len(prob) + ["won"] * won + ["lost"] * (n - won)
        return pd.concat([acc, band], ignore_index=True), pd.Series(outcomes)

    found = {c.label: c for c in derive_criteria([EMP], acc, cohort, *with_band(12, 10), IcpRules())}
    emp = found["Employees 120+"]
    assert emp.kind == "primary" and not emp.gate and not found["Employees under 120"].gate
    assert emp.ungated == ("not a gate: closed deals at 50 to under 120 (Employees), outside Employees 120+, won 10 "
                           "of 12 (83%), at or above the 71% overall")
    few = {c.label: c for c in derive_criteria([EMP], acc, cohort, *with_band(8, 6), IcpRules())}
    assert few["Employees 120+"].gate and not few["Employees 120+"].ungated
