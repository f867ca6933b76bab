"""The front's 3-5 decisions: rules over the evidence, tried in order, each naming an owner role and the metric that
will show next quarter whether it worked. Never written for a particular study:

1. gate        the ICP has a gate, deals outside it win less beyond chance and each gate criterion sets its group
               apart beyond chance (crm.health.unproven_gate) -> RevOps: make the gate a qualification step.
2. product     a competitor's right-fit losses name something the product lacks -> Product: close that gap.
3. churn       a churn driver (theme criticised by churned interviews) -> Customer Success, or Product when most of
               its quotes tell the product failing, with the churned ARR; named as a flip when won buyers mostly
               praise the same theme (consistency.praised_by_won).
Every rule over a driver takes only a firm one (front_records.firm: its BH q under the bar at which the appendix
calls a difference clear): a decision never rests on what the appendix calls no clear difference.
4. nurture     right-fit no-decision losses -> Sales: re-engage those deals on the buyers' re-contact dates.
5. positioning a competitor's right-fit losses on price or experience -> Sales: a counter to that competitor.
Fewer than three from these (a CRM whose ICP has no gate): the interview rules below are added.
Without a CRM: loss driver -> Product (one about the buyer's timing or budget -> Marketing, to keep in touch; one
told about a CRM competitor, by its label or most of its quotes, is that competitor's edge and never a product fix),
churn driver -> Customer Success (or Product, as above), win driver -> Marketing.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from winloss.crm.assurance import dollars
from winloss.crm.evidence import TOPICS
from winloss.crm.health import unproven_gate
from winloss.outputs.consistency import Appendix, Cite, Claim, flip_text
from winloss.outputs.front_crm import MIN_TRIGGER
from winloss.outputs.front_records import (
    CompetitorBlock,
    Line,
    driver_cites,
    firm,
    noun,
    of,
)

if TYPE_CHECKING:
    from winloss.crm.analysis import CrmAnalysis
    from winloss.themes.drivers import Driver

MIN_DECISIONS, MAX_DECISIONS = 3, 5


def _gate(a: CrmAnalysis) -> tuple[list[str], dict, dict] | None:
    """The gate's criteria and its win rate inside (fit) and outside (non_fit), when both are measured."""
    win = next((r for r in a.health if r["metric"] == "win rate"), None)
    # The primary gate criteria say who is in; the gate's disqualifiers mostly restate them from the other side.
    gate = [c.label for c in a.criteria if c.gate and c.kind == "primary"] or \
        [c.label for c in a.criteria if c.gate]
    if not gate or win is None or not win["non_fit"].get("N") or not win["fit"].get("N"):
        return None
    return gate, win["fit"], win["non_fit"]


def gate_note(a: CrmAnalysis | None) -> str:
    """Why there is no gating decision although the ICP has a gate: its test does not pass. '' otherwise."""
    found = _gate(a) if a is not None and a.usable else None
    unproven = unproven_gate(a) if found is not None else ""
    if not unproven:
        return ""
    return (f"No decision to qualify on the ICP's gate ({'; '.join(found[0])}): {unproven}. Treat the gate as a "
            "hypothesis to score next quarter's deals against, not a rule.")


def gate_decision(a: CrmAnalysis) -> list[Line]:
    found = _gate(a)
    # Outside the gate must do worse beyond chance (the same test as "Old vs new ICP") and each criterion must hold
    # on its own (crm.health.unproven_gate), or there is no case for qualifying.
    if found is None or unproven_gate(a):
        return []
    gate, f, nf = found
    m = a.money
    outside = m["open_outside_gate_deals"]
    return [Line(f"Qualify every new deal on the ICP's gate ({'; '.join(gate)}): outside it we won "
                 f"{of(nf['n'], nf['N'])} closed deals against {of(f['n'], f['N'])} inside, and "
                 f"{outside} open {noun(outside)} worth {dollars(m['open_outside_gate'])} "
                 f"{'fails' if outside == 1 else 'fail'} it today.",
                 cites=(Cite("health", "win rate", "fit.n", f["n"]), Cite("health", "win rate", "fit.N", f["N"]),
                        Cite("health", "win rate", "non_fit.n", nf["n"]),
                        Cite("health", "win rate", "non_fit.N", nf["N"]),
                        Cite("money", "open_outside_gate_deals", "value", m["open_outside_gate_deals"]),
                        Cite("money", "open_outside_gate", "value", m["open_outside_gate"])),
                 owner="RevOps", claim=Claim("gate", "win rate"),
                 metric=f"win rate of new deals that pass the gate, against {of(f['n'], f['N'])} in this export")]


