"""Proposed ICP from closed data: primary / secondary / negative criteria with evidence, a points scorecard,
its back-test on the historical deals, and the diff against the current ICP.

Criteria compare best customers with problematic ones (won accounts scored by cohorts.py); with too few of
either, they compare won deals with lost deals instead, and say so. Thresholds are in IcpRules (winloss.toml
[crm.icp]); docs/crm.md explains them.
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from winloss.crm.segments import UNKNOWN, Dimension, fisher_p
from winloss.crm.settings import IcpRules

MAX_UNION = 3
OVER = 1.5
REDUNDANT = 0.9  # a criterion agreeing with a stronger one on this share of closed deals adds nothing


@dataclass(frozen=True)
class Criterion:
    kind: str  # primary, secondary, negative
    key: str  # dimension key
    dimension: str
    values: tuple[str, ...]
    label: str
    n: int  # matching members of the reference group ...
    N: int  # ... out of
    n_other: int  # matching members of the comparison group ...
    N_other: int  # ... out of
    group: str  # "best customers" or "won deals"
    other: str  # "problematic customers" or "lost deals"
    deals_won: int = 0  # closed deals matching, for the deal-based negatives and the report
    deals_lost: int = 0
    p_value: float = 1.0  # Fisher exact, reference group vs comparison group
    weight: int = 0
    basis: str = "customers"  # "win rate" for negatives found in lost deals rather than in problematic customers

    @property
    def share(self) -> float:
        return self.n / self.N if self.N else math.nan

    @property
    def share_other(self) -> float:
        return self.n_other / self.N_other if self.N_other else math.nan

    def matches(self, value: str) -> bool | None:
        """None when the deal's value is unknown: it neither meets nor fails the criterion."""
        return None if value == UNKNOWN else value in self.values


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


def derive_criteria(dims: list[Dimension], account_values: pd.DataFrame, cohort: pd.Series,
                    deal_values: pd.DataFrame, outcome: pd.Series, rules: IcpRules) -> list[Criterion]:
    best_mask, prob_mask = cohort == "best", cohort == "problematic"
    if best_mask.sum() >= rules.min_best and prob_mask.sum() >= rules.min_problematic:
        pos_frame, neg_frame, group, other = account_values[best_mask], account_values[prob_mask], \
            "best customers", "problematic customers"
    else:
        pos_frame, neg_frame, group, other = deal_values[outcome == "won"], deal_values[outcome == "lost"], \
            "won deals", "lost deals"
    overall_win = float((outcome == "won").mean()) if len(outcome) else 0.0
    chosen: list[Criterion] = []
    for dim in dims:
        if dim.key in rules.exclude or dim.key.removeprefix("x:") in rules.exclude:
            continue
        pos, neg = pos_frame[dim.key], neg_frame[dim.key]
        scored = []
        for values in candidates(dim, pos, neg):
            in_deals = deal_values[dim.key].isin(values)
            c = Criterion("", dim.key, dim.label, values, range_label(dim, values),
                          int(pos.isin(values).sum()), len(pos), int(neg.isin(values).sum()), len(neg), group, other,
                          int((in_deals & (outcome == "won")).sum()), int((in_deals & (outcome == "lost")).sum()))
            scored.append(_with(c, p_value=fisher_p(c.n, c.N - c.n, c.n_other, c.N_other - c.n_other)))
        primary = [c for c in scored if c.share >= rules.primary_min_share
                   and c.share_other <= rules.primary_max_other]
        secondary = [c for c in scored if c.share >= rules.secondary_min_share
                     and c.share - c.share_other >= rules.secondary_min_gap]
        if primary:
            best = min(primary, key=lambda c: (len(c.values), -(c.share - c.share_other), c.label))
            chosen.append(_with(best, kind="primary"))
        elif secondary:
            best = min(secondary, key=lambda c: (-(c.share - c.share_other), len(c.values), c.label))
            chosen.append(_with(best, kind="secondary"))
        negative = [c for c in scored if c.share <= rules.negative_max_share
                    and c.share_other >= rules.negative_min_other]
        losing = [c for c in scored if c.share <= rules.negative_max_share
                  and c.deals_won + c.deals_lost >= rules.negative_min_deals
                  and c.deals_won / (c.deals_won + c.deals_lost) <= rules.negative_max_win_ratio * overall_win]
        if negative:
            chosen.append(_with(min(negative, key=lambda c: (-c.share_other, len(c.values), c.label)),
                                kind="negative"))
        elif losing:
            chosen.append(_with(min(losing, key=lambda c: (-c.deals_lost, len(c.values), c.label)), kind="negative",
                                basis="win rate"))
    return _weigh(_drop_redundant(chosen, deal_values), rules)


