"""Proposed ICP from closed data: primary / secondary / negative criteria with evidence and a points scorecard.

Criteria compare best customers with problematic ones (won accounts scored by cohorts.py); with too few of
either, they compare won deals with lost deals instead, and say so. Numeric dimensions get a range found from the
data (ranges.py); categorical ones keep their value sets. Each criterion carries its dimension's kind
(firmographic, technographic, behavioural, relationship); the primary and negative criteria of the gate kinds decide
whether an account belongs in the pipeline at all, the rest rank within it. Thresholds are in IcpRules
(winloss.toml [crm.icp]); docs/crm.md explains them.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from winloss.crm.coherence import check_coherent
from winloss.crm.health import PREDICTS_P
from winloss.crm.ranges import (
    Range,
    best_range,
    best_tail,
    inside,
    number_text,
    range_text,
)
from winloss.crm.segments import UNKNOWN, Dimension, fisher_p, raw_column
from winloss.crm.settings import IcpRules

MAX_UNION = 3
OVER = 1.5
REDUNDANT = 0.9  # a criterion agreeing with a stronger one on this share of closed deals adds nothing


@dataclass(frozen=True)
class Criterion:
    kind: str  # primary, secondary, negative
    key: str  # dimension key
    dimension: str
    values: tuple[str, ...]  # categorical values, or band labels; () for a numeric range
    label: str
    n: int  # matching members of the reference group ...
    N: int  # ... out of
    n_other: int  # matching members of the comparison group ...
    N_other: int  # ... out of
    group: str  # "best customers" or "won deals"
    other: str  # "problematic customers" or "lost deals"
    deals_won: int = 0  # closed deals matching, for the deal-based negatives and the report
    deals_lost: int = 0
    p_value: float = 1.0  # Fisher exact, reference group vs comparison group (for basis "win rate": = deals_p)
    deals_p: float = 1.0  # Fisher exact, the closed deals it matches against the rest, won vs lost
    deals_edge: float = 0.0  # their win rate minus the rest's
    weight: int = 0
    basis: str = "customers"  # "win rate" for negatives found in lost deals rather than in problematic customers
    category: str = "firmographic"  # the dimension's kind: firmographic, technographic, behavioural, relationship
    # Part of the gate: failing it (primary) or hitting it (negative) makes an account wrong-fit. Only criteria of the
    # gate kinds backed by customers are; a negative seen only in a low win rate ranks, it does not disqualify.
    gate: bool = False
    low: float | None = None  # numeric range (values == ()): edges, inclusive unless `exclusive`
    high: float | None = None
    exclusive: bool = False
    ungated: str = ""  # why a criterion of a gate kind ranks instead: the deals it would turn away that we win

    @property
    def share(self) -> float:
        return self.n / self.N if self.N else math.nan

    @property
    def share_other(self) -> float:
        return self.n_other / self.N_other if self.N_other else math.nan

    @property
    def beyond_chance(self) -> bool:
        """Its counts pass a test: the groups' (p_value), or the win rate of the closed deals it matches against the
        rest's, the way its kind says (Tallybird's "Fulfillment Model: In-house": 0 of 12 best and 6 of 19
        problematic customers, p 0.06, but won 7 of 25 closed deals against 65 % overall, p 0.00002)."""
        return self.p_value <= PREDICTS_P or (self.deals_p <= PREDICTS_P
                                              and (self.deals_edge < 0) == (self.kind == "negative"))

    @property
    def numeric(self) -> bool:
        return not self.values

    @property
    def range(self) -> Range:
        return Range(self.low, self.high, self.n, self.N, self.n_other, self.N_other, self.exclusive)

    def met(self, frame: pd.DataFrame) -> pd.Series:
        """Which rows (deals or accounts) meet the criterion; an unknown value never does."""
        if self.numeric:
            return pd.Series(self.range.contains(frame[raw_column(self.key)].to_numpy()), index=frame.index)
        return frame[self.key].isin(self.values)

    def known(self, frame: pd.DataFrame) -> pd.Series:
        if self.numeric:
            return frame[raw_column(self.key)].notna()
        return frame[self.key] != UNKNOWN


def range_label(dim: Dimension, values: tuple[str, ...]) -> str:
    """'201-500' + '501-1000' -> 'Employees 201-1000'; categorical sets read 'Industry: A or B'."""
    if not dim.order:
        return f"{dim.label}: {' or '.join(values)}"
    if len(values) == 1:
        return f"{dim.label} {values[0]}"
    first, last = values[0], values[-1]
    low = None if first.startswith("<") else first.lstrip(">").split("-", 1)[0].rstrip("+")
    high = None if last.endswith("+") or last.startswith(">") else last.lstrip("<=").split("-", 1)[-1]
    if low and high:
        return f"{dim.label} {low}-{high}"
    return f"{dim.label} {low}+" if low else f"{dim.label} up to {high}"


def candidates(dim: Dimension, pos: pd.Series, neg: pd.Series) -> list[tuple[str, ...]]:
    """Value sets to consider: contiguous band ranges for ordered dimensions; single values plus the union of the
    over-represented values for categorical ones."""
    present = [v for v in (dim.order or sorted(set(pos) | set(neg))) if v != UNKNOWN
               and (v in set(pos) or v in set(neg))]
    if dim.order:
        return [tuple(present[i:j]) for i in range(len(present)) for j in range(i + 1, len(present) + 1)
                if j - i < len(present)]
    singles = [(v,) for v in present]
    # A union is a candidate only of clearly over-represented values (1.5 times the comparison share), at most three:
    # "Industry: A or B" reads as a profile, a list of six industries does not.
    over = tuple(v for v in present if _share(pos, (v,)) >= OVER * _share(neg, (v,)) and _share(pos, (v,)) > 0)
    return singles + ([over] if 1 < len(over) <= MAX_UNION and len(over) < len(present) else [])


def _share(values: pd.Series, chosen: tuple[str, ...]) -> float:
    return float(values.isin(chosen).mean()) if len(values) else 0.0


def compares_customers(cohort: pd.Series, rules: IcpRules) -> bool:
    """Are there enough best and problematic customers to find criteria by comparing them? Otherwise won deals are
    compared with lost ones."""
    return (cohort == "best").sum() >= rules.min_best and (cohort == "problematic").sum() >= rules.min_problematic


def derive_criteria(dims: list[Dimension], account_values: pd.DataFrame, cohort: pd.Series,
                    deal_values: pd.DataFrame, outcome: pd.Series, rules: IcpRules,
                    churned: pd.Series | None = None) -> list[Criterion]:
    """At most one positive (primary or secondary) and one negative criterion per dimension, never overlapping,
    weighted and checked for contradictions (coherence.check_coherent raises on a draft that contradicts itself).
    churned: per closed deal, is its account known to have churned? Without cohorts to compare, the won deals of
    churned accounts are no model customer: they join the lost deals on the other side."""
    best_mask, prob_mask = cohort == "best", cohort == "problematic"
    left = churned.reindex(deal_values.index, fill_value=False).astype(bool) if churned is not None else \
        pd.Series(False, index=deal_values.index)
    if compares_customers(cohort, rules):
        pos_frame, neg_frame, group, other = account_values[best_mask], account_values[prob_mask], \
            "best customers", "problematic customers"
    elif left.any():
        won = outcome == "won"
        pos_frame, neg_frame = deal_values[won & ~left], deal_values[outcome == "lost"]
        group, other = "won deals (churned accounts left out)", "lost deals"
    else:
        pos_frame, neg_frame, group, other = deal_values[outcome == "won"], deal_values[outcome == "lost"], \
            "won deals", "lost deals"
    overall_win = float((outcome == "won").mean()) if len(outcome) else 0.0
    chosen: list[Criterion] = []
    for dim in dims:
        if dim.key in rules.exclude or dim.key.removeprefix("x:") in rules.exclude:
            continue
        base = dict(key=dim.key, dimension=dim.label, group=group, other=other, category=dim.kind,
                    gate=dim.kind in rules.gate)
        if dim.numeric and raw_column(dim.key) in pos_frame:
            found = _numeric_criteria(dim, pos_frame, neg_frame, deal_values, outcome, rules, overall_win, base)
        else:
            found = _value_criteria(dim, pos_frame, neg_frame, deal_values, outcome, rules, overall_win, base)
        chosen += found
    # A disqualifier within chance on its own test ranks lower, it never disqualifies: in the gate (Tallybird's
    # "Ecommerce Platform: Shopify", p 0.20) it would make the whole gate a hypothesis, and every loss untested for
    # fit, beside required criteria at p 0.0001. A required criterion within chance stays: the gate is what it
    # requires, and the draft then says the gate is not yet a rule.
    chosen = [_with(c, gate=c.gate and c.kind != "secondary" and c.basis == "customers"
                    and (c.kind != "negative" or c.p_value <= PREDICTS_P)) for c in chosen]
    # a negative found by its low win rate is tested on that; the groups' test says little of a value rare on both
    # sides (the demo's Education: 0 of 34 best and 1 of 26 problematic customers, p 0.43; won 1 of 6, p 0.12)
    chosen = [_with(c, p_value=c.deals_p) if c.basis == "win rate" else c for c in chosen]
    criteria = _weigh(_drop_redundant(chosen, deal_values), rules)
    check_coherent(criteria, rules)
    return criteria


def _positive_kind(c: Criterion, rules: IcpRules) -> str:
    if c.share >= rules.primary_min_share and c.share_other <= rules.primary_max_other:
        return "primary"
    if c.share >= rules.secondary_min_share and c.share - c.share_other >= rules.secondary_min_gap:
        return "secondary"
    return ""


def _is_losing(c: Criterion, rules: IcpRules, overall_win: float) -> bool:
    """A negative found in the deals: rare among the reference group, and at least negative_min_deals closed deals
    that win at most half the overall win rate."""
    deals = c.deals_won + c.deals_lost
    return c.share <= rules.negative_max_share and deals >= rules.negative_min_deals \
        and c.deals_won / deals <= rules.negative_max_win_ratio * overall_win


def _evidence(c: Criterion, deal_values: pd.DataFrame, outcome: pd.Series) -> Criterion:
    """The criterion's counts and tests: the groups' (p_value) and its closed deals' against the rest (deals_p,
    two-sided, as the segment tables' "p (win)")."""
    in_deals = c.met(deal_values)
    won_in, lost_in = int((in_deals & (outcome == "won")).sum()), int((in_deals & (outcome == "lost")).sum())
    won_out, lost_out = int((~in_deals & (outcome == "won")).sum()), int((~in_deals & (outcome == "lost")).sum())
    return _with(c, deals_won=won_in, deals_lost=lost_in,
                 p_value=fisher_p(c.n, c.N - c.n, c.n_other, c.N_other - c.n_other),
                 deals_p=fisher_p(won_in, lost_in, won_out, lost_out),
                 deals_edge=_rate(won_in, lost_in) - _rate(won_out, lost_out))


