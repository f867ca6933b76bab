"""Nothing in the front may contradict the appendix. Pure checks of a built `Front` against the appendix's own
tables (`Appendix`), each recounted there independently of how the front computed it:

- every number the front cites (`Cite`) equals the figure recounted from its appendix table;
- a theme named as a win driver is in the appendix's win drivers, praised (positive stance) and over-represented
  among won interviews;
- a competitor's strength never appears as a win driver: no win-driver quote or label names a competitor, and no
  win driver is also a loss driver of competitive losses;
- a competitor verdict agrees with the loss-type table: "product gap" / "positioning gap" needs at least half of the
  competitor's closed-lost deals to be right fit (not Type 1), "qualification" needs most of them to be Type 1.

A violation drops the claim from the front and the front says so under Confidence (`enforce`): one wrong sentence
should not withhold the rest of the draft from leadership, and a silently missing one would be worse than a loud
note. The run also logs each violation as a warning.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from winloss.outputs.front import Front
    from winloss.themes.drivers import Driver

GAP_SHARE = 0.5  # the playbook's rule: at least half right-fit -> a product or positioning gap, not qualification


@dataclass(frozen=True)
class Cite:
    """A number the front states and where the appendix holds it."""
    source: str  # losses | nurture | pipeline | money | health | driver | deals
    key: str  # the row: competitor, band, metric, "cohort:theme_id", loss type ...
    field: str
    value: float


@dataclass(frozen=True)
class Claim:
    """What a sentence asserts beyond its numbers, for the semantic checks."""
    kind: str  # "win_driver", "verdict" (both checked), or "trigger" (a churn trigger, read by the decisions)
    subject: str  # theme id, or competitor name
    value: str = ""  # the verdict: "product gap", "positioning gap", "qualification"


@dataclass(frozen=True)
class Violation:
    section: str
    text: str
    reason: str

    def __str__(self) -> str:
        return f"{self.section}: \"{self.text}\" dropped: {self.reason}"


@dataclass(frozen=True)
class Appendix:
    """The appendix's tables, as the run writes them."""
    drivers: dict[str, list[Driver]] = field(default_factory=dict)
    losses: pd.DataFrame = field(default_factory=pd.DataFrame)  # loss_types.csv rows plus amount and fit
    nurture: pd.DataFrame = field(default_factory=pd.DataFrame)  # nurture.csv
    pipeline: pd.DataFrame = field(default_factory=pd.DataFrame)  # open_pipeline.csv
    deals: pd.DataFrame = field(default_factory=pd.DataFrame)  # closed deals: outcome, amount, fit
    money: dict = field(default_factory=dict)  # icp.json money
    health: list[dict] = field(default_factory=list)  # icp.json health
    competitors: tuple[str, ...] = ()


def recount(a: Appendix, cite: Cite) -> float | None:
    """The cited figure as the appendix holds it; None when the appendix has no such row."""
    s, key, f = cite.source, cite.key, cite.field
    if s == "losses":
        rows = a.losses
        if key.startswith("type:"):
            rows = rows[rows["loss_type"] == int(key.removeprefix("type:"))]
        elif key != "*":
            rows = rows[rows["competitor"].str.strip() == key]
        return _tally(rows, f)
    if s in ("nurture", "pipeline"):
        rows = a.nurture if s == "nurture" else a.pipeline
        if key not in ("*", ""):
            rows = rows[rows["band"] == key]
        return _tally(rows, f)
    if s == "deals":
        rows = a.deals[(a.deals["fit"] == "fit") == (key == "fit")] if key in ("fit", "non_fit") else a.deals
        return _tally(rows, f)
    if s == "money":
        value = a.money
        for part in key.split("."):
            if isinstance(value, list):
                value = value[int(part)] if part.isdigit() and int(part) < len(value) else None
            else:
                value = value.get(part) if isinstance(value, dict) else None
        return None if value is None else float(value)
    if s == "health":
        row = next((r for r in a.health if r["metric"] == key), None)
        if row is None:
            return None
        group, _, what = f.partition(".")
        value = row[group].get(what)
        return None if value is None else float(value)
    if s == "driver":
        cohort, _, theme = key.partition(":")
        d = next((d for d in a.drivers.get(cohort, []) if d.theme_id == theme), None)
        return None if d is None else float(getattr(d.evidence, f))
    return None


