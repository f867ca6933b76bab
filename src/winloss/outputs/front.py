"""The front of the report: the two or three pages leadership reads before the appendix (decisions, old vs new ICP,
competitors, churn, no decision, open pipeline, confidence, and what changed since last quarter). `build_front`
makes the typed record (outputs/front_records) from the run's tables, drivers and CRM result, then drops any claim
the appendix contradicts (outputs/consistency); templates/front/*.md.j2 render it. docs/report.md says what each
section says and how each decision rule works."""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

from winloss.crm.assurance import holdout_edge, out_of_sample_text
from winloss.crm.followup import no_decision, nurture, open_pipeline
from winloss.crm.narrative import cannot_tell
from winloss.outputs.consistency import Appendix, Cite, Claim, Violation, enforce
from winloss.outputs.decisions import decisions, gate_note
from winloss.outputs.front_crm import churn_section, competitor_blocks, icp_section
from winloss.outputs.front_followup import (
    hold_reason,
    no_decision_section,
    pipeline_section,
)
from winloss.outputs.front_records import Front, Line, driver_cites, firm, of, tentative
from winloss.outputs.measurable import unmeasurable

if TYPE_CHECKING:
    from winloss.crm.analysis import CrmAnalysis
    from winloss.models import Coverage
    from winloss.themes.drivers import Driver

FEW = 5  # fewer interviews than this behind a claim: said so under Confidence
WORDS = {"won": "praised", "lost": "criticised or missed", "churned": "criticised or missed"}


def appendix_of(a: CrmAnalysis | None, drivers: dict[str, list[Driver]],
                statements: pd.DataFrame | None = None) -> Appendix:
    """The appendix tables the checks read: loss_types.csv (with each deal's amount and fit), nurture.csv,
    open_pipeline.csv, the closed deals, icp.json's money and health, the drivers, statements.csv's stances."""
    columns = ["interview_id", "cohort", "theme_id", "stance"]
    stances = statements[columns].fillna("") if statements is not None and set(columns) <= set(statements) \
        else pd.DataFrame(columns=columns)
    if a is None or not a.usable:
        return Appendix(drivers=drivers, stances=stances)
    closed = a.deals[a.deals["excluded"] == ""]
    losses = a.loss_table().merge(closed[["deal_id", "amount", "fit"]].drop_duplicates("deal_id"), on="deal_id",
                                  how="left")
    return Appendix(drivers=drivers, losses=losses, nurture=nurture(a.deals, not a.untested, a.as_of),
                    untested=a.untested,
                    no_decision=len(no_decision(a.deals, not a.untested)),
                    pipeline=open_pipeline(a.deals), deals=closed, money=a.money, health=a.health,
                    competitors=tuple(sorted(a.competitor_names)),
                    stances=stances)


def driver_line(d: Driver, quoted: bool = True) -> Line:
    e, x = d.evidence, d.against
    # the other side of a win driver, when churned or lost customers criticise it more than the rest
    against = f"; yet criticised or missed in {of(x.n, x.N)} {x.cohort} interviews" if x is not None else ""
    cites = (Cite("stance", f"{x.cohort}:{d.theme_id}:negative", "n", x.n),
             Cite("stance", f"{x.cohort}:{d.theme_id}:negative", "N", x.N)) if x is not None else ()
    return Line(f"{d.label}: {WORDS[d.cohort]} in {of(e.n, e.N)} {d.cohort} interviews against "
                f"{of(e.n_other, e.N_other)} others{tentative(d)}{against}.",
                cites=driver_cites(d) + cites, quotes=tuple(d.quotes[:1]) if quoted else (),
                claim=Claim("win_driver", d.theme_id) if d.cohort == "won" else None)


def loss_lines(drivers: dict[str, list[Driver]], per_cohort: int = 2) -> tuple[Line, ...]:
    """Why we lose, from the lost interviews, where no competitor took enough deals for a block of its own: the
    loss drivers and circumstances (a budget freeze), strongest first, each with a quote."""
    out = []
    lost = drivers.get("lost", [])
    strong = [d for d in lost if firm(d)]
    for d in (sorted(strong, key=lambda d: d.evidence.q)[:per_cohort + 1] if strong else lost[:per_cohort]):
        if d.kind == "driver":
            out.append(driver_line(d, quoted=True))
        else:
            e = d.evidence
            out.append(Line(f"{d.label}: {d.verb} in {of(e.n, e.N)} lost interviews against "
                            f"{of(e.n_other, e.N_other)} others{tentative(d)}.", cites=driver_cites(d),
                            quotes=tuple(d.quotes[:1])))
    return tuple(out)


