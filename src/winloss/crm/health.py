"""Is the proposed ICP any good? ICP health (fit vs non-fit accounts on win rate, contract value, time to close,
expansion, retention and NPS, flagging where fit does worse), the pressure tests (recent losses under the old and
the new ICP, best vs worst 20 % of customers, 100 fit accounts vs 10 random ones; do deals lost to competitors look
like the best customers) and the money the draft cites.

Fit means passing the gate (icp.assess: no primary gate criterion failed, no negative gate criterion hit)."""
from __future__ import annotations

import math
from datetime import date

import pandas as pd

from winloss.crm.loss_types import find_keyword
from winloss.crm.segments import UNKNOWN, Dimension, fisher_p
from winloss.crm.settings import LossRules
from winloss.themes.drivers import one_sided

PREDICTS_P = 0.05  # one-sided Fisher p for "the new ICP predicts wins / retention"

MIN_SIDE = 3  # deals or accounts on each side before ICP health says the fit side does worse
TOP_SHARE = 0.2  # best vs worst fifth of won accounts by composite score


def _share(mask: pd.Series, of: pd.Series) -> tuple[int, int]:
    return int((mask & of).sum()), int(of.sum())


def _mean(values: pd.Series) -> tuple[float | None, int, list[float]]:
    known = pd.to_numeric(values, errors="coerce").dropna()
    return (float(known.mean()) if len(known) else None), len(known), known.astype(float).tolist()


WORSE_P = 0.05  # one-sided: fit "does worse" only beyond chance (Fisher for rates, Mann-Whitney U for values)


def _worse_p(cells: list[tuple], better: str, ratio: bool) -> float:
    """One-sided p that the fit side is worse than the other: a rate lower (Fisher exact), or values lower ("higher"
    is better) or higher ("lower" is better) by a Mann-Whitney U test."""
    if ratio:
        (n1, N1), (n2, N2) = cells
        return one_sided(n2, N2, n1, N1)[1] if N1 and N2 else 1.0
    from scipy.stats import mannwhitneyu

    (_, _, fit), (_, _, other) = cells
    if not fit or not other:
        return 1.0
    return float(mannwhitneyu(fit, other, alternative="less" if better == "higher" else "greater").pvalue)


def predicts(hit: dict, miss: dict) -> bool:
    """Is the rate inside the ICP higher than outside beyond chance (one-sided Fisher exact)?"""
    return gate_p(hit, miss) <= PREDICTS_P


def gate_p(hit: dict, miss: dict) -> float:
    """One-sided Fisher p that the rate inside the ICP (hit: n of N) is above the rate outside (miss)."""
    if not hit.get("N") or not miss.get("N"):
        return 1.0
    return one_sided(hit["n"], hit["N"], miss["n"], miss["N"])[1]


def unproven_gate(a) -> str:
    """Why the ICP's gate is not yet a rule to act on ('' when it predicts wins and each of its criteria sets its
    group apart beyond chance, or when win rate inside vs outside it is not measured). a: crm.result.CrmAnalysis.
    The win-rate test is the front's "Old vs new ICP" verdict (crm.health.predicts)."""
    return gate_doubt(a.criteria, a.health) if a.gated else ""


def unproven_score(a) -> str:
    """Why no deal is routed on the ICP's score yet ('' when it may be): its gate's doubt (unproven_gate); with no
    gate, a measured win rate inside the ICP no better than outside it, or, unmeasured, no positive criterion that
    sets its group apart beyond chance. A scorecard of "strong but not required" criteria that predicts nothing
    must not send a deal to "pursue"."""
    if a.gated:
        return unproven_gate(a)
    doubt = _doubt([], a.health)[0]
    positive = [c for c in a.criteria if c.kind != "negative"]
    if doubt or not positive or any(c.p_value <= PREDICTS_P for c in positive):
        return doubt
    c = min(positive, key=lambda c: (c.p_value, c.label))
    return (f"{c.label}, its strongest criterion, sets {c.group} apart from {c.other} only within chance ({c.n} of "
            f"{c.N} against {c.n_other} of {c.N_other}, Fisher p {c.p_value:.2f}), and the score was fitted on these "
            "same deals")


def doubted_criterion(a):
    """The gate criterion unproven_gate's reason names, with its counts (None when the reason is the win rate)."""
    return _doubt(a.criteria, a.health)[1] if a.gated else None


def gate_doubt(criteria: list, health: list[dict]) -> str:
    """unproven_gate on the criteria (icp.Criterion) and the health rows alone, before the analysis record exists."""
    return _doubt(criteria, health)[0]