def _tally(rows: pd.DataFrame, what: str) -> float | None:
    if what == "deals":
        return float(len(rows))
    if what == "amount":
        return float(rows["amount"].fillna(0).sum())
    if what == "right_fit":
        return float((rows["fit"] == "fit").sum())
    if what == "won":
        return float((rows["outcome"] == "won").sum())
    if what == "type1":
        return float((rows["loss_type"] == 1).sum())
    return None


def _same(a: float | None, b: float) -> bool:
    return a is not None and math.isclose(a, b, rel_tol=1e-6, abs_tol=0.5 if abs(b) >= 100 else 1e-9)


def check_cites(section: str, text: str, cites, appendix: Appendix) -> list[Violation]:
    out = []
    for c in cites:
        found = recount(appendix, c)
        if not _same(found, c.value):
            out.append(Violation(section, text, f"says {c.field} {c.value:g} for {c.source} {c.key}, the appendix "
                                                f"has {'nothing' if found is None else f'{found:g}'}"))
    return out


def check_win_driver(section: str, text: str, claim: Claim, quotes, appendix: Appendix) -> list[Violation]:
    d = next((d for d in appendix.drivers.get("won", []) if d.theme_id == claim.subject), None)
    if d is None or d.kind != "driver" or d.stance != "positive":
        return [Violation(section, text, f"{claim.subject} is not a win driver (praised by won interviews) in the "
                                         "appendix's driver table")]
    e = d.evidence
    if not (e.N and e.N_other) or e.n / e.N <= e.n_other / e.N_other:
        return [Violation(section, text, f"{claim.subject} is not over-represented among won interviews "
                                         f"({e.n} of {e.N} vs {e.n_other} of {e.N_other})")]
    names = [c for c in appendix.competitors if c]
    said = " ".join([d.label, *(_quote_text(q) for q in quotes)])
    named = [c for c in names if re.search(r"(?<!\w)" + re.escape(c) + r"(?!\w)", said, re.IGNORECASE)]
    if named:
        return [Violation(section, text, f"names the competitor {named[0]}: a competitor's strength is not why we "
                                         "win")]
    competitive = [x for x in appendix.drivers.get("lost", []) if x.theme_id == claim.subject and x.competitors]
    if competitive:
        return [Violation(section, text, f"{claim.subject} is also a loss driver of deals lost to "
                                         f"{competitive[0].competitors[0][0]}")]
    return []


def check_verdict(section: str, text: str, claim: Claim, appendix: Appendix) -> list[Violation]:
    rows = appendix.losses[appendix.losses["competitor"].str.strip() == claim.subject]
    if rows.empty:
        return [Violation(section, text, f"no closed-lost deal to {claim.subject} in the loss-type table")]
    wrong_fit = float((rows["loss_type"] == 1).mean())
    gap = 1 - wrong_fit >= GAP_SHARE
    if claim.value in ("product gap", "positioning gap") and not gap:
        return [Violation(section, text, f"calls {claim.subject} a {claim.value}, but {wrong_fit:.0%} of its "
                                         "losses are Type 1 (wrong fit) in the loss-type table")]
    if claim.value == "qualification" and gap:
        return [Violation(section, text, f"calls {claim.subject} a qualification problem, but {1 - wrong_fit:.0%} "
                                         "of its losses are right fit in the loss-type table")]
    return []


def check(front: Front, appendix: Appendix) -> list[Violation]:
    out: list[Violation] = []
    for section, line in front.lines():
        out += check_cites(section, line.text, line.cites, appendix)
        if line.claim is not None and line.claim.kind == "win_driver":
            out += check_win_driver(section, line.text, line.claim, line.quotes, appendix)
        if line.claim is not None and line.claim.kind == "verdict":
            out += check_verdict(section, line.text, line.claim, appendix)
    return out


def enforce(front: Front, appendix: Appendix) -> tuple[Front, list[Violation]]:
    """The front without the claims that contradict the appendix, which its Confidence section then names."""
    found = check(front, appendix)
    notes = list(dict.fromkeys(f"{v.section}: \"{v.text}\": {v.reason}" for v in found))
    return (front.without({v.text for v in found}, notes) if found else front), found


def _quote_text(q) -> str:
    return q["quote"] if isinstance(q, dict) else q.quote
