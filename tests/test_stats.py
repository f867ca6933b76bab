import math

import pandas as pd
import pytest
from scipy.stats import fisher_exact

from winloss.themes.stats import benjamini_hochberg, theme_cohorts


def test_counts_interviews_not_statements_and_matches_scipy():
    # T1: 4 of 5 won interviews (one of them says it three times), 1 of 6 lost.
    rows = [("W1", "won", "T1")] * 3 + [("W2", "won", "T1"), ("W3", "won", "T1"), ("W4", "won", "T1"),
                                         ("L1", "lost", "T1"), ("L2", "lost", "T2"), ("W5", "won", "T2")]
    presence = pd.DataFrame(rows, columns=["interview_id", "cohort", "theme_id"])
    table = theme_cohorts(presence, {"won": 5, "lost": 6}).set_index(["theme_id", "cohort"])
    won = table.loc[("T1", "won")]
    assert (won.interviews_with_theme, won.interviews_in_cohort) == (4, 5)
    assert won.share == pytest.approx(0.8)
    assert won.lift == pytest.approx(0.8 / (1 / 6))
    assert won.p_value == pytest.approx(fisher_exact([[4, 1], [1, 5]])[1])
    assert table.loc[("T1", "lost")].p_value == pytest.approx(fisher_exact([[1, 5], [4, 1]])[1])
    assert bool(table.loc[("T2", "won")].small_sample) is False
    assert table.loc[("T2", "lost")].lift == pytest.approx((1 / 6) / (1 / 5))


def test_lift_is_infinite_when_no_other_cohort_has_the_theme():
    presence = pd.DataFrame([("A", "won", "T1")], columns=["interview_id", "cohort", "theme_id"])
    table = theme_cohorts(presence, {"won": 2, "lost": 3, "churned": 4}).set_index("cohort")
    assert math.isinf(table.loc["won", "lift"]) and table.loc["lost", "lift"] == 0
    assert table["small_sample"].tolist() == [True, True, True]


def test_benjamini_hochberg_against_hand_computed_values():
    p = [0.01, 0.04, 0.03, 0.20]
    # sorted: 0.01*4/1=0.04, 0.03*4/2=0.06, 0.04*4/3=0.0533 -> monotone: 0.04, 0.0533, 0.0533, 0.2
    assert benjamini_hochberg(p) == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.20])
    assert benjamini_hochberg([]) == []