def competitor_decisions(blocks: tuple[CompetitorBlock, ...], verdict: str) -> list[Line]:
    out = []
    for b in blocks:
        if b.verdict == "unknown" and b.reading:
            out += reading_decision(b, verdict)
        if b.verdict != verdict:
            continue
        # the value is of every deal lost to it, so it is said of all of them, not of the right-fit ones
        said = (f"{dollars(b.value)} in {b.deals} deals lost to it, {of(b.right_fit, b.deals)} right fit, lost on "
                f"{b.reasons}")
        if verdict == "product gap":
            out.append(Line(f"Close the product gap behind {b.name}: {said}.", cites=b.cites(), owner="Product",
                            metric=f"deals lost to {b.name}, against {b.deals} in this export"))
        else:
            out.append(Line(f"Arm Sales with a counter to {b.name}: {said}.", cites=b.cites(), owner="Sales",
                            metric=f"win rate in deals where {b.name} competes"))
    return out


def reading_decision(b: CompetitorBlock, verdict: str) -> list[Line]:
    """With no fit known, what reps and buyers agree a rival's losses name is still a decision: a gap to close
    (with the product gaps) or a price to answer (with the positioning gaps), never called right fit."""
    price = b.reading == "price"
    if price != (verdict == "positioning gap"):
        return []
    said = f"{dollars(b.value)} in {b.deals} deals lost to it (fit not tested); {b.evidence}"
    if price:
        return [Line(f"Arm Sales with an answer to {b.name}'s price: {said}.", cites=b.cites()[:2], owner="Sales",
                     metric=f"win rate in deals where {b.name} competes")]
    gap = "the product gap" if b.reading == "a product gap" else b.reading.replace("a gap", "the gap", 1)
    return [Line(f"Close {gap} behind {b.name}: {said}.", cites=b.cites()[:2], owner="Product",
                 metric=f"deals lost to {b.name}, against {b.deals} in this export")]


def churned_outside(a: CrmAnalysis | None) -> int | None:
    """How many churned accounts fail the new ICP's gate, when most do (CrmAnalysis.outside_gate); else None."""
    outside = a.outside_gate() if a is not None and a.usable else None
    return outside[0] if outside and outside[0] > len(a.churned) / 2 else None


