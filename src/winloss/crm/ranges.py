"""Numeric ICP ranges found from the data: an exhaustive search over the observed values for the interval that best
separates one group (best customers, or won deals) from another, with a minimum number of observations on each side
of every cut, and edges moved to the roundest number that changes no count ("150-800 employees").

Pure functions on arrays: no pandas, no I/O.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SLACK = 0.1  # an edge may move this far (relative) from the data towards a rounder number, never past another value


@dataclass(frozen=True)
class Range:
    low: float | None  # lower edge; None: open below
    high: float | None  # upper edge; None: open above
    n: int  # members of the reference group inside ...
    N: int  # ... out of
    n_other: int  # members of the comparison group inside ...
    N_other: int  # ... out of
    exclusive: bool = False  # a tail next to a range: "under 120" is x < 120, "over 700" is x > 700

    @property
    def gap(self) -> float:
        return (self.n / self.N if self.N else 0.0) - (self.n_other / self.N_other if self.N_other else 0.0)

    def contains(self, x) -> np.ndarray:
        return inside(x, self.low, self.high, self.exclusive)

    def overlaps(self, other: "Range") -> bool:
        lo = max(_edge(self.low, -math.inf), _edge(other.low, -math.inf))
        hi = min(_edge(self.high, math.inf), _edge(other.high, math.inf))
        touching_open = self.exclusive or other.exclusive
        return lo < hi or (lo == hi and not touching_open)


def _edge(x: float | None, default: float) -> float:
    return default if x is None else x


def inside(x, low: float | None, high: float | None, exclusive: bool = False) -> np.ndarray:
    """Which values lie between the edges (inclusive, or exclusive for tails); NaN (unknown) never does."""
    x = np.asarray(x, dtype=float)
    hit = ~np.isnan(x)
    with np.errstate(invalid="ignore"):
        if low is not None:
            hit &= (x > low) if exclusive else (x >= low)
        if high is not None:
            hit &= (x < high) if exclusive else (x <= high)
    return hit


def best_range(pos, neg, min_support: int) -> Range | None:
    """The interval with the widest gap between the share of `pos` and the share of `neg` inside it.

    Edges are tried at every observed `pos` value (an optimal interval can always be shrunk onto them) and may be
    open; a cut is allowed only with at least `min_support` observations of both groups together on each side.
    Ties: the larger reference share, then open edges, then the lower edge. None when no interval has a positive
    gap."""
    p, q = _clean(pos), _clean(neg)
    if not len(p):
        return None
    pooled = np.sort(np.concatenate([p, q]))
    values = np.unique(p)
    below = np.searchsorted(pooled, values, "left")
    above = len(pooled) - np.searchsorted(pooled, values, "right")
    lows = [None] + [float(v) for v, b in zip(values, below) if b >= min_support and len(pooled) - b >= min_support]
    highs = [float(v) for v, a in zip(values, above) if a >= min_support and len(pooled) - a >= min_support] + [None]
    lo = np.array([-np.inf if v is None else v for v in lows])
    hi = np.array([np.inf if v is None else v for v in highs])
    ps, qs = np.sort(p), np.sort(q)
    p_n = np.searchsorted(ps, hi, "right")[None, :] - np.searchsorted(ps, lo, "left")[:, None]
    q_n = np.searchsorted(qs, hi, "right")[None, :] - np.searchsorted(qs, lo, "left")[:, None]
    q_share = q_n / len(q) if len(q) else np.zeros(q_n.shape)
    gap = np.round(p_n / len(p) - q_share, 9)
    gap = np.where((lo[:, None] <= hi[None, :]) & (p_n > 0) & ~(np.isinf(lo)[:, None] & np.isinf(hi)[None, :]),
                   gap, -np.inf)
    if gap.max() <= 0:
        return None
    i, j = min(zip(*np.nonzero(gap == gap.max())),
               key=lambda ij: (-p_n[ij], int(np.isfinite(lo[ij[0]])) + int(np.isfinite(hi[ij[1]])), lo[ij[0]],
                               hi[ij[1]]))
    low = _round_low(lows[i], pooled) if lows[i] is not None else None
    high = _round_high(highs[j], pooled) if highs[j] is not None else None
    return Range(low, high, int(inside(p, low, high).sum()), len(p), int(inside(q, low, high).sum()), len(q))


def best_tail(pos, neg, min_support: int, max_share: float, fit: Range | None) -> Range | None:
    """A negative range: the tail below (or above) the positive range `fit` where `pos` (the problematic group, for
    a negative criterion) is most over-represented while at most `max_share` of `neg` (best customers) lies in it.
    The tail ends at the positive range's edge when no observation lies between, so the two read together ("under
    120", "120-700")."""
    p, q = _clean(pos), _clean(neg)
    if not len(p):
        return None
    pooled = np.sort(np.concatenate([p, q]))
    lower_limit = fit.low if fit is not None and fit.low is not None else None
    upper_limit = fit.high if fit is not None and fit.high is not None else None
    options = []
    for c in np.unique(p):
        if (fit is None or lower_limit is not None) and (lower_limit is None or c < lower_limit):
            nxt = pooled[pooled > c]
            stop = min(nxt.min() if len(nxt) else math.inf, lower_limit if lower_limit is not None else math.inf)
            edge = stop if lower_limit is not None and stop == lower_limit else \
                roundest(c, min(stop, c + SLACK * abs(c)), prefer=c, open_low=True)
            options.append(Range(None, edge, 0, 0, 0, 0, exclusive=True))
        if (fit is None or upper_limit is not None) and (upper_limit is None or c > upper_limit):
            prev = pooled[pooled < c]
            start = max(prev.max() if len(prev) else -math.inf,
                        upper_limit if upper_limit is not None else -math.inf)
            edge = start if upper_limit is not None and start == upper_limit else \
                roundest(max(start, c - SLACK * abs(c)), c, prefer=c, open_high=True)
            options.append(Range(edge, None, 0, 0, 0, 0, exclusive=True))
    scored = []
    for r in options:
        n, n_other = int(r.contains(p).sum()), int(r.contains(q).sum())
        outside = len(pooled) - n - n_other
        if n < min_support or outside < min_support or (len(q) and n_other / len(q) > max_share + 1e-12):
            continue
        scored.append(Range(r.low, r.high, n, len(p), n_other, len(q), exclusive=True))
    scored = [r for r in scored if r.gap > 0]
    if not scored:
        return None
    return min(scored, key=lambda r: (-round(r.gap, 9), -r.n, _edge(r.low, -math.inf), _edge(r.high, math.inf)))