def _rate(won: int, lost: int) -> float:
    return won / (won + lost) if won + lost else 0.0


def _numeric_criteria(dim, pos_frame, neg_frame, deal_values, outcome, rules, overall_win, base) -> list[Criterion]:
    """The range that best separates the groups (positive), and the tail beside it where the comparison group
    gathers (negative)."""
    col = raw_column(dim.key)
    pos, neg = pos_frame[col].to_numpy(float), neg_frame[col].to_numpy(float)
    out: list[Criterion] = []
    fit = best_range(pos, neg, rules.range_min_support)
    if fit is not None:
        c = _evidence(_range_criterion(dim, fit, "", base), deal_values, outcome)
        kind = _positive_kind(c, rules)
        if kind:
            out.append(_with(c, kind=kind))
    won = deal_values.loc[outcome == "won", col].to_numpy(float)
    lost = deal_values.loc[outcome == "lost", col].to_numpy(float)
    if out:
        out[0] = _capped(out[0], dim, pos, neg, won, lost, deal_values, outcome, rules, overall_win, base)
    edge = out[0].range if out else None
    tail = best_tail(neg, pos, rules.range_min_support, rules.negative_max_share, edge)
    if tail is not None:
        flipped = Range(tail.low, tail.high, tail.n_other, tail.N_other, tail.n, tail.N, exclusive=True)
        c = _evidence(_range_criterion(dim, flipped, "negative", base), deal_values, outcome)
        if c.share_other >= rules.negative_min_other:
            return _too_tight(out + [c], dim, won, lost, rules, overall_win)
    tail = best_tail(lost, won, rules.range_min_support, 1.0, edge)
    if tail is not None:
        probe = Range(tail.low, tail.high, int(tail.contains(pos).sum()), len(pos), int(tail.contains(neg).sum()),
                      len(neg), exclusive=True)
        c = _evidence(_range_criterion(dim, probe, "negative", base), deal_values, outcome)
        if _is_losing(c, rules, overall_win):
            out.append(_with(c, basis="win rate"))
    return _too_tight(out, dim, won, lost, rules, overall_win)