def _drop_redundant(criteria: list[Criterion], deal_values: pd.DataFrame) -> list[Criterion]:
    """Correlated attributes (revenue follows headcount) would count one trait twice in the scorecard: keep the
    stronger criterion of each pair that agrees on nearly every closed deal."""
    strength = {"primary": 0, "secondary": 1}
    # Ties keep the order of the dimensions (employees before revenue): sorted() is stable.
    ranked = sorted(criteria, key=lambda c: (c.kind == "negative", strength.get(c.kind, 0),
                                             -round(abs(c.share - c.share_other), 9)))
    kept: list[Criterion] = []
    for c in ranked:
        mine = deal_values[c.key].isin(c.values)
        if any((c.kind == "negative") == (k.kind == "negative")
               and float((deal_values[k.key].isin(k.values) == mine).mean()) >= REDUNDANT for k in kept):
            continue
        kept.append(c)
    return kept


def _with(c: Criterion, **changes) -> Criterion:
    return Criterion(**{**asdict(c), **changes})


def _weigh(criteria: list[Criterion], rules: IcpRules) -> list[Criterion]:
    """Positive weights in proportion to each criterion's gap (doubled for primary), summing to 100 by largest
    remainder; negative criteria subtract a fixed number of points."""
    raw = {i: (2 if c.kind == "primary" else 1) * max(c.share - c.share_other, 0.01)
           for i, c in enumerate(criteria) if c.kind != "negative"}
    total = sum(raw.values())
    weights: dict[int, int] = {}
    if total:
        exact = {i: 100 * r / total for i, r in raw.items()}
        weights = {i: int(math.floor(x)) for i, x in exact.items()}
        for i in sorted(exact, key=lambda i: (-(exact[i] - weights[i]), i))[: 100 - sum(weights.values())]:
            weights[i] += 1
    order = {"primary": 0, "secondary": 1, "negative": 2}
    weighed = [_with(c, weight=weights.get(i, -rules.negative_points)) for i, c in enumerate(criteria)]
    return sorted(weighed, key=lambda c: (order[c.kind], -abs(c.weight), c.label))


def assess(values: pd.DataFrame, criteria: list[Criterion]) -> tuple[pd.Series, list[list[str]]]:
    """Score every row (deal or account) on the scorecard and say why it does not match the best-customer profile.

    score: the points of the criteria a row meets (negative ones subtract), clamped to 0-100; an unknown value
    earns nothing. Failures: a primary criterion the row fails (known values only) or a negative one it hits; an
    empty list means right fit."""
    points = pd.Series(0, index=values.index, dtype=int)
    messages: list[list[str]] = [[] for _ in range(len(values))]
    for c in criteria:
        met = values[c.key].isin(c.values).to_numpy()
        known = (values[c.key] != UNKNOWN).to_numpy()
        points += met.astype(int) * c.weight
        if c.kind == "primary":
            for i in (known & ~met).nonzero()[0]:
                messages[i].append(f"fails {c.label}")
        elif c.kind == "negative":
            for i in met.nonzero()[0]:
                messages[i].append(f"hits negative {c.label}")
    return points.clip(0, 100), messages  # criteria come primary first, so failures read before negatives


def band(score: int, rules: IcpRules) -> str:
    return "A" if score >= rules.band_a else "B" if score >= rules.band_b else "C"


def backtest(scores: pd.Series, outcome: pd.Series, account_scores: pd.Series, cohort: pd.Series,
             rules: IcpRules) -> dict:
    """Shares of historical wins scoring in band A and of losses below band B; deals and won accounts per band."""
    won, lost = scores[outcome == "won"], scores[outcome == "lost"]
    bands = []
    for name in ("A", "B", "C"):
        in_band = scores.map(lambda s: band(s, rules)) == name
        w, lo = int((in_band & (outcome == "won")).sum()), int((in_band & (outcome == "lost")).sum())
        accounts = account_scores.map(lambda s: band(s, rules)) == name
        bands.append({"band": name, "won": w, "lost": lo, "deals": w + lo,
                      "win_rate": w / (w + lo) if w + lo else None, "accounts": int(accounts.sum()),
                      "best": int((accounts & (cohort == "best")).sum()),
                      "problematic": int((accounts & (cohort == "problematic")).sum())})
    return {"wins_at_or_above_a": int((won >= rules.band_a).sum()), "wins": len(won),
            "losses_below_b": int((lost < rules.band_b).sum()), "losses": len(lost), "bands": bands}


