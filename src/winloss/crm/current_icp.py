"""The ICP in use today (STUDY/icp_current.toml or .yaml) as value sets on our dimensions, and the diff between
it and the proposed ICP: criteria kept, changed, added and dropped."""
from __future__ import annotations

import math
import tomllib
from pathlib import Path

from winloss.crm.icp import Criterion, earns_points, range_label
from winloss.crm.ranges import Range, range_text
from winloss.crm.segments import Dimension


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
    """Bands of a banded dimension that lie inside [low, high] (bands hold whole numbers above the previous
    band's upper bound, up to their own)."""
    chosen, previous = [], -math.inf
    for bound, label in zip(dim.bounds, dim.order):
        if (low is None or previous + 1 >= low) and (high is None or bound <= high):
            chosen.append(label)
        previous = bound
    return tuple(chosen)


def current_criteria(current: dict, dims: list[Dimension]) -> tuple[list[Criterion], list[str]]:
    """The current ICP's criteria as Criterion records on our dimensions (no evidence: they were written, not
    measured). A min/max on a numeric dimension is a range on the raw numbers. Returns them and messages for
    criteria that name no dimension of the data."""
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
        kind = str(item.get("kind", "primary"))
        base = dict(kind=kind, key=dim.key, dimension=dim.label, n=0, N=0, n_other=0, N_other=0, group="",
                    other="", category=dim.kind)
        if "values" in item:
            wanted = {str(v).casefold() for v in item["values"]}
            values = tuple(v for v in (dim.order or []) if v.casefold() in wanted) if dim.order else \
                tuple(sorted(str(v) for v in item["values"]))
            label = range_label(dim, values) if values else f"{dim.label} (no matching value)"
            out.append(Criterion(values=values, label=label, **base))
        elif dim.numeric:
            low, high = item.get("min"), item.get("max")
            low, high = (float(low) if low is not None else None), (float(high) if high is not None else None)
            label = f"{dim.label} {range_text(Range(low, high, 0, 0, 0, 0), dim.unit)}"
            out.append(Criterion(values=(), label=label, low=low, high=high, **base))
        else:
            values = _range_bands(dim, item.get("min"), item.get("max"))
            label = range_label(dim, values) if values else f"{dim.label} (no matching band)"
            out.append(Criterion(values=values, label=label, **base))
    return out, messages


def _same(a: Criterion, b: Criterion) -> bool:
    if a.numeric != b.numeric:
        return False
    if a.numeric:
        return (a.low, a.high, a.exclusive) == (b.low, b.high, b.exclusive)
    return {v.casefold() for v in a.values} == {v.casefold() for v in b.values}


def diff_icp(current: list[Criterion], proposed: list[Criterion]) -> list[dict]:
    """Kept (same dimension and values), changed (same dimension, other values), dropped, added."""
    rows = []
    proposed_by_key: dict[str, list[Criterion]] = {}
    for c in proposed:
        proposed_by_key.setdefault(c.key, []).append(c)
    matched: set[int] = set()
    for cur in current:
        same_sign = [c for c in proposed_by_key.get(cur.key, [])
                     if (c.kind == "negative") == (cur.kind == "negative")]
        if not same_sign:
            rows.append({"change": "dropped", "current": cur.label, "proposed": "", "kind": cur.kind})
            continue
        c = same_sign[0]
        matched.add(id(c))
        change = "kept" if _same(c, cur) and c.kind == cur.kind else "changed"
        rows.append({"change": change, "current": f"{cur.label} ({cur.kind})",
                     "proposed": f"{c.label} ({c.kind})", "kind": c.kind})
    for c in proposed:
        if id(c) not in matched:  # one of no points is a lead to test, not yet part of the ICP's scoring
            kind = c.kind if earns_points(c, proposed) else f"{c.kind}, to test"
            rows.append({"change": "added", "current": "", "proposed": f"{c.label} ({kind})", "kind": c.kind})
    order = {"kept": 0, "changed": 1, "added": 2, "dropped": 3}
    return sorted(rows, key=lambda r: (order[r["change"]], r["proposed"] or r["current"]))