def _too_tight(out: list[Criterion], dim, won, lost, rules, overall_win: float) -> list[Criterion]:
    """A size gate drawn from best customers can turn away deals we win: Tallybird's best customers all have 105+
    employees, yet its closed deals of 37-104 employees won 19 of 24. Where the closed deals' own range (won
    against lost) reaches past the positive range's edge, and the deals between the two edges (at least
    ungate_min_deals) win at least the overall rate, the dimension's criteria rank but do not gate, and say why. The
    demo's 100-119 employees won 6 of 8: too few to overrule 34 of 34 best customers."""
    positive = next((c for c in out if c.kind == "primary" and c.numeric), None)
    deals = best_range(won, lost, rules.range_min_support)
    if positive is None or deals is None or not any(c.gate for c in out) or len(lost) < rules.range_min_support:
        return out
    show = lambda x: number_text(x, dim.unit)  # noqa: E731
    bands = []  # (deals inside the band: won, lost; the band in words), below the range's edge, then above it
    if positive.low is not None and (deals.low is None or deals.low < positive.low):
        lo, hi = -np.inf if deals.low is None else deals.low, positive.low
        bands.append(((won >= lo) & (won < hi), (lost >= lo) & (lost < hi),
                      f"under {show(hi)}" if deals.low is None else f"{show(lo)} to under {show(hi)}"))
    if positive.high is not None and (deals.high is None or deals.high > positive.high):
        lo, hi = positive.high, np.inf if deals.high is None else deals.high
        bands.append(((won > lo) & (won <= hi), (lost > lo) & (lost <= hi),
                      f"over {show(lo)}" if deals.high is None else f"over {show(lo)} up to {show(hi)}"))
    for won_in, lost_in, where in bands:
        n_won, n_lost = int(won_in.sum()), int(lost_in.sum())
        if n_won + n_lost >= rules.ungate_min_deals and n_won / (n_won + n_lost) >= overall_win:
            why = (f"not a gate: closed deals at {where} ({dim.label}), outside {positive.label}, won "
                   f"{n_won} of {n_won + n_lost} ({n_won / (n_won + n_lost):.0%}), at or above the "
                   f"{overall_win:.0%} overall")
            return [_with(c, gate=False, ungated=why) if c.gate else c for c in out]
    return out