def _clean(values) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    return a[~np.isnan(a)]


def _round_low(edge: float, pooled: np.ndarray) -> float:
    """A rounder lower edge in (previous observed value, edge], within SLACK of edge."""
    previous = pooled[pooled < edge]
    floor = previous.max() if len(previous) else -math.inf
    return roundest(max(edge - SLACK * abs(edge), floor), edge, prefer=edge, open_low=True)


def _round_high(edge: float, pooled: np.ndarray) -> float:
    following = pooled[pooled > edge]
    ceiling = following.min() if len(following) else math.inf
    return roundest(edge, min(edge + SLACK * abs(edge), ceiling), prefer=edge, open_high=True)


def roundest(lo: float, hi: float, prefer: float, open_low: bool = False, open_high: bool = False) -> float:
    """The number in [lo, hi] with the fewest significant figures (steps of 10^k, then 5 x 10^(k-1)),
    nearest `prefer` among equals; open_low / open_high exclude that end. `prefer` itself when nothing rounder fits."""
    top = max(abs(lo), abs(hi), 1.0)
    for k in range(int(math.floor(math.log10(top))) + 1, -3, -1):
        for step in (10.0 ** k, 5 * 10.0 ** (k - 1)):
            first, last = math.ceil(lo / step), math.floor(hi / step)
            hits = [m * step for m in range(first, last + 1)
                    if not (open_low and m * step <= lo) and not (open_high and m * step >= hi)]
            if hits:
                return float(min(hits, key=lambda x: (abs(x - prefer), x)))
    return float(prefer)


def number_text(x: float, unit: str = "") -> str:
    """One edge as range_text writes it, without a unit that follows the number."""
    if unit == "year":
        return f"{x:.0f}"
    if unit == "$":
        for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if abs(x) >= size:
                return f"${x / size:g}{suffix}"
        return f"${x:g}"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,g}"


def range_text(r: Range, unit: str = "") -> str:
    """'120-700', '120+', 'up to 700'; tails read 'under 120' and 'over 700'. unit '$' prefixes money (k, M, B);
    unit 'year' reads the numbers as years ('1992-2005'); any other unit follows the numbers (' days')."""
    def show(x: float) -> str:
        return number_text(x, unit)
    tail = unit if unit not in ("$", "year") else ""
    if r.exclusive:
        return f"under {show(r.high)}{tail}" if r.high is not None else f"over {show(r.low)}{tail}"
    if r.low is not None and r.high is not None:
        return f"{show(r.low)}-{show(r.high)}{tail}"
    if r.low is not None:
        return f"{show(r.low)}+{tail}"
    return f"up to {show(r.high)}{tail}" if r.high is not None else "any"