def driver_lines(drivers: dict[str, list[Driver]], cohorts: tuple[str, ...], quoted: bool,
                 per_cohort: int = 2) -> tuple[Line, ...]:
    return tuple(driver_line(d, quoted) for cohort in cohorts
                 for d in [d for d in drivers.get(cohort, []) if d.kind == "driver"][:per_cohort])


UNASSIGNED_NOTE = 0.25  # this share of statements in no theme: absence of a theme is weak evidence


def coverage_lines(coverage: Coverage | None, analysed: int, unassigned: tuple[int, int] = (0, 0)) -> list[str]:
    """Interviews listed but not counted, those whose interviewer may be counted as the customer, those not in
    English, and a large share of statements in no theme."""
    out = []
    n, total = unassigned
    if total and n / total >= UNASSIGNED_NOTE:
        out.append(f"{n} of {total} statements ({n / total:.0%}) fit no theme: a topic missing from this page may "
                   "be among them (statements.csv, empty theme_id).")
    if coverage is None:
        return out
    if coverage.listed > analysed:
        missing = coverage.listed - analysed
        ids = f" ({', '.join(coverage.unread)})" if coverage.unread else ""
        out.append(f"{missing} of the {coverage.listed} listed interviews could not be read{ids} and "
                   f"{'is' if missing == 1 else 'are'} in no count: see the appendix's problems.")
    if coverage.unsure_roles:
        n = len(coverage.unsure_roles)
        out.append(f"In {n} interview{'s' if n != 1 else ''} ({', '.join(coverage.unsure_roles)}) the interviewer "
                   "could not be told from the customer: some counted statements may be the interviewer's.")
    if coverage.not_english:
        n = len(coverage.not_english)
        out.append(f"{n} interview{'s are' if n != 1 else ' is'} not in English ({', '.join(coverage.not_english)}): "
                   "counted in themes, their stances neutral unless the LLM read them.")
    return out


def confidence(front: Front, a: CrmAnalysis | None, drivers: dict[str, list[Driver]],
               cohort_sizes: dict[str, int], basis: str, coverage: Coverage | None = None,
               unassigned: tuple[int, int] = (0, 0)) -> tuple[str, ...]:
    out = [f"Interviews: {sum(cohort_sizes.values())} ("
           + ", ".join(f"{n} {c}" for c, n in cohort_sizes.items()) + "); counts are interviews, never sentences."]
    out += coverage_lines(coverage, sum(cohort_sizes.values()), unassigned)
    unmeasured = {c: unmeasurable(c, cohort_sizes) for c in ("won", "lost", "churned")}
    out += [f"Only {n} {c} interviews: what they say is anecdote, not a rate." for c, n in cohort_sizes.items()
            if n < FEW and not unmeasured.get(c)]
    out += [text for text in unmeasured.values() if text]
    thin = [d for ds in drivers.values() for d in ds if d.kind == "driver" and d.evidence.n < FEW
            and any(f"{d.cohort}:{d.theme_id}" == c.key for _, line in front.lines() for c in line.cites)]
    out += [f"{d.label} rests on {d.evidence.n} {d.cohort} interviews." for d in thin]
    for block in front.competitors:
        if any("no lost buyer was interviewed" in line.text for line in block.lines):
            out.append(f"Why buyers chose {block.name} rests on CRM loss reasons and notes alone: no interviewed "
                       "loss.")
    out += [note for note in (gate_note(a),) if note]
    if a is not None and a.usable and a.critical.get("answer") == "cannot tell" \
            and a.critical["lost_to_competitor"]["N"]:
        out.append("Whether deals lost to competitors look like our best customers cannot be told: there are "
                   f"{cannot_tell(a)}.")
    if a is not None and a.usable and a.criteria:
        # the holdout said as band A's wins against the rest where it can be tested (the appendix has it in full)
        edge = holdout_edge(a)
        said = edge is not None and any(f"band A won {of(*edge[:2])} against" in line.text
                                        for _, line in front.lines())  # the ICP section gave it, within chance
        held = "" if said else (
            f" Out of sample ({a.out_of_sample['holdout']}, {a.out_of_sample['holdout_deals']} deals), band A "
            f"won {of(*edge[:2])} against {of(*edge[2:4])} below it."
            if edge is not None else " " + out_of_sample_text(a, edge=False))
        out.append("In sample: the ICP and every rate inside vs outside it were measured on the deals it was "
                   "fitted on (upper bounds)." + held)
    # silence is a finding too: a cohort big enough to measure whose driver nobody will see on this page
    none = [word for c, word in (("won", "win"), ("lost", "loss"), ("churned", "churn"))
            if c in cohort_sizes and not unmeasured.get(c) and not any(d.kind == "driver" for d in drivers.get(c, []))]
    if none:
        out.append(f"No {' or '.join(none)} driver passed the test. In winloss's test studies misread stances and "
                   "mixed themes hid far more drivers than they made, so read the appendix's themes before "
                   "concluding there is none.")
    if any(drivers.values()):
        out.append(f"Drivers rest on stances from {basis}: read each with its quotes. p- and q-values are in the "
                   "appendix.")
    return tuple(out)