def _capped(c: Criterion, dim, pos, neg, won, lost, deal_values, outcome, rules, overall_win, base) -> Criterion:
    """An open-ended positive range ("105+") closed where the deals beyond a cut inside it lose at a low win rate
    (Tallybird: best customers all have 105+ employees, but deals over 500 won 3 of 11 against 65 % overall): the
    best customers cannot show that edge, since big accounts that lose never become customers. Kept open when the
    capped range would no longer qualify."""
    if c.low is not None and c.high is not None:
        return c
    inner = c.range
    # best_tail looks above a fit's upper edge or below its lower one: the open side's cut must lie inside the range
    side = Range(None, inner.low, 0, 0, 0, 0) if inner.high is None else Range(inner.high, None, 0, 0, 0, 0)
    beyond = best_tail(lost[inner.contains(lost)], won[inner.contains(won)], rules.range_min_support, 1.0, side)
    if beyond is None:
        return c
    probe = _evidence(_range_criterion(dim, Range(beyond.low, beyond.high, int(beyond.contains(pos).sum()), len(pos),
                                                  int(beyond.contains(neg).sum()), len(neg), exclusive=True),
                                       "negative", base), deal_values, outcome)
    if not _is_losing(probe, rules, overall_win):
        return c
    low, high = (inner.low, beyond.low) if inner.high is None else (beyond.high, inner.high)
    r = Range(low, high, int(inside(pos, low, high).sum()), len(pos), int(inside(neg, low, high).sum()), len(neg))
    closed = _evidence(_range_criterion(dim, r, c.kind, base), deal_values, outcome)
    return _with(closed, gate=c.gate) if _positive_kind(closed, rules) == c.kind else c