def churn_decision(a: CrmAnalysis | None, drivers: dict[str, list[Driver]], churn: tuple[Line, ...] = (),
                   appendix: Appendix | None = None) -> list[Line]:
    top = next((d for d in drivers.get("churned", []) if d.kind == "driver" and firm(d)), None)
    if top is None:
        return []
    e = top.evidence
    trigger = next((x.claim for x in churn if x.claim is not None and x.claim.kind == "trigger"
                    and int(x.claim.value.split(" ")[0]) >= MIN_TRIGGER), None)
    owner = churn_owner(top)
    # watching the relationship is Customer Success's, whoever fixes the driver
    who = "" if owner == "Customer Success" else "Customer Success to "
    watch = f"; {who}watch for a {trigger.subject.split(' or ')[0]} leaving ({trigger.value} churned interviews)" \
        if trigger else ""
    cites = list(driver_cites(top))
    money = ""
    if a is not None and a.money.get("churned_accounts"):
        money = (f"; churn took {dollars(a.money['churned_arr'])} of ARR from {a.money['churned_accounts']} "
                 "accounts")
        cites += [Cite("money", "churned_arr", "value", a.money["churned_arr"]),
                  Cite("money", "churned_accounts", "value", a.money["churned_accounts"])]
    outside = churned_outside(a)
    if outside:  # churn that is mostly a fit problem: the gate decision is its main lever, this one the rest
        money += f", {outside} of them outside the new ICP's gate"
    metric = (f"churned ARR next quarter, against {dollars(a.money['churned_arr'])} in this export" if money
              else f"churned interviews criticising {top.label}, against {of(e.n, e.N)}")
    flip, flip_cites = flip_text(appendix, top.theme_id) if appendix is not None else ("", ())
    counted = f"{of(e.n, e.N)} churned interviews criticise it, against {of(e.n_other, e.N_other)} other interviews"
    text = (f"Fix {top.label} for the customers it fails: {counted} ({flip}){money}{watch}." if flip else
            f"Fix what churned customers criticise most, {top.label}: {counted}{money}{watch}.")
    return [Line(text, cites=tuple(cites) + flip_cites, quotes=tuple(top.quotes[:1]), owner=owner,
                 metric=metric, claim=Claim("blame", top.theme_id))]


# what breaks in the product, as churned customers tell it: "the sync kept failing", "texts landed in spam"
_FAILURE = re.compile(
    r"\b(?:broke|broken|breaks|breaking|bugs?|buggy|crash\w*|glitch\w*|errors?|fail\w*|outages?|went down|"
    r"down for|spam|stop(?:s|ped)? (?:working|syncing|sending|updating|showing|loading)|"
    r"(?:doesn't|didn't|never|wouldn't) (?:work|sync|load|connect|send)|not working|silently|dropped|duplicates?|"
    r"wrong numbers?|stale)\b", re.I)


# a part of the product a label can name: "Arrival-window texts", "Stock sync", "Mobile app"
_SURFACE = re.compile(r"\b(?:sync\w*|connectors?|integrations?|texts?|sms|notifications?|alerts?|app|apps|mobile|"
                      r"api|imports?|exports?|dashboards?|reports?|reporting)\b", re.I)
_SURFACE_FAILS = re.compile(_SURFACE.pattern + r"[^.?!]{0,50}\b(?:stop\w*|broke\w*|fail\w*|never|didn't|"
                            r"wouldn't|won't|doesn't|quit|lag\w*)\b", re.I)


def churn_owner(d: Driver) -> str:
    """Product when the churn driver's label names a part of the product, or at least half its quotes tell the
    product failing (a sync that breaks, texts that land in spam); Customer Success for the rest (support,
    onboarding, the relationship)."""
    told = [bool(_FAILURE.search(q.quote) or _SURFACE_FAILS.search(q.quote)) for q in d.quotes]
    return "Product" if _SURFACE.search(d.label) or (told and sum(told) * 2 >= len(told)) else "Customer Success"


def nurture_decision(appendix: Appendix) -> list[Line]:
    table = appendix.nurture
    if table.empty:
        return []
    total = float(table["amount"].fillna(0).sum())
    dated = int((table["recontact"] != "").sum())
    # the dates come from the CRM's notes, else the buyer's interview (crm.followup.nurture)
    when = "no CRM note or interview gives a date" if not dated else \
        "on the date its CRM note or interview gives" if len(table) == 1 else \
        "each on the date its CRM note or interview gives" if dated == len(table) else \
        f"{dated} of them on the date their CRM notes or interviews give"
    fit = "" if appendix.untested else "right-fit "
    # the acquired or closed accounts nurture.csv leaves off are counted, so the line agrees with the loss types
    left = appendix.no_decision - len(table)
    which = f"{len(table)} of the {appendix.no_decision}" if left > 0 else f"the {len(table)}"
    off = f"; {left} {'is' if left == 1 else 'are'} gone: acquired, sold or closed" if left > 0 else ""
    # no amount on any of them (Maven's lost deals carry 0): "$0" would read as deals worth nothing
    said = ", ".join(x for x in (dollars(total) if total else "", "fit not tested" if appendix.untested else "") if x)
    bracket = f" ({said}{off})" if said else f" ({off.removeprefix('; ')})" if off else ""
    return [Line(f"Re-engage {which} {fit}{noun(appendix.no_decision if left > 0 else len(table))} lost to no "
                 f"decision{bracket}, {when} (nurture.csv).",
                 cites=(Cite("nurture", "*", "deals", len(table)), Cite("nurture", "*", "amount", total)),
                 owner="Sales", metric=f"deals from the nurture list re-opened, of {len(table)}")]