def _doubt(criteria: list, health: list[dict]) -> tuple[str, object]:
    win = next((r for r in health if r["metric"] == "win rate"), None)
    if win is None or not win["fit"].get("N") or not win["non_fit"].get("N"):
        return "", None
    f, nf = win["fit"], win["non_fit"]
    if predicts(f, nf):
        # The gate's bounds were searched for on these same deals, so its win rates flatter it; its criteria must
        # also set their group apart on their own test, or the gate is a pattern in this sample, not yet a rule.
        weak = next((c for c in criteria if c.gate and c.p_value > PREDICTS_P), None)
        if weak is None:
            return "", None
        # a gate is read as its required criteria; a disqualifier that doubts it is named as one
        role = "its disqualifier " if weak.kind == "negative" else ""
        return (f"{role}{weak.label} sets {weak.group} apart from {weak.other} only within chance ({weak.n} of {weak.N} "
                f"against {weak.n_other} of {weak.N_other}, Fisher p {weak.p_value:.2f}), and the gate was fitted "
                "on these same deals"), weak
    p = gate_p(f, nf)
    shown = f"{p:.2f}" if round(p, 2) > PREDICTS_P else f"{p:.3f}"  # "p 0.05, within chance" reads as a contradiction
    return (f"inside the ICP we won {f['n']} of {f['N']} closed deals against {nf['n']} of {nf['N']} outside, "
            f"within chance (one-sided Fisher p {shown})"), None


def icp_health(closed: pd.DataFrame, accounts: pd.DataFrame) -> list[dict]:
    """One row per metric: the value for fit and for non-fit, with its n, and whether fit does worse."""
    fit_deal, fit_acc = closed["fit"] == "fit", accounts["fit"] == "fit"
    won = closed["outcome"] == "won"
    status = accounts["retention_status"]
    known = status != ""
    rows = []
    for name, better, per_group in (
            ("win rate", "higher", lambda f: _share(won, f & pd.Series(True, index=closed.index))),
            ("average contract value", "higher", lambda f: _mean(closed.loc[f & won, "amount"])),
            ("time to close (days)", "lower", lambda f: _mean(closed.loc[f & won, "sales_cycle_days"])),
            ("expansion", "higher", None), ("retention", "higher", None), ("NPS", "higher", None)):
        if per_group is not None:
            cells = [per_group(fit_deal), per_group(~fit_deal)]
        elif name == "NPS":
            cells = [_mean(accounts.loc[fit_acc, "nps"]), _mean(accounts.loc[~fit_acc, "nps"])]
        else:
            hit = (status == "expanded") if name == "expansion" else (status != "churned")
            cells = [_share(hit & known, fit_acc & known), _share(hit & known, ~fit_acc & known)]
        rows.append(_metric(name, better, cells, ratio=name in ("win rate", "expansion", "retention")))
    return rows


def _metric(name: str, better: str, cells: list[tuple], ratio: bool) -> dict:
    if ratio:
        (n1, N1), (n2, N2) = cells
        v1, v2 = (n1 / N1 if N1 else None), (n2 / N2 if N2 else None)
        fit, other = {"n": n1, "N": N1, "value": v1}, {"n": n2, "N": N2, "value": v2}
    else:
        (v1, N1, _), (v2, N2, _) = cells
        fit, other = {"n": N1, "value": v1}, {"n": N2, "value": v2}
    # Fit "does worse" only against a side with enough deals or accounts to compare (one non-fit deal is anecdote),
    # and only beyond chance: $20.8k against $46k over 4 deals is no case for redefining the ICP.
    thin = v1 is not None and v2 is not None and min(N1, N2) < MIN_SIDE
    lower = v1 is not None and v2 is not None and not thin and ((v1 < v2) if better == "higher" else (v1 > v2))
    worse = lower and _worse_p(cells, better, ratio) <= WORSE_P
    return {"metric": name, "better": better, "fit": fit, "non_fit": other, "fit_worse": bool(worse),
            "within_chance": bool(lower and not worse), "thin": bool(thin)}


def meets_current(values: pd.DataFrame, current: list) -> pd.Series:
    """Rows meeting every primary criterion of the current ICP (current_icp.current_criteria); unknown counts as
    met, as a rep qualifying the deal would not have known either."""
    ok = pd.Series(True, index=values.index)
    for cur in current:
        if cur.kind == "primary":
            ok &= cur.met(values) | ~cur.known(values)
    return ok