def _range_criterion(dim: Dimension, r: Range, kind: str, base: dict) -> Criterion:
    return Criterion(kind=kind, values=(), label=f"{dim.label} {range_text(r, dim.unit)}", n=r.n, N=r.N,
                     n_other=r.n_other, N_other=r.N_other, low=r.low, high=r.high, exclusive=r.exclusive, **base)


def _value_criteria(dim, pos_frame, neg_frame, deal_values, outcome, rules, overall_win, base) -> list[Criterion]:
    """Categorical values (or contiguous bands of a banded dimension without raw numbers): the best positive set,
    then the best negative set among the values the positive one does not hold."""
    pos, neg = pos_frame[dim.key], neg_frame[dim.key]
    scored = []
    for values in candidates(dim, pos, neg):
        c = Criterion(kind="", values=values, label=range_label(dim, values), n=int(pos.isin(values).sum()),
                      N=len(pos), n_other=int(neg.isin(values).sum()), N_other=len(neg), **base)
        scored.append(_evidence(c, deal_values, outcome))
    out: list[Criterion] = []
    primary = [c for c in scored if _positive_kind(c, rules) == "primary"]
    secondary = [c for c in scored if _positive_kind(c, rules)]
    if primary:
        out.append(_with(min(primary, key=lambda c: (len(c.values), -(c.share - c.share_other), c.label)),
                         kind="primary"))
    elif secondary:
        out.append(_with(min(secondary, key=lambda c: (-(c.share - c.share_other), len(c.values), c.label)),
                         kind="secondary"))
    taken = set(out[0].values) if out else set()
    apart = [c for c in scored if not taken & set(c.values)]
    negative = [c for c in apart if c.share <= rules.negative_max_share and c.share_other >= rules.negative_min_other]
    losing = [c for c in apart if _is_losing(c, rules, overall_win)]
    if negative:
        out.append(_with(min(negative, key=lambda c: (-c.share_other, len(c.values), c.label)), kind="negative"))
    elif losing:
        out.append(_with(min(losing, key=lambda c: (-c.deals_lost, len(c.values), c.label)), kind="negative",
                         basis="win rate"))
    return out


def _drop_redundant(criteria: list[Criterion], deal_values: pd.DataFrame) -> list[Criterion]:
    """Correlated attributes (revenue follows headcount) would count one trait twice in the scorecard: keep the
    stronger criterion of each pair that agrees on nearly every closed deal."""
    strength = {"primary": 0, "secondary": 1}
    # Ties keep the order of the dimensions (employees before revenue): sorted() is stable.
    ranked = sorted(criteria, key=lambda c: (c.kind == "negative", strength.get(c.kind, 0),
                                             -round(abs(c.share - c.share_other), 9)))
    kept: list[Criterion] = []
    met = {id(c): c.met(deal_values).to_numpy() for c in criteria}
    for c in ranked:
        if any((c.kind == "negative") == (k.kind == "negative") and float((met[id(k)] == met[id(c)]).mean())
               >= REDUNDANT for k in kept):
            continue
        kept.append(c)
    return kept