def circumstance(d: Driver) -> bool:
    """A loss driver about the buyer's timing or budget (a freeze, a reorg): nothing the product can fix."""
    said = " ".join([d.label, *(q.quote for q in d.quotes)]).lower()
    return any(re.search(r"(?<!\w)" + re.escape(w) + r"(?!\w)", said) for w in TOPICS["timing and budget"])


def about_rival(d: Driver, rivals: frozenset[str]) -> bool:
    """A loss driver told about a competitor ("Looked at Gustly"): its label, or most of its quotes, name one. It is
    that competitor's edge, for the competitor's own decision, not a product fix named after a rival."""
    from winloss.themes.parties import names_competitor

    if not rivals:
        return False
    naming = [names_competitor(q.quote, rivals) for q in d.quotes]
    return names_competitor(d.label, rivals) or (bool(naming) and sum(naming) * 2 > len(naming))


def interview_decisions(drivers: dict[str, list[Driver]], rivals: frozenset[str] = frozenset()) -> list[Line]:
    lost = [d for d in drivers.get("lost", []) if d.kind == "driver" and firm(d)]
    fixable = (d for d in lost if not circumstance(d) and not about_rival(d, rivals))
    chosen = [("lost", "Product", "Fix", next(fixable, None)),
              ("lost", "Marketing", "Keep in touch with the buyers who stalled on",
               next((d for d in lost if circumstance(d)), None)),
              ("won", "Marketing", "Lead the message with",
               next((d for d in drivers.get("won", []) if d.kind == "driver" and firm(d)), None))]
    out = []
    for cohort, owner, verb, d in chosen:
        if d is None:
            continue
        e = d.evidence
        said = "praise" if cohort == "won" else "criticise"
        out.append(Line(f"{verb} {d.label}: {of(e.n, e.N)} {cohort} interviews {said} it against "
                        f"{of(e.n_other, e.N_other)} other interviews.",
                        cites=driver_cites(d), quotes=tuple(d.quotes[:1]), owner=owner,
                        metric=f"of the {e.n} stalled buyers, how many reopen an evaluation"
                        if circumstance(d) and cohort == "lost" else
                        f"{cohort} interviews that {said} {d.label} next quarter, against {of(e.n, e.N)}"))
    return out


def decisions(a: CrmAnalysis | None, blocks: tuple[CompetitorBlock, ...], appendix: Appendix,
              drivers: dict[str, list[Driver]], churn: tuple[Line, ...] = ()) -> tuple[Line, ...]:
    if a is None or not a.usable:
        found = interview_decisions(drivers)
        found[1:1] = churn_decision(None, drivers, churn, appendix)
        return tuple(found[:MAX_DECISIONS])
    found = (gate_decision(a) + competitor_decisions(blocks, "product gap") + churn_decision(a, drivers, churn, appendix)
             + nurture_decision(appendix) + competitor_decisions(blocks, "positioning gap"))
    if len(found) < MIN_DECISIONS:  # a CRM without a gate says little: the interviews still do
        found += interview_decisions(drivers, frozenset(b.name.lower() for b in blocks))
    return tuple(found[:MAX_DECISIONS])
