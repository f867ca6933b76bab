"""The front's "Since last quarter": drivers that rose, fell, appeared or went away, ICP criteria added or dropped,
and how win rate and churn moved, against the previous quarter's run.json and icp.json (`previous` in
winloss.toml). Themes are paired across quarters by outputs/compare.match_themes (same id and meaning, or the most
similar centre), so a relabelled theme is still the same driver."""
from __future__ import annotations

from typing import TYPE_CHECKING

from winloss.crm.assurance import dollars
from winloss.outputs.compare import PreviousRun
from winloss.outputs.consistency import Cite
from winloss.outputs.front_records import Line, of

if TYPE_CHECKING:
    from winloss.crm.result import CrmAnalysis
    from winloss.themes.drivers import Driver

MOVED = 0.15  # a driver's share of its cohort moving by this much (15 points) is "rose" or "fell"


def _rates(health: list[dict], metric: str) -> tuple[int, int] | None:
    """Overall n of N for a health metric, fit and non-fit together (win rate: won of closed deals; retention:
    kept of won accounts with retention data)."""
    row = next((r for r in health if r["metric"] == metric), None)
    if row is None or row["fit"].get("N") is None:
        return None
    return row["fit"]["n"] + row["non_fit"]["n"], row["fit"]["N"] + row["non_fit"]["N"]


def driver_moves(previous: PreviousRun, matches: list[tuple[str, str, float]],
                 drivers: dict[str, list[Driver]]) -> list[Line]:
    now_of = {b: n for b, n, _ in matches}
    before = {(d["cohort"], now_of[d["theme_id"]]): d for d in previous.drivers
              if d.get("kind") == "driver" and d["theme_id"] in now_of}
    gone = [d for d in previous.drivers if d.get("kind") == "driver"
            and not any(x.theme_id == now_of.get(d["theme_id"]) for x in drivers.get(d["cohort"], []))]
    rose, fell, new = [], [], []
    for cohort, ds in drivers.items():
        for d in ds:
            if d.kind != "driver":
                continue
            e, then = d.evidence, before.get((cohort, d.theme_id))
            now = f"{d.label} ({cohort}: {of(e.n, e.N)}"
            if then is None:
                new.append(now + ", not a driver last quarter)")
            elif then["N"] and e.N and e.n / e.N - then["n"] / then["N"] >= MOVED:
                rose.append(now + f", was {of(then['n'], then['N'])})")
            elif then["N"] and e.N and then["n"] / then["N"] - e.n / e.N >= MOVED:
                fell.append(now + f", was {of(then['n'], then['N'])})")
    lines = []
    for word, items in (("New drivers", new), ("Rose", rose), ("Fell", fell)):
        if items:
            lines.append(Line(f"{word}: " + "; ".join(items) + "."))
    if gone:
        lines.append(Line("No longer drivers: " + "; ".join(f"{d['label']} ({d['cohort']}: was {of(d['n'], d['N'])})"
                                                            for d in gone) + "."))
    return lines


def icp_moves(previous: PreviousRun, a: CrmAnalysis) -> list[Line]:
    lines = []
    then = {c["label"]: c["kind"] for c in previous.icp.get("criteria", [])}
    now = {c.label: c.kind for c in a.criteria}
    added = [f"{k} ({v})" for k, v in now.items() if k not in then]
    dropped = [f"{k} ({v})" for k, v in then.items() if k not in now]
    moved = [f"{k} ({then[k]} → {v})" for k, v in now.items() if k in then and then[k] != v]
    changes = [f"{w}: {'; '.join(x)}" for w, x in (("added", added), ("dropped", dropped), ("changed", moved)) if x]
    lines.append(Line("ICP criteria since last quarter: " + (". ".join(changes) if changes else "unchanged") + "."))
    for metric, noun, verb in (("win rate", "closed deals", "Won"), ("retention", "won accounts", "Kept")):
        was, is_ = _rates(previous.icp.get("health", []), metric), _rates(a.health, metric)
        if was and is_:
            lines.append(Line(f"{verb} {of(*is_)} {noun} this quarter, against {of(*was)} last quarter."))
    m, pm = a.money, previous.icp.get("money", {})
    if pm.get("churned_arr") is not None and m.get("churned_accounts") is not None:
        lines.append(Line(f"Churned ARR {dollars(m['churned_arr'])} from {m['churned_accounts']} accounts, against "
                          f"{dollars(pm['churned_arr'])} from {pm.get('churned_accounts', 0)} last quarter.",
                          cites=(Cite("money", "churned_arr", "value", m["churned_arr"]),)))
    return lines


def since_lines(previous: PreviousRun, matches: list[tuple[str, str, float]], drivers: dict[str, list[Driver]],
                crm: CrmAnalysis | None, cohort_sizes: dict[str, int]) -> tuple[Line, ...]:
    was = sum(previous.interviews.values())
    lines = [Line(f"Against {previous.name}: {sum(cohort_sizes.values())} interviews this quarter, {was} then.")]
    lines += driver_moves(previous, matches, drivers)
    if crm is not None and crm.usable and previous.icp is not None:
        lines += icp_moves(previous, crm)
    return tuple(lines)
