"""Customer cohorts of won accounts (best / average / problematic) from a documented composite score.

score = retention points + NPS points + time-to-value points + support points, with defaults
  retention: expanded +2, active +1, contracted -1, churned -3
  NPS (0-10 scale; a column with values above 10 is read as a -100..100 account NPS): promoter +1, detractor -1
  days to first value: <= fast_ttv_days +1, > slow_ttv_days -1
  support tickets per month: >= heavy_tickets -1
best: score >= best_min; problematic: churned, or score <= problematic_max; average: the rest.
A component whose input is missing scores 0. Every threshold can be overridden in winloss.toml [crm.cohorts].
"""
from __future__ import annotations

import math

import pandas as pd

from winloss.crm.settings import CohortRules


def _nps_points(nps: float, hundred_scale: bool, rules: CohortRules) -> int:
    if math.isnan(nps):
        return 0
    if hundred_scale:
        return 1 if nps >= 50 else -1 if nps < 0 else 0
    return 1 if nps >= rules.promoter_nps else -1 if nps <= rules.detractor_nps else 0


def score_accounts(accounts: pd.DataFrame, rules: CohortRules) -> pd.DataFrame:
    """Adds score components, `score` and `cohort` (best / average / problematic) to a copy of `accounts`."""
    out = accounts.copy()
    hundred = bool((out["nps"].dropna() > 10).any()) if "nps" in out else False
    out["pts_retention"] = [rules.retention_points.get(s, 0) for s in out["retention_status"]]
    out["pts_nps"] = [_nps_points(v, hundred, rules) for v in out["nps"]]
    out["pts_ttv"] = [0 if math.isnan(v) else 1 if v <= rules.fast_ttv_days else -1 if v > rules.slow_ttv_days else 0
                      for v in out["days_to_first_value"]]
    out["pts_support"] = [-1 if not math.isnan(v) and v >= rules.heavy_tickets else 0
                          for v in out["support_tickets_per_month"]]
    out["score"] = out[["pts_retention", "pts_nps", "pts_ttv", "pts_support"]].sum(axis=1).astype(int)
    out["cohort"] = ["problematic" if status == "churned" or score <= rules.problematic_max
                     else "best" if score >= rules.best_min else "average"
                     for status, score in zip(out["retention_status"], out["score"])]
    return out
