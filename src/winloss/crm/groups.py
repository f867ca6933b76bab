"""Several ICPs when the data has them: best customers that form two clearly separate groups on a numeric gate
dimension (a band of problematic or lost accounts between two bands of best customers, each holding a fair share
of them) get one profile each; otherwise the draft says one ICP fits. Pure: arrays in, records out."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from winloss.crm.ranges import best_range, range_text

MIN_GROUP_SHARE = 0.25  # each group holds at least this share of best customers ...
MIN_GROUP = 5  # ... and at least this many


@dataclass(frozen=True)
class IcpGroup:
    dimension: str
    label: str  # "Employees 120-700"
    best: int  # best customers in the group ...
    best_total: int  # ... of all best customers
    other: int  # comparison-group accounts in the group's range ...
    other_total: int


def split_groups(dimension: str, unit: str, best, other, min_support: int) -> list[IcpGroup]:
    """Two groups when the widest gap between consecutive best-customer values (on a log scale: 50 vs 100 is as
    far as 500 vs 1,000) holds at least min_support comparison accounts and no best customer, with each side
    holding MIN_GROUP_SHARE of best customers; [] otherwise. Each group's range is searched on its own side."""
    b = np.sort(np.asarray(best, dtype=float)[~np.isnan(np.asarray(best, dtype=float))])
    o = np.asarray(other, dtype=float)
    o = o[~np.isnan(o)]
    if len(b) < 2 * MIN_GROUP or (b <= 0).any():
        return []
    gaps = np.diff(np.log(b))
    need = max(MIN_GROUP, int(np.ceil(MIN_GROUP_SHARE * len(b))))
    candidates = [i for i in np.argsort(-gaps, kind="stable") if need <= i + 1 <= len(b) - need]
    if not candidates:
        return []
    i = candidates[0]
    lo, hi = b[i], b[i + 1]
    if int(((o > lo) & (o < hi)).sum()) < min_support:
        return []
    groups = []
    for side_best, side_other in ((b[: i + 1], o[o < hi]), (b[i + 1:], o[o > lo])):
        r = best_range(side_best, side_other, min_support)
        # each group's own range must hold its share of best customers and hold them twice as densely as the
        # comparison group: a narrow pocket of a few accounts is not a second ICP
        if r is None or r.n < need or r.n / len(b) < 2 * r.contains(o).sum() / max(len(o), 1):
            return []
        groups.append(IcpGroup(dimension, f"{dimension} {range_text(r, unit)}", r.n, len(b), int(r.contains(o).sum()),
                               len(o)))
    return groups


def describe(groups: list[IcpGroup], group: str, other: str) -> str:
    if not groups:
        return f"One ICP: the {group} form one group on every numeric gate dimension tested."
    parts = [f"{g.label} ({g.best} of {g.best_total} {group}; {g.other} of {g.other_total} {other})" for g in groups]
    return f"Two ICPs: {group} form two separate groups on {groups[0].dimension}: " + " and ".join(parts) + \
        ". Qualify and message each on its own."