def load_current_icp(study_dir: Path) -> tuple[dict | None, str]:
    """STUDY/icp_current.toml (or .yaml/.yml): {name, criteria: [{dimension, values | min/max, kind}]}.
    Returns (the table, '') or (None, 'path: why it cannot be read'); (None, '') when there is none."""
    for name in ("icp_current.toml", "icp_current.yaml", "icp_current.yml"):
        path = study_dir / name
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        try:
            if path.suffix == ".toml":
                return tomllib.loads(text), ""
            import yaml

            return yaml.safe_load(text), ""
        except Exception as exc:  # noqa: BLE001 - any parse error becomes one clear message
            return None, f"{path.name}: cannot read the current ICP: {exc}"
    return None, ""


def _range_bands(dim: Dimension, low: float | None, high: float | None) -> tuple[str, ...]:
    """Bands of an ordered dimension that lie inside [low, high] (bands hold whole numbers above the previous
    band's upper bound, up to their own)."""
    chosen, previous = [], -math.inf
    for bound, label in zip(dim.bounds, dim.order):
        if (low is None or previous + 1 >= low) and (high is None or bound <= high):
            chosen.append(label)
        previous = bound
    return tuple(chosen)


def current_criteria(current: dict, dims: list[Dimension]) -> tuple[list[dict], list[str]]:
    """Turn the current ICP's criteria into value sets on our dimensions. Returns them and messages for criteria
    that name no dimension of the data."""
    by_name = {}
    for d in dims:
        by_name[d.key.casefold()] = d
        by_name[d.label.casefold()] = d
        by_name[d.key.removeprefix("x:").casefold()] = d
    out, messages = [], []
    for item in current.get("criteria", []):
        name = str(item.get("dimension", ""))
        dim = by_name.get(name.casefold()) or by_name.get(name.casefold().replace(" ", "_"))
        if dim is None:
            messages.append(f"current ICP criterion on {name!r}: no such column in the CRM data; not compared")
            continue
        if "values" in item:
            wanted = {str(v).casefold() for v in item["values"]}
            values = tuple(v for v in (dim.order or []) if v.casefold() in wanted) if dim.order else \
                tuple(sorted(str(v) for v in item["values"]))
        else:
            values = _range_bands(dim, item.get("min"), item.get("max"))
        out.append({"dimension": dim, "values": values, "kind": str(item.get("kind", "primary")),
                    "label": range_label(dim, values) if values else f"{dim.label} (no matching band)",
                    "text": str(item.get("description", ""))})
    return out, messages


def diff_icp(current: list[dict], proposed: list[Criterion]) -> list[dict]:
    """Kept (same dimension and values), changed (same dimension, other values), dropped, added."""
    rows = []
    proposed_by_key: dict[str, list[Criterion]] = {}
    for c in proposed:
        proposed_by_key.setdefault(c.key, []).append(c)
    matched: set[int] = set()
    for cur in current:
        key = cur["dimension"].key
        same_sign = [c for c in proposed_by_key.get(key, [])
                     if (c.kind == "negative") == (cur["kind"] == "negative")]
        if not same_sign:
            rows.append({"change": "dropped", "current": cur["label"], "proposed": "", "kind": cur["kind"]})
            continue
        c = same_sign[0]
        matched.add(id(c))
        casefold = lambda vs: {v.casefold() for v in vs}  # noqa: E731 - one-line helper
        change = "kept" if casefold(c.values) == casefold(cur["values"]) and c.kind == cur["kind"] else "changed"
        rows.append({"change": change, "current": f"{cur['label']} ({cur['kind']})",
                     "proposed": f"{c.label} ({c.kind})", "kind": c.kind})
    for c in proposed:
        if id(c) not in matched:
            rows.append({"change": "added", "current": "", "proposed": f"{c.label} ({c.kind})", "kind": c.kind})
    order = {"kept": 0, "changed": 1, "added": 2, "dropped": 3}
    return sorted(rows, key=lambda r: (order[r["change"]], r["proposed"] or r["current"]))