def recent_losses(closed: pd.DataFrame, values: pd.DataFrame, current: list | None, since: date | None
                  ) -> dict:
    """Of the losses closed since `since` (the holdout quarter), how many the old ICP and the new one admitted:
    a loss the new ICP would have kept out is pipeline not spent."""
    lost = closed["outcome"] == "lost"
    recent = lost & closed["close_date"].map(lambda d: since is not None and d is not None and not pd.isna(d)
                                              and d >= since)
    out = {"since": since.isoformat() if since else "", "losses": int(recent.sum()),
           "new_icp": int((recent & (closed["fit"] == "fit")).sum())}
    out["old_icp"] = int((recent & meets_current(values.loc[closed.index], current)).sum()) if current else None
    return out


def best_vs_worst(accounts: pd.DataFrame, dims: list[Dimension], limit: int = 3) -> dict:
    """The top and bottom fifth of won accounts by composite score, and the dimension values whose share differs
    most between them."""
    scored = accounts[accounts["cohort_score"].notna()].sort_values(["cohort_score", "account_key"],
                                                                    kind="mergesort")
    k = max(1, math.ceil(TOP_SHARE * len(scored))) if len(scored) >= 5 else 0
    if not k:
        return {"k": 0, "features": []}
    top, bottom = scored.tail(k), scored.head(k)
    features = []
    for dim in dims:
        for value in sorted(set(top[dim.key]) | set(bottom[dim.key])):
            if value == UNKNOWN:
                continue
            n_top, n_bottom = int((top[dim.key] == value).sum()), int((bottom[dim.key] == value).sum())
            features.append({"dimension": dim.label, "value": value, "top": n_top, "bottom": n_bottom,
                             "gap": (n_top - n_bottom) / k})
    features.sort(key=lambda f: (-abs(round(f["gap"], 9)), f["dimension"], f["value"]))
    return {"k": k, "N": len(scored), "features": features[:limit]}


def retained_arr(accounts: pd.DataFrame) -> pd.Series:
    """Each won account's ARR today (0 when churned); starting ARR when no current figure is known."""
    current = accounts["current_arr"].where(accounts["current_arr"].notna(), accounts["starting_arr"])
    return current.where(accounts["retention_status"] != "churned", 0.0)


def fit_value(closed: pd.DataFrame, accounts: pd.DataFrame, fit_n: int = 100, random_n: int = 10) -> dict:
    """Expected retained ARR of pursuing fit_n fit accounts vs random_n accounts drawn from the whole pipeline:
    accounts x win rate x average retained ARR per won account, each figure with its n."""
    arr = retained_arr(accounts)

    def group(deals: pd.DataFrame, acc_mask: pd.Series) -> dict:
        won, n = int((deals["outcome"] == "won").sum()), len(deals)
        values = arr[acc_mask].dropna()
        mean = float(values.mean()) if len(values) else None
        each = (won / n) * mean if n and mean is not None else None
        return {"won": won, "deals": n, "accounts": len(values), "mean_arr": mean, "per_account": each}

    fit = group(closed[closed["fit"] == "fit"], accounts["fit"] == "fit")
    anyone = group(closed, pd.Series(True, index=accounts.index))
    return {"fit_n": fit_n, "random_n": random_n, "fit": fit, "random": anyone,
            "fit_total": fit["per_account"] * fit_n if fit["per_account"] is not None else None,
            "random_total": anyone["per_account"] * random_n if anyone["per_account"] is not None else None}


def old_vs_new(deals: pd.DataFrame, values: pd.DataFrame, current: list | None) -> dict | None:
    """Closed and open deals (count, amount; closed: won) that the current ICP and the proposed gate each admit:
    "both", "old_only" (the new ICP removes them), "new_only" (it admits them), "neither". None without a current
    ICP. values: the dimension values of closed and open deals."""
    if not current:
        return None
    scored = deals[deals["excluded"].isin(["", "open"])]
    old = meets_current(values.loc[scored.index], current)
    new = scored["fit"] == "fit"
    out: dict = {}
    for name, rows in (("closed", scored["excluded"] == ""), ("open", scored["excluded"] == "open")):
        out[name] = {}
        for key, mask in (("both", old & new), ("old_only", old & ~new), ("new_only", ~old & new),
                          ("neither", ~old & ~new)):
            part = scored[rows & mask]
            out[name][key] = {"deals": len(part), "amount": float(part["amount"].fillna(0).sum()),
                              "won": int((part["outcome"] == "won").sum()) if name == "closed" else 0}
    return out