def _with(c: Criterion, **changes) -> Criterion:
    return Criterion(**{**asdict(c), **changes})


def earns_points(c: Criterion, criteria: list[Criterion]) -> bool:
    """A criterion that only ranks earns points when its own test is beyond chance, or when none is: then the whole
    scorecard is a hypothesis and the draft says so (health.unproven_score). Otherwise a difference this sample
    could show by chance (Tallybird's "Lead source: Web", p 0.11) would move deals between bands beside criteria at
    p 0.0001; it is listed to test next quarter instead. The gate's criteria always count: the gate is what it
    requires, and a gate within chance is said to be."""
    return c.gate or c.beyond_chance or not any(x.beyond_chance for x in criteria)


def _weigh(criteria: list[Criterion], rules: IcpRules) -> list[Criterion]:
    """Points from the data: positive criteria in proportion to their gap between the groups (doubled for
    primary), summing to 100 by largest remainder. A negative criterion of the gate subtracts negative_points (the
    account is out of the pipeline); one outside the gate subtracts the points its own gap would earn, at most
    ranking_negative_max: a weak behavioural signal lowers the rank, it does not disqualify. A criterion that does
    not earn points (earns_points) gets 0."""
    raw = {i: (2 if c.kind == "primary" else 1) * max(c.share - c.share_other, 0.01)
           for i, c in enumerate(criteria) if c.kind != "negative" and earns_points(c, criteria)}
    total = sum(raw.values())
    weights: dict[int, int] = {}
    if total:
        exact = {i: 100 * r / total for i, r in raw.items()}
        weights = {i: int(math.floor(x)) for i, x in exact.items()}
        for i in sorted(exact, key=lambda i: (-(exact[i] - weights[i]), i))[: 100 - sum(weights.values())]:
            weights[i] += 1
    for i, c in enumerate(criteria):
        if not earns_points(c, criteria):
            weights[i] = 0
        elif c.kind != "negative":
            continue
        elif c.gate:
            weights[i] = -rules.negative_points
        else:
            gap = max(c.share_other - c.share, 0.01) if c.basis == "customers" else 0.5
            weights[i] = -min(rules.ranking_negative_max, max(1, round(100 * gap / (total or 1))))
    order = {"primary": 0, "secondary": 1, "negative": 2}
    weighed = [_with(c, weight=weights[i]) for i, c in enumerate(criteria)]
    return sorted(weighed, key=lambda c: (order[c.kind], -abs(c.weight), c.label))


def assess(values: pd.DataFrame, criteria: list[Criterion]) -> tuple[pd.Series, list[list[str]]]:
    """Score every row (deal or account) on the scorecard and say why it fails the gate.

    score: the points of the criteria a row meets (negative ones subtract), clamped to 0-100; an unknown value
    earns nothing. Failures: a primary gate criterion the row fails (known values only) or a negative gate
    criterion it hits; an empty list means right fit. Criteria outside the gate only move the score."""
    points = np.zeros(len(values), dtype=int)
    messages: list[list[str]] = [[] for _ in range(len(values))]
    for c in criteria:
        met = c.met(values).to_numpy()
        points += met.astype(int) * c.weight
        if not c.gate:
            continue
        if c.kind == "primary":
            for i in (c.known(values).to_numpy() & ~met).nonzero()[0]:
                messages[i].append(f"fails {c.label}")
        elif c.kind == "negative":
            for i in met.nonzero()[0]:
                messages[i].append(f"hits negative {c.label}")
    return pd.Series(points, index=values.index).clip(0, 100), messages


def band(score: int, rules: IcpRules) -> str:
    return "A" if score >= rules.band_a else "B" if score >= rules.band_b else "C"
