"""Nothing in the front may contradict the appendix. Pure checks of a built `Front` against the appendix's own
tables (`Appendix`), each recounted there independently of how the front computed it:

- every number the front cites (`Cite`) equals the figure recounted from its appendix table;
- a theme named as a win driver is in the appendix's win drivers, praised (positive stance) and over-represented
  among won interviews;
- a competitor's strength never appears as a win driver: no win-driver quote or label names a competitor, and no
  win driver is also a loss driver of competitive losses;
- a competitor verdict agrees with the loss-type table: "product gap" / "positioning gap" needs at least half of the
  competitor's closed-lost deals to be right fit (not Type 1), "qualification" needs most of them to be Type 1;
- a decision to qualify on the ICP's gate needs the gate to predict wins beyond chance (`crm.health.predicts`, the same test
  the "Old vs new ICP" verdict applies): a draft never asks Sales to gate on criteria its own test calls noise;
- a theme blamed for churn or losses that won buyers mostly praise (`praised_by_won`) is named as a flip in the
  sentence that blames it, never presented as the cause alone; so is one whose driver is a flip of another theme's
  win driver (`flip_sibling`: one subject, two themes).

Beyond dropping claims, `enforce` shows each quote once: a quote already under an earlier sentence is removed from
a later one, because one remark cannot be the evidence for two different claims.

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

from winloss.crm.health import gate_p, predicts
from winloss.crm.result import to_rivals

if TYPE_CHECKING:
    from winloss.outputs.front import Front
    from winloss.themes.drivers import Driver

GAP_SHARE = 0.5  # the playbook's rule: at least half right-fit -> a product or positioning gap, not qualification
FLIP_MIN, FLIP_SHARE = 3, 0.5  # won buyers praise a theme in at least this many and this share of won interviews


@dataclass(frozen=True)
class Cite:
    """A number the front states and where the appendix holds it."""
    source: str  # losses | nurture | pipeline | money | health | driver | deals | stance
    key: str  # the row: competitor, band, metric, "cohort:theme_id", loss type ...
    field: str
    value: float


@dataclass(frozen=True)
class Claim:
    """What a sentence asserts beyond its numbers, for the semantic checks."""
    kind: str  # checked: "win_driver", "verdict", "gate", "blame" (a theme blamed for churn or losses);
    #            read by the decisions: "trigger" (a churn trigger)
    subject: str  # theme id, competitor name, or the gate's health metric ("win rate")
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
    no_decision: int = 0  # deals nurture.csv is drawn from, with the acquired or closed ones it leaves off
    untested: str = ""  # why no deal's fit is known (CrmAnalysis.untested): nurture.csv is then every Type 3 deal
    pipeline: pd.DataFrame = field(default_factory=pd.DataFrame)  # open_pipeline.csv
    deals: pd.DataFrame = field(default_factory=pd.DataFrame)  # closed deals: outcome, amount, fit
    money: dict = field(default_factory=dict)  # icp.json money
    health: list[dict] = field(default_factory=list)  # icp.json health
    competitors: tuple[str, ...] = ()
    stances: pd.DataFrame = field(default_factory=pd.DataFrame)  # statements.csv: interview_id, cohort, theme_id, stance


def stance_interviews(stances: pd.DataFrame, cohort: str, theme_id: str, stance: str) -> tuple[int, int]:
    """(interviews of the cohort with a statement of this theme and stance, interviews of the cohort)."""
    if stances.empty:
        return 0, 0
    mine = stances[stances["cohort"] == cohort]
    hit = mine[(mine["theme_id"].astype(str) == theme_id) & (mine["stance"] == stance)]
    return int(hit["interview_id"].nunique()), int(mine["interview_id"].nunique())


def praised_by_won(a: Appendix, theme_id: str) -> tuple[int, int] | None:
    """(n, N) when won buyers mostly praise the theme (at least FLIP_MIN interviews and FLIP_SHARE of them), else
    None: a theme that wins deals cannot honestly be called the reason customers leave without saying so."""
    n, N = stance_interviews(a.stances, "won", theme_id, "positive")
    return (n, N) if N and n >= FLIP_MIN and n >= FLIP_SHARE * N else None


def flip_text(a: Appendix, theme_id: str) -> tuple[str, tuple[Cite, ...]]:
    """The words and cites a sentence blaming the theme adds when won buyers mostly praise it, or praise the sibling
    theme its driver is a flip of (themes.drivers: one subject, two themes); ("", ()) if neither."""
    praised = praised_by_won(a, theme_id)
    if praised is not None:
        n, N = praised
        key = f"won:{theme_id}:positive"
        return (f"a flip: praised in {n} of {N} won interviews",
                (Cite("stance", key, "n", n), Cite("stance", key, "N", N)))
    sibling = flip_sibling(a, theme_id)
    if sibling is None:
        return "", ()
    n, N = stance_interviews(a.stances, "won", sibling.theme_id, "positive")
    key = f"won:{sibling.theme_id}:positive"
    return (f"a flip: {sibling.label}, the same subject, is praised in {n} of {N} won interviews",
            (Cite("stance", key, "n", n), Cite("stance", key, "N", N)))


def flip_sibling(a: Appendix, theme_id: str) -> Driver | None:
    """The win driver whose flip this theme's loss or churn driver is, when it is another theme."""
    blamed = [d for cohort in ("churned", "lost") for d in a.drivers.get(cohort, [])
              if d.theme_id == theme_id and d.flip]
    return next((w for w in a.drivers.get("won", []) for d in blamed
                 if w.flip == d.flip and w.theme_id != theme_id), None)


