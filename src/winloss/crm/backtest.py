"""How well the scorecard sorts deals: in sample (scored with the criteria fitted on every closed deal) and out of
sample (criteria fitted on the deals closed before the latest quarter, scoring that quarter's deals)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd

from winloss.crm.icp import Criterion, IcpRules, assess, band

MIN_HOLDOUT_DEALS = 10  # fewer closed deals (or fewer than MIN_HOLDOUT_EACH won or lost) in the holdout: too small
MIN_HOLDOUT_EACH = 3


def backtest(scores: pd.Series, outcome: pd.Series, account_scores: pd.Series, cohort: pd.Series,
             rules: IcpRules, amount: pd.Series | None = None, cycle: pd.Series | None = None) -> dict:
    """Shares of wins scoring in band A and of losses below band B; per band the won and lost deals, win rate,
    average won deal amount and sales cycle, and the won accounts (best / problematic) in it."""
    won, lost = scores[outcome == "won"], scores[outcome == "lost"]
    bands = []
    for name in ("A", "B", "C"):
        in_band = scores.map(lambda s: band(s, rules)) == name
        w, lo = int((in_band & (outcome == "won")).sum()), int((in_band & (outcome == "lost")).sum())
        accounts = account_scores.map(lambda s: band(s, rules)) == name
        won_here = in_band & (outcome == "won")
        bands.append({"band": name, "won": w, "lost": lo, "deals": w + lo,
                      "win_rate": w / (w + lo) if w + lo else None, "accounts": int(accounts.sum()),
                      "best": int((accounts & (cohort == "best")).sum()),
                      "problematic": int((accounts & (cohort == "problematic")).sum()),
                      "avg_amount": _mean(amount, won_here), "avg_cycle_days": _mean(cycle, won_here)})
    return {"wins_at_or_above_a": int((won >= rules.band_a).sum()), "wins": len(won),
            "losses_below_b": int((lost < rules.band_b).sum()), "losses": len(lost), "bands": bands}


def _mean(values: pd.Series | None, mask: pd.Series) -> float | None:
    if values is None:
        return None
    chosen = pd.to_numeric(values[mask], errors="coerce").dropna()
    return float(chosen.mean()) if len(chosen) else None


def _known(d) -> bool:
    return d is not None and not pd.isna(d)


def latest_quarter(dates: pd.Series) -> tuple[date | None, str]:
    """First day and name ('2026 Q3') of the calendar quarter of the latest known close date."""
    known = [d for d in dates if _known(d)]
    if not known:
        return None, ""
    last = max(known)
    q = (last.month - 1) // 3
    return date(last.year, 3 * q + 1, 1), f"{last.year} Q{q + 1}"


def too_few(outcome: pd.Series) -> str:
    """Why the closed deals are too few to set any criterion on, or '' when they are enough: the rule a holdout
    must meet to conclude, since criteria fitted on fewer would be 1 of 1 against 0 of 1."""
    won, lost = int((outcome == "won").sum()), int((outcome == "lost").sum())
    if won + lost >= MIN_HOLDOUT_DEALS and min(won, lost) >= MIN_HOLDOUT_EACH:
        return ""
    return (f"{won + lost} closed {'deal' if won + lost == 1 else 'deals'} ({won} won, {lost} lost) are too few to "
            f"set any criterion on: at least {MIN_HOLDOUT_DEALS} with {MIN_HOLDOUT_EACH} of each are needed")


def out_of_sample(closed: pd.DataFrame, values: pd.DataFrame, fit: Callable[[pd.Series], list[Criterion]],
                  rules: IcpRules) -> dict:
    """Fit on deals closed before the latest quarter (fit(mask) returns criteria from those deals only), score the
    latest quarter's deals. 'too_small' says when the holdout cannot carry a conclusion."""
    start, name = latest_quarter(closed["close_date"])
    if start is None:
        return {"holdout": "", "too_small": True, "reason": "no close dates", "fit_deals": 0, "holdout_deals": 0}
    dated = closed["close_date"].map(_known)
    test = closed["close_date"].map(lambda d: _known(d) and d >= start)
    train = dated & ~test
    outcome = closed.loc[test, "outcome"]
    base = {"holdout": name, "holdout_start": start.isoformat(), "fit_deals": int(train.sum()),
            "holdout_deals": int(test.sum()), "holdout_won": int((outcome == "won").sum()),
            "holdout_lost": int((outcome == "lost").sum())}
    small = base["holdout_deals"] < MIN_HOLDOUT_DEALS or min(base["holdout_won"], base["holdout_lost"]) \
        < MIN_HOLDOUT_EACH
    train_outcome = closed.loc[train, "outcome"]
    if train_outcome.nunique() < 2:
        reason = f"every dated closed deal closed in {name}: none before it to fit on" if not train.any() else \
            "the deals before the holdout quarter are not both won and lost"
        return {**base, "too_small": True, "reason": reason}
    criteria = fit(train)
    if not criteria:  # every holdout deal would score 0: "0 of 10 wins score 70+" would test nothing
        return {**base, "too_small": True, "criteria": [],
                "reason": f"the {base['fit_deals']} deals closed before it set no criterion to score on"}
    scores, _ = assess(values.loc[test[test].index], criteria)
    result = backtest(scores, outcome, pd.Series(dtype=float), pd.Series(dtype=str), rules,
                      closed.loc[test, "amount"], closed.loc[test, "sales_cycle_days"])
    reason = (f"the holdout has {base['holdout_deals']} closed deals ({base['holdout_won']} won, "
              f"{base['holdout_lost']} lost); at least {MIN_HOLDOUT_DEALS} with {MIN_HOLDOUT_EACH} of each are "
              "needed to conclude") if small else ""
    return {**base, **result, "too_small": small, "reason": reason, "criteria": [c.label for c in criteria]}