# The low end is the newest key's never-tuned half, before any rule was written for that study (docs/themes.md).
STANCE_FIGURES = (" (48-71 % on studies no rule was written from; 64-71 % on public tweets and reviews;"
                  " docs/themes.md gives each study's figure)")


def stance_basis(statements: pd.DataFrame, figures: bool = True) -> str:
    """Who read the stances the drivers rest on: the offline scorer, and the LLM where it re-read the calls the
    scorer was least sure of (`stance_source` "llm"). `figures`: with the answer keys' figures (the appendix; the
    front keeps to its word limit)."""
    offline = "an offline scorer right on 48-85 % (by study) of 1,140 hand-labelled statements in winloss's test " \
        "studies" + (
        STANCE_FIGURES if figures else "")
    read = int((statements["stance_source"] == "llm").sum()) if "stance_source" in statements else 0
    if not read:
        return offline
    return f"{offline}, with the LLM re-reading the {read} of {len(statements)} statements it was least sure of"


def build_front(findings_statements: pd.DataFrame, findings_themes: pd.DataFrame, findings_quotes: pd.DataFrame,
                drivers: dict[str, list[Driver]], crm: CrmAnalysis | None, cohort_sizes: dict[str, int],
                since: tuple[Line, ...] = (), coverage: Coverage | None = None,
                unassigned: tuple[int, int] = (0, 0)) -> tuple[Front, list[Violation]]:
    """The front, and the claims dropped because the appendix contradicts them. `unassigned`: (statements in no
    theme, all statements), as the Scope counts them (small talk is a theme, not unassigned)."""
    drivers = drivers or {}
    appendix = appendix_of(crm, drivers, findings_statements)
    churn = churn_section(crm if crm is not None and crm.usable else None, drivers, findings_statements,
                          findings_quotes, appendix)
    if crm is None or not crm.usable:
        front = Front(drivers=driver_lines(drivers, ("won", "lost"), quoted=True), churn=churn, since=since)
    else:
        changes, icp = icp_section(crm)
        blocks = competitor_blocks(crm, appendix, drivers, findings_statements, findings_themes, findings_quotes)
        no_decision, rows = no_decision_section(crm, appendix)
        front = Front(drivers=driver_lines(drivers, ("won",), quoted=False), icp=icp, icp_changes=changes,
                      competitors=blocks, losses=() if blocks else loss_lines(drivers), churn=churn,
                      no_decision=no_decision, nurture=rows,
                      # no criterion, no score: every open deal would read band C
                      pipeline=pipeline_section(appendix, hold=hold_reason(crm)) if crm.criteria else (),
                      since=since,
                      has_crm=True, has_current=bool(crm.money.get("old_vs_new")))
    front = replace(front, decisions=decisions(crm, front.competitors, appendix, drivers, front.churn))
    front = replace(front, confidence=confidence(front, crm, drivers, cohort_sizes,
                                                 stance_basis(findings_statements, figures=False), coverage,
                                                 unassigned))
    return enforce(front, appendix)
