"""Lists a team acts on after the analysis: the open pipeline rescored with the new ICP (open_pipeline.csv) and
the right-fit deals lost to no decision, to re-engage (nurture.csv), with the re-contact date the notes give."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd

OPEN_COLUMNS = ["deal_id", "account", "stage", "amount", "close_date", "score", "band", "fit"]
NURTURE_COLUMNS = ["deal_id", "account", "amount", "loss_reason", "loss_notes", "close_date", "recontact",
                   "recontact_said"]
MONTHS = {m: i + 1 for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                          "september", "october", "november", "december"))}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
TIME = (r"(next (?:fiscal |financial )?year)|(next quarter)|q([1-4])\b|(\d+) (week|month)s?\b"
        r"|(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b")
# A month named in the notes is a re-contact date only after a word that says so: "froze spend in June" is not.
CUE = r"(?:revisit|call(?:ing)? (?:us |them )?back|come back|reconnect|re-?engage|follow(?:ing)? up|check back" \
      r"|touch base|until|pushed to|try again|reach out)"
WHEN = re.compile(r"\b" + CUE + r"\b[^.;]{0,25}?\b(?:" + TIME + r")|\b(next (?:fiscal |financial )?year)"
                  r"|\b(next quarter)", re.IGNORECASE)


def recontact(notes: str, closed_on: date | None) -> tuple[date | None, str]:
    """When the buyer said to come back, as the first day it can mean after the loss: 'revisit in January' ->
    the next 1 January; 'call back in Q2', 'follow up in 3 months', 'next quarter'; 'next (fiscal) year' -> 1
    January next year (the phrase is kept, so a fiscal year that is not the calendar one can be read). (None, '')
    when the notes say nothing of when."""
    if closed_on is None or pd.isna(closed_on):
        return None, ""
    m = WHEN.search(notes or "")
    if m is None:
        return None, ""
    said = m.group(0)
    year, quarter = closed_on.year, (closed_on.month - 1) // 3
    if m.group(1) or m.group(7):
        return date(year + 1, 1, 1), said
    if m.group(2) or m.group(8):
        q = quarter + 1
        return date(year + q // 4, 3 * (q % 4) + 1, 1), said
    if m.group(3):
        start = date(year, 3 * (int(m.group(3)) - 1) + 1, 1)
        return (start if start > closed_on else date(year + 1, start.month, 1)), said
    if m.group(4):
        n = int(m.group(4))
        return closed_on + timedelta(weeks=n) if m.group(5).lower() == "week" else _add_months(closed_on, n), said
    month = MONTHS[m.group(6).lower()]
    start = date(year, month, 1)
    return (start if start > closed_on else date(year + 1, month, 1)), said


def _add_months(d: date, n: int) -> date:
    months = d.month - 1 + n
    return date(d.year + months // 12, months % 12 + 1, 1)


def _account(frame: pd.DataFrame) -> pd.Series:
    return frame["account_name"].where(frame["account_name"] != "", frame["account_id"])


def open_pipeline(deals: pd.DataFrame) -> pd.DataFrame:
    """Open deals with the new score, band and gate verdict; most valuable first within each band."""
    rows = deals[deals["excluded"] == "open"]
    table = pd.DataFrame({"deal_id": rows["deal_id"], "account": _account(rows), "stage": rows["stage"],
                          "amount": rows["amount"], "close_date": rows["close_date"].map(_iso),
                          "score": rows["score"], "band": rows["band"], "fit": rows["fit"]}, columns=OPEN_COLUMNS)
    table = table.assign(_amount=table["amount"].fillna(0))
    return table.sort_values(["band", "_amount", "deal_id"], ascending=[True, False, True],
                             kind="mergesort").drop(columns="_amount").reset_index(drop=True)


def nurture(deals: pd.DataFrame, fit_known: bool = True) -> pd.DataFrame:
    """Right-fit deals lost to no decision (Type 3): the re-engagement list, soonest re-contact first. When no
    deal's fit is known (fit_known=False: no gate, or one within chance), every Type 3 deal: a team still re-engages
    its no-decision deals, and the draft says their fit is not tested."""
    lost = deals[(deals["excluded"] == "") & (deals["outcome"] == "lost") & (deals["loss_type"] == 3)]
    if fit_known:
        lost = lost[lost["fit"] == "fit"]
    when = [recontact(f"{r} {n}", d) for r, n, d in zip(lost["loss_reason"], lost["loss_notes"], lost["close_date"])]
    table = pd.DataFrame({"deal_id": lost["deal_id"], "account": _account(lost), "amount": lost["amount"],
                          "loss_reason": lost["loss_reason"], "loss_notes": lost["loss_notes"],
                          "close_date": lost["close_date"].map(_iso),
                          "recontact": [_iso(d) for d, _ in when], "recontact_said": [s for _, s in when]},
                         columns=NURTURE_COLUMNS)
    table = table.assign(_later=table["recontact"].replace("", "9999"))
    return table.sort_values(["_later", "deal_id"], kind="mergesort").drop(columns="_later").reset_index(drop=True)


def _iso(d) -> str:
    return "" if d is None or pd.isna(d) else d.isoformat()
