"""Lists a team acts on after the analysis: the open pipeline rescored with the new ICP (open_pipeline.csv) and
the right-fit deals lost to no decision, to re-engage (nurture.csv), with the re-contact date the notes give."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd

from winloss.crm.loss_types import NOTHING_ON_RECORD

OPEN_COLUMNS = ["deal_id", "account", "stage", "amount", "close_date", "score", "band", "fit"]
NURTURE_COLUMNS = ["deal_id", "account", "amount", "loss_reason", "loss_notes", "close_date", "recontact",
                   "recontact_said", "recontact_from", "recontact_passed"]
MONTHS = {m: i + 1 for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                          "september", "october", "november", "december"))}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
# A season's first month, in the northern hemisphere ("look again in the spring" -> 1 March).
SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_SEASON = "|".join(SEASONS)
TIME = (r"(?P<year>next (?:fiscal |financial )?year)|(?P<quarter>next quarter)|q(?P<q>[1-4])\b"
        r"|(?P<n>\d+) (?P<unit>week|month)s?\b|(?P<month>" + _MONTH + r")\b|(?:the )?(?P<season>" + _SEASON + r")\b")
# A month named in the notes is a re-contact date only after a word that says so: "froze spend in June" is not;
# "next" is such a word ("maybe next autumn").
CUE = r"(?:revisit|call(?:ing)? (?:us |them )?back|call (?:us|me)|come back|reconnect|re-?engage|follow(?:ing)? up" \
      r"|check back|touch base|until|pushed to|try again|reach out|look (?:at (?:it|this|you) )?again" \
      r"|pick (?:it|this) (?:back )?up|(?:be|get|getting|back) in touch|circle back|(?:talk|speak) again)"
WHEN = re.compile(r"\b" + CUE + r"\b[^.;]{0,25}?\b(?:" + TIME + r")"
                  r"|\b(?P<year2>next (?:fiscal |financial )?year|(?:in|after) the new year)"
                  r"|\b(?P<quarter2>next quarter)|\bnext (?P<month2>" + _MONTH + r")\b|\bnext (?P<season2>" + _SEASON
                  + r")\b"
                  # the buyer agreeing to a date the interviewer offers: "Can we reach out in the new year?" "Yeah,
                  # January's fine."
                  r"|\b(?:the )?(?P<month3>" + _MONTH + "|" + _SEASON + r")(?:(?:'s| is| would be| sounds)(?: \w+)? "
                  r"(?:fine|good|great|ok|okay|perfect|better)| works| would work| should work)\b", re.IGNORECASE)
_NEXT_YEAR = re.compile(r",? (?:of )?next (?:fiscal |financial )?year\b", re.IGNORECASE)


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
    said, g = m.group(0), m.groupdict()
    year, quarter = closed_on.year, (closed_on.month - 1) // 3
    if g["year"] or g["year2"]:
        return date(year + 1, 1, 1), said
    if g["quarter"] or g["quarter2"]:
        q = quarter + 1
        return date(year + q // 4, 3 * (q % 4) + 1, 1), said
    # "Q2 next year", "in March of next year": that quarter or month of the year after
    later = _NEXT_YEAR.match(notes, m.end())
    if later:
        said += later.group(0)
    if g["q"]:
        start = date(year + bool(later), 3 * (int(g["q"]) - 1) + 1, 1)
        return (start if start > closed_on else date(year + 1, start.month, 1)), said
    if g["n"]:
        n = int(g["n"])
        return closed_on + timedelta(weeks=n) if g["unit"].lower() == "week" else _add_months(closed_on, n), said
    name = (g["month"] or g["month2"] or g["month3"] or g["season"] or g["season2"]).lower()
    month = MONTHS.get(name) or SEASONS[name]
    start = date(year + bool(later), month, 1)
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


# A no-decision loss whose account is gone ("No Decision / Acquired": the parent has its own tooling) is no one to
# re-engage.
GONE = re.compile(r"\b(?:acquired|acquisition|merged|merger|out of business|bankrupt(?:cy)?|closed down|shut down|"
                  r"ceased trading|liquidat\w*|went under)\b", re.IGNORECASE)


# ... or whose buyer says so in the interview ("I'm selling the company"), in words that say the company ends, not
# that it bought something ("we acquired a competitor") or was persuaded ("we were sold on it").
SOLD = re.compile(r"\b(?:(?:selling|sold|sell) (?:the|our|my) (?:company|business|shop|firm|practice)"
                  r"|(?:we're|we are|we were|we got|we've been|we have been|(?:the )?(?:company|business) (?:is|was))"
                  r" (?:being )?(?:acquired|bought out|bought by)"
                  r"|(?:closing|closed|shutting|shut) (?:the|our|my) (?:doors|business|company|shop)"
                  r"|going out of business)\b", re.IGNORECASE)


def gone(reason: str, notes: str, said: str = "", closed_on: date | None = None) -> str:
    """Who says the account is gone: "crm" (its reason or notes), "interview" (its buyer), or "" (it is not). An
    account whose notes or buyer still say when to come back is not gone, acquired or not ("we were acquired ...
    maybe in the new year, once we know what their stack can do"): that date is the reason to call."""
    crm = f"{reason} {notes}"
    if closed_on is not None and (recontact(crm, closed_on)[0] or recontact(said, closed_on)[0]):
        return ""
    return "crm" if GONE.search(crm) else "interview" if SOLD.search(said or "") else ""


def no_decision(deals: pd.DataFrame, fit_known: bool = True) -> pd.DataFrame:
    """The Type 3 losses the nurture list is drawn from: right fit, or all of them when no fit is known. A loss
    with nothing on record and no interview is no known no decision (see `unrecorded`)."""
    lost = deals[(deals["excluded"] == "") & (deals["outcome"] == "lost") & (deals["loss_type"] == 3)]
    lost = lost[~_unrecorded(lost)]
    return lost[lost["fit"] == "fit"] if fit_known else lost


def unrecorded(deals: pd.DataFrame) -> int:
    """Closed-lost deals typed no decision only by default: no loss reason, notes or competitor in the CRM, and no
    interview with their buyer. Nobody knows why they were lost, so they are counted, never re-engaged by list."""
    lost = deals[(deals["excluded"] == "") & (deals["outcome"] == "lost") & (deals["loss_type"] == 3)]
    return int(_unrecorded(lost).sum())


def _unrecorded(lost: pd.DataFrame) -> pd.Series:
    interviewed = lost["buyer_interview"].fillna("") != "" if "buyer_interview" in lost else False
    return (lost["loss_rule"] == NOTHING_ON_RECORD) & ~interviewed


def nurture(deals: pd.DataFrame, fit_known: bool, as_of: str) -> pd.DataFrame:
    """Right-fit deals lost to no decision (Type 3): the re-engagement list, soonest re-contact first. When no
    deal's fit is known (fit_known=False: no gate, or one within chance), every Type 3 deal: a team still re-engages
    its no-decision deals, and the draft says their fit is not tested. Never an account that is `gone`.
    `recontact_passed` marks a date before `as_of` (CrmAnalysis.as_of, the one "today" of a run; '': none has
    passed): "revisit in January" of a deal lost a year before: call now."""
    lost = no_decision(deals, fit_known)
    said = lost["buyer_said"] if "buyer_said" in lost else pd.Series("", index=lost.index)
    kept = pd.Series([not gone(r, n, b, d) for r, n, b, d in zip(lost["loss_reason"], lost["loss_notes"], said,
                                                                    lost["close_date"])],
                     index=lost.index, dtype=bool)
    lost, said = lost[kept], said[kept]
    when, source = [], []
    for r, n, d, b, iv, on in zip(lost["loss_reason"], lost["loss_notes"], lost["close_date"], said,
                                  lost.get("buyer_interview", pd.Series("", index=lost.index)),
                                  lost.get("buyer_said_on", pd.Series(None, index=lost.index, dtype=object))):
        found = recontact(f"{r} {n}", d)
        # the CRM's notes first; else what the buyer said in their interview ("we'll look again in the spring"),
        # counted from the interview's day when known
        from_interview = found[0] is None and bool(b)
        found = recontact(b, on if isinstance(on, date) else d) if from_interview else found
        when.append(found)
        source.append("" if found[0] is None else f"interview {iv}" if from_interview else "CRM notes")
    table = pd.DataFrame({"deal_id": lost["deal_id"], "account": _account(lost), "amount": lost["amount"],
                          "loss_reason": lost["loss_reason"], "loss_notes": lost["loss_notes"],
                          "close_date": lost["close_date"].map(_iso),
                          "recontact": [_iso(d) for d, _ in when], "recontact_said": [s for _, s in when],
                          "recontact_from": source},
                         columns=NURTURE_COLUMNS[:-1])
    table["recontact_passed"] = [bool(as_of) and d != "" and d < as_of for d in table["recontact"]]
    table = table.assign(_later=table["recontact"].replace("", "9999"))
    return table.sort_values(["_later", "deal_id"], kind="mergesort").drop(columns="_later").reset_index(drop=True)


def _iso(d) -> str:
    return "" if d is None or pd.isna(d) else d.isoformat()
