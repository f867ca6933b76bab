"""The front's follow-up sections: the deals lost to no decision to re-engage (the rows of nurture.csv) and the
open pipeline rescored with the new ICP. Pure functions of the CRM result and the appendix's tables."""
from __future__ import annotations

from typing import TYPE_CHECKING

from winloss.crm.assurance import dollars
from winloss.crm.followup import gone, no_decision, unrecorded
from winloss.crm.health import unproven_score
from winloss.crm.loss_types import find_keyword
from winloss.outputs.consistency import Appendix, Cite
from winloss.outputs.front_records import Line, NurtureRow, deals, noun

if TYPE_CHECKING:
    from winloss.crm.analysis import CrmAnalysis


NURTURE_ROWS = 8  # rows of the front's re-engagement table, soonest re-contact first


def no_decision_section(a: CrmAnalysis, appendix: Appendix) -> tuple[tuple[Line, ...], tuple[NurtureRow, ...]]:
    table = appendix.nurture
    type3 = appendix.losses[appendix.losses["loss_type"] == 3]
    dated = int((table["recontact"] != "").sum())
    total = float(table["amount"].fillna(0).sum())
    told = f"the CRM notes or interviews of {dated} say" if dated else "no CRM note or interview says"
    # "passed" is measured on a day the data fixes, not the clock: the reader is told which, and how to change it
    day = f" (dates as of {a.as_of})" if dated and a.as_of else ""  # the appendix says where the day comes from
    # with no deal's fit known, the list is every no-decision deal, and the reader is told to check each
    dropped = max(appendix.no_decision - len(table), 0)  # acquired or closed: named below, and dropped off the list
    n, fit = len(table) + dropped, "" if a.untested else "right-fit "
    worth = "" if dropped or not total else f" worth {dollars(total)}"
    said = f"{n} {fit}{noun(n)}{worth} {'was' if n == 1 else 'were'} lost to no decision" + \
        ("" if a.untested else f" (of {len(type3)} in loss_types.csv)") + \
        (f"; {len(table)}{f' worth {dollars(total)}' if total else ''} {'is' if len(table) == 1 else 'are'} left to "
         "re-engage"
         if dropped else "") + \
        (f"; their fit is not tested ({a.untested}), so check each before re-engaging" if a.untested else "")
    pool = no_decision(a.deals, not a.untested)
    buyers = pool["buyer_said"] if "buyer_said" in pool else [""] * len(pool)
    by = [(acc, gone(r, n, b, d)) for acc, r, n, b, d in zip(pool["account_name"], pool["loss_reason"],
                                                              pool["loss_notes"], buyers, pool["close_date"])]
    off = "; ".join(f"{', '.join(left)} {one if len(left) == 1 else many}"
                    for source, one, many in (
                        ("crm", "was acquired or closed, by the CRM's reason or notes",
                         "were acquired or closed, by the CRM's reasons or notes"),
                        ("interview", "is being sold or closed, as its buyer says in the interview",
                         "are being sold or closed, as their buyers say in the interviews"))
                    if (left := [acc for acc, s in by if s == source]))
    # the front shows the soonest re-contacts; a long list is read in nurture.csv (and the appendix)
    shown = f" The {NURTURE_ROWS} to call first are below; all {len(table)} are in nurture.csv." \
        if len(table) > NURTURE_ROWS else " The list is nurture.csv."
    blank = unrecorded(a.deals)
    unknown = (f" {blank} more {noun(blank)} {'was' if blank == 1 else 'were'} lost with nothing on record (no loss "
               "reason, notes, competitor or interview): typed no decision by default, so not on the list; ask their "
               "reps why.") if blank else ""
    lines = (Line(f"{said}; {told} when to come back{day}.{shown}"
                  + (f" {off}: no one to re-engage, so left off." if off else "") + unknown,
                  cites=(Cite("nurture", "*", "deals", len(table)), Cite("nurture", "*", "amount", total)))
             if len(table) else Line("No deal lost to no decision is left to re-engage"
                                     + (f": {off}." if off else ".") + unknown + _stalled(a)),)
    # an amount of 0 on a lost deal is one the CRM did not keep (Maven zeroes every lost deal), not a free deal
    rows = tuple(NurtureRow(r.account, r.deal_id, dollars(r.amount) if r.amount else "not recorded", r.loss_reason,
                            f"{r.recontact}, passed" if r.recontact_passed else r.recontact or "not said")
                 for r in table.head(NURTURE_ROWS).itertuples())
    return lines, rows


def _stalled(a: CrmAnalysis) -> str:
    """" 3 more deals stalled with no decision but fail the new ICP's gate (wrong fit), so they are not on
    the list either.", or '': with an empty list, a reader would otherwise take the one account named for every
    stalled deal. Only where fit is tested (a gate within chance types no loss wrong fit)."""
    if a.untested:
        return ""
    lost = a.deals[(a.deals["excluded"] == "") & (a.deals["outcome"] == "lost") & (a.deals["loss_type"] == 1)]
    k = sum(bool(find_keyword(f"{r} {n}", a.loss_rules.no_decision))
            for r, n in zip(lost["loss_reason"], lost["loss_notes"]))
    if not k:
        return ""
    return (f" {k} more {noun(k)} stalled with no decision but {'fails' if k == 1 else 'fail'} the new ICP's gate "
            "(wrong fit), so they are not on the list either.")


def hold_reason(a: CrmAnalysis) -> str:
    """Why the bands route no deal yet, as the pipeline line says it ('' when they do): the actions record the score
    and route no deal on it while its gate, or with no gate the score itself, predicts wins only within chance."""
    if not unproven_score(a):
        return ""
    return "while the gate is within chance" if a.gated else "while the score's criteria are within chance"


def pipeline_section(appendix: Appendix, hold: str = "") -> tuple[Line, ...]:
    """hold: why the bands route no deal yet (hold_reason), when they are only named; '' when they say what to do
    with each deal."""
    routed = not hold
    table = appendix.pipeline
    if table.empty:
        return ()
    parts, names, cites = [], [], []
    words = ("pursue", "qualify carefully", "deprioritise") if routed else ("", "", "")
    for band, word in zip("ABC", words):
        rows = table[table["band"] == band]
        if rows.empty:  # "band A 0 deals, $0" says nothing the other bands do not
            continue
        amount = float(rows["amount"].fillna(0).sum())
        names.append(f"band {band}{f' ({word})' if word else ''}")
        parts.append(f"band {band}{f' ({word})' if word else ':'} {deals(len(rows))}, {dollars(amount)}")
        cites += [Cite("pipeline", band, "deals", len(rows)), Cite("pipeline", band, "amount", amount)]
    if len(parts) == 1:  # all in one band: its counts are the total's, said just before
        parts = names
    total = float(table["amount"].fillna(0).sum())
    return (Line(f"Rescored with the new ICP, the {len(table)} open {noun(len(table))} ({dollars(total)}) "
                 f"{'falls' if len(table) == 1 else 'fall'} in " +
                 "; ".join(parts) + ". Each deal's score and band is in open_pipeline.csv"
                 + ("." if routed else f"; route none on it {hold}."),
                 cites=(Cite("pipeline", "*", "deals", len(table)), *cites)),)