def money(deals: pd.DataFrame, values: pd.DataFrame, accounts: pd.DataFrame, criteria,
          current: list | None = None) -> dict:
    """Churned ARR, the open pipeline each disqualifier (and the gate as a whole) removes, the average won
    contract value of fit vs non-fit deals, and what the current ICP (`current`, if any) admits against the proposed
    gate (old_vs_new). values: the dimension values of closed and open deals."""
    churned = accounts[accounts["retention_status"] == "churned"]
    open_deals = deals[deals["excluded"] == "open"]
    amount = open_deals["amount"].fillna(0)
    removed = []
    shown = values.loc[open_deals.index]
    disqualified = pd.Series(False, index=open_deals.index)
    for c in criteria:
        if c.kind != "negative":
            continue
        hit = c.met(shown)
        disqualified |= hit & c.gate
        removed.append({"criterion": c.label, "gate": c.gate, "deals": int(hit.sum()),
                        "amount": float(amount[hit].sum())})
    # a deal outside a primary gate criterion that no disqualifier names (an industry the gate does not list) is
    # removed too: without it, the disqualifiers' deals do not add up to the deals outside the gate
    for c in criteria:
        if c.kind == "primary" and c.gate:
            hit = c.known(shown) & ~c.met(shown) & ~disqualified
            removed.append({"criterion": f"outside {c.label} (no disqualifier)", "gate": True,
                            "deals": int(hit.sum()), "amount": float(amount[hit].sum())})
    failing = open_deals["fit"] != "fit"
    won = deals[(deals["excluded"] == "") & (deals["outcome"] == "won")]
    fit_cv, fit_n, _ = _mean(won.loc[won["fit"] == "fit", "amount"])
    other_cv, other_n, _ = _mean(won.loc[won["fit"] != "fit", "amount"])
    return {"churned_arr": float(churned["starting_arr"].fillna(0).sum()), "churned_accounts": len(churned),
            "open_pipeline": float(amount.sum()), "open_deals": len(open_deals),
            "open_outside_gate": float(amount[failing].sum()), "open_outside_gate_deals": int(failing.sum()),
            "removed_by": removed,
            "contract_value": {"fit": fit_cv, "fit_n": fit_n, "non_fit": other_cv, "non_fit_n": other_n},
            "old_vs_new": old_vs_new(deals, values, current)}


def critical_question(closed: pd.DataFrame, won_accounts: pd.DataFrame, rules: LossRules) -> dict:
    """Do the deals lost to competitors look like the best customers? Compared on the share that matches the
    best-customer profile (all primary criteria, no negative one) and the mean score."""
    lost = closed[closed["outcome"] == "lost"]
    # a deal typed no decision (Type 3) went to nobody, whatever rival it evaluated ("No decision", Competitor
    # ADPro): counted here too, the front's competitive losses would not add up to its competitor blocks
    decided = lost["loss_type"] != 3 if "loss_type" in lost else pd.Series(True, index=lost.index)
    to_competitor = lost[decided & ((lost["competitor"].str.strip() != "")
                                    | lost["loss_reason"].map(lambda t: bool(find_keyword(t, rules.competitor)))
                                    | lost["loss_notes"].map(lambda t: bool(find_keyword(t, rules.competitor))))]
    other_lost = lost.drop(to_competitor.index)
    best = won_accounts[won_accounts["cohort"] == "best"]
    prob = won_accounts[won_accounts["cohort"] == "problematic"]

    def group(frame) -> dict:
        return {"n": int((frame["fit"] == "fit").sum()), "N": len(frame),
                "mean_score": float(frame["score"].mean()) if len(frame) else math.nan}

    comp, bst, prb, oth = group(to_competitor), group(best), group(prob), group(other_lost)
    p = fisher_p(comp["n"], comp["N"] - comp["n"], bst["n"], bst["N"] - bst["n"])
    share = comp["n"] / comp["N"] if comp["N"] else math.nan
    best_share = bst["n"] / bst["N"] if bst["N"] else math.nan
    if not comp["N"] or not bst["N"]:
        answer = "cannot tell"
    elif share >= 0.6 and share >= best_share - 0.25:
        answer = "yes"
    elif share < 0.4:
        answer = "no"
    else:
        answer = "partly"
    by_competitor = []
    for name, frame in to_competitor.groupby(to_competitor["competitor"].str.strip().replace("", "(not named)"),
                                             sort=True):
        by_competitor.append({"competitor": name, "n_fit": int((frame["fit"] == "fit").sum()), "N": len(frame),
                              "mean_score": float(frame["score"].mean())})
    return {"answer": answer, "lost_to_competitor": comp, "best_customers": bst, "problematic_customers": prb,
            "other_losses": oth, "p_value": p, "by_competitor": by_competitor}