def recount(a: Appendix, cite: Cite) -> float | None:
    """The cited figure as the appendix holds it; None when the appendix has no such row."""
    s, key, f = cite.source, cite.key, cite.field
    if s == "losses":
        rows = a.losses
        if key.startswith("type:"):
            rows = rows[rows["loss_type"] == int(key.removeprefix("type:"))]
        elif key != "*":
            rows = to_rivals(rows)
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
    if s == "stance":
        cohort, theme, stance = key.split(":")
        n, N = stance_interviews(a.stances, cohort, theme, stance)
        return float(n if f == "n" else N)
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
        return [Violation(section, text, f"{d.label} ({claim.subject}) is not over-represented among won interviews "
                                         f"({e.n} of {e.N} vs {e.n_other} of {e.N_other})")]
    names = [c for c in appendix.competitors if c]
    said = " ".join([d.label, *(_quote_text(q) for q in quotes)])
    named = [c for c in names if re.search(r"(?<!\w)" + re.escape(c) + r"(?!\w)", said, re.IGNORECASE)]
    if named:
        return [Violation(section, text, f"names the competitor {named[0]}: a competitor's strength is not why we "
                                         "win")]
    competitive = [x for x in appendix.drivers.get("lost", []) if x.theme_id == claim.subject and x.competitors]
    if competitive:
        return [Violation(section, text, f"{d.label} ({claim.subject}) is also a loss driver of deals lost to "
                                         f"{competitive[0].competitors[0][0]}: read both sides in the appendix")]
    return []


def check_verdict(section: str, text: str, claim: Claim, appendix: Appendix) -> list[Violation]:
    rivals = to_rivals(appendix.losses)
    rows = rivals[rivals["competitor"].str.strip() == claim.subject]
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


def check_gate(section: str, text: str, claim: Claim, appendix: Appendix) -> list[Violation]:
    row = next((r for r in appendix.health if r["metric"] == claim.subject), None)
    if row is None:
        return [Violation(section, text, f"the appendix has no {claim.subject} inside vs outside the ICP")]
    f, nf = row["fit"], row["non_fit"]
    if predicts(f, nf):
        return []
    return [Violation(section, text, f"the ICP's gate does not predict {claim.subject} beyond chance: "
                                     f"{f.get('n', 0)} of {f.get('N', 0)} inside against {nf.get('n', 0)} of "
                                     f"{nf.get('N', 0)} outside (one-sided Fisher p {gate_p(f, nf):.2f}), so "
                                     "qualifying on it is not yet supported")]


def check_blame(section: str, text: str, claim: Claim, appendix: Appendix) -> list[Violation]:
    praised = praised_by_won(appendix, claim.subject)
    if praised is None or "flip" in text:
        return []
    return [Violation(section, text, f"{claim.subject} is praised in {praised[0]} of {praised[1]} won interviews: "
                                     "blamed without naming the flip")]


CHECKS = {"win_driver": lambda s, t, c, line, a: check_win_driver(s, t, c, line.quotes, a),
          "verdict": lambda s, t, c, line, a: check_verdict(s, t, c, a),
          "gate": lambda s, t, c, line, a: check_gate(s, t, c, a),
          "blame": lambda s, t, c, line, a: check_blame(s, t, c, a)}


def check(front: Front, appendix: Appendix) -> list[Violation]:
    out: list[Violation] = []
    for section, line in front.lines():
        out += check_cites(section, line.text, line.cites, appendix)
        if line.claim is not None and line.claim.kind in CHECKS:
            out += CHECKS[line.claim.kind](section, line.text, line.claim, line, appendix)
    return out


def enforce(front: Front, appendix: Appendix) -> tuple[Front, list[Violation]]:
    """The front without the claims that contradict the appendix, which its Confidence section then names."""
    found = check(front, appendix)
    notes = list(dict.fromkeys(f"{v.reason}. The line was, under {v.section.split('/')[0]}: \"{v.text}\""
                               for v in found))
    return (front.without({v.text for v in found}, notes) if found else front).quoted_once(), found


def _quote_text(q) -> str:
    return q["quote"] if isinstance(q, dict) else q.quote
