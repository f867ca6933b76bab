"""Honest counts: interviews, not sentences. Pure functions over plain tables."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import fisher_exact

from winloss.themes.ids import theme_sort_key

SMALL_COHORT = 5  # fewer interviews than this in a cohort: flagged, shares are anecdotes


def benjamini_hochberg(p_values: list[float]) -> list[float]:
    """BH step-up q-values, in input order."""
    p = np.asarray(p_values, dtype=float)
    n = len(p)
    if n == 0:
        return []
    order = np.argsort(p, kind="mergesort")
    ranked = p[order] * n / np.arange(1, n + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(n)
    q[order] = np.minimum(q_sorted, 1.0)
    return q.tolist()


def cohort_contrast(with_theme: int, in_cohort: int, with_theme_other: int, in_other: int) -> tuple[float, float]:
    """Lift of the theme's share in a cohort over its share in the other cohorts, and Fisher's exact two-sided p."""
    if in_other == 0 or in_cohort == 0:
        return math.nan, 1.0
    share = with_theme / in_cohort
    share_other = with_theme_other / in_other
    lift = share / share_other if share_other > 0 else (math.inf if share > 0 else math.nan)
    _, p = fisher_exact([[with_theme, in_cohort - with_theme], [with_theme_other, in_other - with_theme_other]])
    return lift, float(p)


def theme_cohorts(presence: pd.DataFrame, cohort_sizes: dict[str, int]) -> pd.DataFrame:
    """One row per theme and cohort.

    presence: columns interview_id, cohort, theme_id (one row per statement or per interview; duplicates collapse).
    cohort_sizes: interviews analysed per cohort (the N of "n of N").
    """
    presence = presence[["interview_id", "cohort", "theme_id"]].drop_duplicates()
    counts = presence.groupby(["theme_id", "cohort"]).size()
    total_n = sum(cohort_sizes.values())
    rows = []
    for theme_id in sorted(presence["theme_id"].unique(), key=theme_sort_key):
        theme_total = int(counts.loc[theme_id].sum())
        for cohort, size in cohort_sizes.items():
            a = int(counts.get((theme_id, cohort), 0))
            lift, p = cohort_contrast(a, size, theme_total - a, total_n - size)
            rows.append({
                "theme_id": theme_id, "cohort": cohort, "interviews_with_theme": a, "interviews_in_cohort": size,
                "share": a / size if size else math.nan, "lift": lift, "p_value": p,
                "small_sample": size < SMALL_COHORT,
            })
    table = pd.DataFrame(rows, columns=["theme_id", "cohort", "interviews_with_theme", "interviews_in_cohort", "share",
                                        "lift", "p_value", "small_sample"])
    table.insert(7, "q_value", benjamini_hochberg(table["p_value"].tolist()))
    return table


def separation(table: pd.DataFrame) -> pd.Series:
    """How strongly each theme separates cohorts: smallest q-value, ties broken by the widest share gap."""
    grouped = table.groupby("theme_id")
    gap = grouped["share"].max() - grouped["share"].min()
    return pd.DataFrame({"q": grouped["q_value"].min(), "gap": gap})
