"""The CRM stage of `winloss run`: deals and accounts in, segments, loss types, ICP draft and evidence out."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path

import pandas as pd

from winloss.crm.account_columns import account_columns
from winloss.crm.backtest import backtest, out_of_sample, too_few
from winloss.crm.coherence import ContradictoryDraft
from winloss.crm.cohorts import CohortRules, score_accounts
from winloss.crm.current_icp import current_criteria, diff_icp, load_current_icp
from winloss.crm.evidence import Join, interview_evidence, join_interviews
from winloss.crm.groups import describe, split_groups
from winloss.crm.health import (
    best_vs_worst,
    critical_question,
    fit_value,
    gate_doubt,
    icp_health,
    money,
    recent_losses,
)
from winloss.crm.icp import IcpRules, assess, band, compares_customers, derive_criteria
from winloss.crm.load import (
    ACCOUNT_NUMBERS,
    CrmTables,
    account_key,
    load_accounts,
    load_deals,
)
from winloss.crm.loss_types import classify_loss, find_keyword
from winloss.crm.parse import chosen_in_interview, favoured_in_interview
from winloss.crm.result import CrmAnalysis
from winloss.crm.segments import (
    Dimension,
    build_dimensions,
    raw_column,
    segment_table,
)
from winloss.crm.settings import CrmSettings
from winloss.models import Interview, Problem
from winloss.tables import TableError, find_table


def _won_accounts(closed: pd.DataFrame, values: pd.DataFrame, accounts: pd.DataFrame | None,
                  rules: CohortRules, problems: list[Problem], notes: list[str]) -> pd.DataFrame:
    """One row per won account: its latest won deal's dimension values, plus cohort from accounts.csv."""
    won = closed[closed["outcome"] == "won"].sort_values(["close_date", "row"], na_position="first",
                                                         kind="mergesort")
    latest = won.groupby("account_key", sort=True).tail(1)
    table = values.loc[latest.index].copy()
    table.insert(0, "account_key", latest["account_key"].to_numpy())
    table.insert(1, "account", latest["account_name"].where(latest["account_name"] != "",
                                                            latest["account_id"]).to_numpy())
    table = table.sort_values("account_key", kind="mergesort").reset_index(drop=True)
    table["cohort"], table["retention_status"], table["cohort_score"] = "", "", math.nan
    table["nps"], table["starting_arr"], table["current_arr"] = math.nan, math.nan, math.nan
    if accounts is None:
        return table
    by_name = {account_key("", n): k for k, n in zip(won["account_key"], won["account_name"]) if n}
    ok = accounts[accounts["excluded"] == ""].copy()
    keys = []
    won_keys = set(table["account_key"])
    prospects, unmatched = 0, []
    for r in ok.itertuples():
        key = r.account_key if r.account_key in won_keys else by_name.get(account_key("", r.account_name), "")
        if not key and not _customer_data(r):
            # an Accounts report lists prospects and lost accounts too: a row with nothing of a customer is no
            # broken input
            prospects += 1
        elif not key:
            unmatched.append(f"accounts.csv row {r.row} ({r.account_id or r.account_name})")
        keys.append(key)
    if unmatched:  # one problem, as for unknown stages: a deals export of one year leaves every older customer
        n = len(unmatched)
        rows_said = unmatched[0] if n == 1 else f"{', '.join(unmatched[:3])}{' ...' if n > 3 else ''} ({n} rows)"
        problems.append(Problem(rows_said, f"no Closed Won deal for {'this account' if n == 1 else 'these accounts'} "
                                           "in deals.csv; " + ("its" if n == 1 else "their") +
                                           " customer-success data is not used"))
    if prospects:
        notes.append(f"{prospects} accounts.csv {'row has' if prospects == 1 else 'rows have'} no Closed Won deal "
                     "and no customer data (ARR, retention, NPS): prospects or lost accounts, not customers")
    ok["match"] = keys
    scored = score_accounts(ok[ok["match"] != ""], rules).set_index("match")
    matched = table["account_key"].isin(scored.index)
    table.loc[matched, "cohort"] = table.loc[matched, "account_key"].map(scored["cohort"])
    table.loc[matched, "retention_status"] = table.loc[matched, "account_key"].map(scored["retention_status"])
    table.loc[matched, "cohort_score"] = table.loc[matched, "account_key"].map(scored["score"]).astype(float)
    for column in ("nps", "starting_arr", "current_arr"):
        table[column] = table["account_key"].map(scored[column]).astype(float)
    missing = int((~matched).sum())
    if missing:
        notes.append(f"{missing} of {len(table)} won accounts have no row in accounts.csv: no cohort for them")
    return table


def _customer_data(row) -> bool:
    """Does an accounts.csv row say anything of a customer (a retention status or any customer-success number)?"""
    return bool(row.retention_status) or any(not math.isnan(getattr(row, f)) for f in ACCOUNT_NUMBERS)


def told_churned(table: pd.DataFrame, joins: list[Join], deals: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """A churn interview is retention data about its account: a won account whose interview is in the churned
    cohort is marked `churned_interview`, and, when accounts.csv gave it no cohort, it is a problematic customer
    (cohorts.py: churned is problematic). The rest keep what accounts.csv says, or nothing."""
    key_of = dict(zip(deals["deal_id"], deals["account_key"]))
    told = {key_of.get(j.deal_id, "") for j in joins if j.cohort == "churned" and j.deal_id}
    table = table.copy()
    table["churned_interview"] = table["account_key"].isin(told)
    unscored = table["churned_interview"] & (table["cohort"] == "")
    table.loc[unscored, "cohort"] = "problematic"
    if unscored.any():
        notes.append(f"{int(unscored.sum())} won accounts are known to have churned only from their churn "
                     "interviews: they count as problematic customers, and their won deals are left out of the won "
                     "deals the criteria describe")
    return table


def _buyer_said(deals: pd.DataFrame, joins, statements: pd.DataFrame, interviews: list[Interview]
                ) -> tuple[pd.Series, pd.Series, pd.Series]:
    """For each lost deal joined to a lost interview, what its buyer said (the statements, ';'-joined), which
    interview and on what day (None if not known): the nurture list reads a re-contact date there when the CRM's
    notes give none, counted from the day it was said ("in January", said in July, is next January)."""
    said = pd.Series("", index=deals.index, dtype=object)
    which = pd.Series("", index=deals.index, dtype=object)
    on = pd.Series(None, index=deals.index, dtype=object)
    if statements is None or statements.empty or "text" not in statements:
        return said, which, on
    dated = {iv.interview_id: _day(iv.date) for iv in interviews}
    texts = statements.groupby("interview_id", sort=False)["text"].apply(lambda t: "; ".join(map(str, t)))
    row = {d: i for i, d in zip(deals.index, deals["deal_id"])}
    for j in sorted(joins, key=lambda j: j.interview_id):
        if j.cohort == "lost" and j.deal_id in row and j.interview_id in texts.index and not which[row[j.deal_id]]:
            said[row[j.deal_id]], which[row[j.deal_id]] = texts[j.interview_id], j.interview_id
            on[row[j.deal_id]] = dated.get(j.interview_id)
    return said, which, on


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()[:10]) if text.strip() else None
    except ValueError:
        return None


def _competitors_from_interviews(deals: pd.DataFrame, joins, statements: pd.DataFrame, extra: list[str],
                                 no_decision: tuple[str, ...] = ()) -> dict[str, str]:
    """Fill a lost deal's empty Competitor from what its interviewed buyer says they chose ("Payvance won on two
    things"), a rival the Competitor column or [crm] competitors knows. Failing that, from the one rival the buyer
    names where they speak against us ("Clausewell came out ahead on review speed"), unless the CRM's reason or the
    buyer's words tell a no decision (`no_decision`: its keywords). Returns the deals filled: deal id -> interview."""
    if statements is None or statements.empty or "text" not in statements:
        return {}
    known = sorted({str(c).strip() for c in deals["competitor"] if str(c).strip()} | {c for c in extra if c.strip()},
                   key=lambda c: (-len(c), c))
    stances = statements["stance"] if "stance" in statements else pd.Series("", index=statements.index)
    told = {i: list(zip(g["text"].map(str), stances[g.index].map(str)))
            for i, g in statements.groupby("interview_id", sort=False)}
    said = {i: " ".join(text for text, _ in rows) for i, rows in told.items()}
    row = {d: i for i, d in zip(deals.index, deals["deal_id"])}
    filled = {}
    for j in sorted(joins, key=lambda j: j.interview_id):
        i = row.get(j.deal_id)
        if (j.cohort != "lost" or i is None or j.interview_id not in said or deals.at[i, "outcome"] != "lost"
                or str(deals.at[i, "competitor"]).strip()):
            continue
        name = chosen_in_interview(said[j.interview_id], known)
        if not name and not find_keyword(f"{deals.at[i, 'loss_reason']} {said[j.interview_id]}", no_decision):
            name = favoured_in_interview(told[j.interview_id], known)
        if name:
            deals.at[i, "competitor"] = name
            filled[str(j.deal_id)] = j.interview_id
    return filled


def analyse_crm(study_dir: Path, interviews: list[Interview], statements: pd.DataFrame, themes: pd.DataFrame,
                quotes: pd.DataFrame, settings: CrmSettings | None,
                classify_notes: Callable[[list[tuple[str, str]]], dict[str, tuple[int, str]]] | None = None
                ) -> CrmAnalysis | None:
    """None when STUDY/crm/deals.csv is absent. Bad rows become Problems; the analysis uses the rest.
    classify_notes: the LLM stage's loss-note reader (winloss.llm.steps.note_classifier); None: keyword rules."""
    study_dir = Path(study_dir)
    try:
        deals_path = find_table(study_dir / "crm", "deals")
    except TableError as exc:
        return CrmAnalysis(problems=[Problem(str(study_dir / "crm"), str(exc).removeprefix(f"{study_dir / 'crm'}: "))])
    if deals_path is None:
        return None
    settings = settings or CrmSettings()
    problems: list[Problem] = []
    cohort_rules, icp_rules, loss_rules = settings.cohorts, settings.icp, settings.loss_types
    tables: CrmTables = load_deals(deals_path, settings)
    problems += tables.problems
    notes = list(tables.notes)
    sources = list(tables.sources)
    if not tables.usable:
        return CrmAnalysis(problems=problems, notes=notes, sources=sources)
    deals = tables.deals
    try:
        accounts_path = find_table(study_dir / "crm", "accounts")
    except TableError as exc:
        accounts_path = None
        problems.append(Problem(str(study_dir / "crm"), str(exc).removeprefix(f"{study_dir / 'crm'}: ")))
    accounts = load_accounts(accounts_path, settings, problems, notes, sources) if accounts_path else None
    if accounts is None:
        notes.append("no usable crm/accounts.csv: customer cohorts cannot be formed; criteria compare won with "
                     "lost deals")

    closed = deals[deals["excluded"] == ""]
    if closed.empty or closed["outcome"].nunique() < 2:
        problems.append(Problem(str(deals_path), "needs both Closed Won and Closed Lost deals; CRM analysis skipped"))
        return CrmAnalysis(problems=problems, notes=notes, deals=deals, sources=sources)
    deals, from_accounts, account_notes = account_columns(deals, accounts, tables.headers)
    notes += account_notes
    closed = deals[deals["excluded"] == ""]
    scored_rows = deals[deals["excluded"].isin(["", "open"])]  # open deals are rescored, never fitted on
    dims, all_values, dim_notes = build_dimensions(scored_rows, tables.extras + from_accounts, settings.dimensions,
                                                   tables.restated)
    notes += dim_notes
    values = all_values.loc[closed.index]
    joins, join_problems = join_interviews(interviews, deals)
    problems += join_problems
    filled = _competitors_from_interviews(deals, joins, statements, settings.competitors,
                                          settings.loss_types.no_decision)
    if filled:
        closed = deals[deals["excluded"] == ""]
        notes.append(f"the competitor of {len(filled)} lost {'deal' if len(filled) == 1 else 'deals'} was read from "
                     "its buyer's "
                     "interview (\"we went with ...\", or the one rival they name against us; the CRM named none)")
    won_accounts = told_churned(_won_accounts(closed, values, accounts, cohort_rules, problems, notes), joins, deals,
                                notes)
    churned_deals = closed["account_key"].isin(won_accounts.loc[won_accounts["churned_interview"], "account_key"])
    outcome = closed["outcome"]
    segments = segment_table(dims, values, outcome, won_accounts, won_accounts["cohort"],
                             won_accounts["retention_status"])
    few = too_few(outcome)
    if few:
        notes.append(few)
    try:
        criteria = [] if few else derive_criteria(dims, won_accounts, won_accounts["cohort"], values, outcome,
                                                  icp_rules, churned=churned_deals)
    except ContradictoryDraft as exc:  # a bug in the rules, never shipped to leadership as a draft
        problems.append(Problem(str(deals_path), f"{exc}; no ICP draft written"))
        return CrmAnalysis(problems=problems, notes=notes, deals=deals)

    deals = deals.copy()
    scores, failures = assess(all_values, criteria)
    deals["score"] = scores.reindex(deals.index)
    deals["band"] = [band(int(x), icp_rules) if x == x else "" for x in deals["score"]]
    deals["fit"] = pd.Series(["; ".join(f) or "fit" for f in failures], index=all_values.index).reindex(
        deals.index, fill_value="")
    account_scores, account_failures = assess(won_accounts, criteria)
    won_accounts["score"] = account_scores
    won_accounts["fit"] = ["no" if f else "fit" for f in account_failures]
    health = icp_health(deals.loc[closed.index], won_accounts)
    # A gate within chance (health.unproven_gate) calls no loss wrong fit: the losses are typed by what was recorded.
    fit_tested = not any(c.gate for c in criteria) or not gate_doubt(criteria, health)
    failed = dict(zip(all_values.index, failures if fit_tested else [[] for _ in failures]))
    lost = closed[closed["outcome"] == "lost"]
    read = {}
    if classify_notes is not None:
        texts = [(str(d), " - ".join(t for t in (r, n) if t))
                 for i, d, r, n in zip(lost.index, lost["deal_id"], lost["loss_reason"], lost["loss_notes"])
                 if not failed[i]]
        read = classify_notes([(d, t) for d, t in texts if t]) or {}
    typed = [classify_loss(d, r, n, c, failed[i], loss_rules, read.get(str(d)))
             for i, d, r, n, c in zip(lost.index, lost["deal_id"], lost["loss_reason"], lost["loss_notes"],
                                      lost["competitor"])]
    # the CRM recorded no competitor for these: the rule says where the name came from
    typed = [(t, rule.replace("competitor recorded", f"competitor named in the buyer's interview ({filled[str(d)]})"))
             if str(d) in filled else (t, rule) for (t, rule), d in zip(typed, lost["deal_id"])]
    deals["loss_type"] = pd.Series([t for t, _ in typed], index=lost.index, dtype=float).reindex(deals.index)
    deals["loss_rule"] = pd.Series([r for _, r in typed], index=lost.index, dtype=object).reindex(
        deals.index, fill_value="")
    deals["buyer_said"], deals["buyer_interview"], deals["buyer_said_on"] = _buyer_said(deals, joins, statements,
                                                                                        interviews)
    closed = deals.loc[closed.index]
    tested = backtest(closed["score"].astype(int), closed["outcome"], won_accounts["score"], won_accounts["cohort"],
                      icp_rules, closed["amount"], closed["sales_cycle_days"])

    def fit_before(mask: pd.Series) -> list:
        """The same criteria rules on the deals of `mask` only (their won accounts' cohorts from accounts.csv)."""
        part = closed[mask]
        part_accounts = told_churned(_won_accounts(part, values.loc[part.index], accounts, cohort_rules, [], []),
                                     joins, deals, [])
        return derive_criteria(dims, part_accounts, part_accounts["cohort"], values.loc[part.index],
                               part["outcome"], icp_rules, churned=churned_deals[mask])

    try:
        held_out = out_of_sample(closed, values, fit_before, icp_rules)
    except ContradictoryDraft as exc:
        held_out = {"holdout": "", "too_small": True, "reason": f"the criteria fitted before the holdout: {exc}"}
    current, message = load_current_icp(study_dir)
    if message:
        where, _, why = message.partition(": ")
        problems.append(Problem(str(study_dir / where), why))
    converted, changes = None, None
    if current is not None:
        converted, messages = current_criteria(current, dims)
        notes += messages
        changes = diff_icp(converted, criteria)
    since = date.fromisoformat(held_out["holdout_start"]) if held_out.get("holdout_start") else None
    status = dict(zip(won_accounts["account_key"], won_accounts["retention_status"]))
    key_of = dict(zip(deals["deal_id"], deals["account_key"]))
    for j in joins:
        known = status.get(key_of.get(j.deal_id, ""), "") if j.cohort == "churned" else ""
        if known and known != "churned":
            notes.append(f"{j.interview_id} is a churn interview but accounts.csv says the account is {known}")
    gap = interviews_after(closed, interviews)
    if gap:
        notes.append(gap)
    day = settings.as_of or latest_day(deals, interviews)  # what re-contact dates are judged against
    analysis = CrmAnalysis(
        problems=problems, notes=notes, usable=True, deals=deals, accounts=won_accounts, dims=dims, values=values,
        segments=segments, criteria=criteria, rules=icp_rules, loss_rules=loss_rules, backtest=tested, sources=sources,
        out_of_sample=held_out, critical=critical_question(closed, won_accounts, loss_rules), changes=changes,
        current_name=str(current.get("name", "current ICP")) if current is not None else "",
        health=health, fit_tested=fit_tested, has_accounts=accounts is not None,
        as_of=day.isoformat() if day else "",
        pressure={"recent_losses": recent_losses(closed, values, converted, since),
                  "best_vs_worst": best_vs_worst(won_accounts, [d for d in dims if d.key not in icp_rules.exclude]),
                  "fit_value": fit_value(closed, won_accounts)},
        money=money(deals, all_values, won_accounts, criteria, converted),
        groups=icp_groups(dims, won_accounts, values, outcome, icp_rules), joins=joins)
    # The interview evidence reads the joins and criteria above, so it is added to the finished record.
    return replace(analysis, evidence=interview_evidence(analysis, statements, themes, quotes))


STALE_DAYS = 365


def interviews_after(closed: pd.DataFrame, interviews: list[Interview]) -> str:
    """A note when every dated interview was held more than a year after the last deal closed (a 2017 export beside
    2026 interviews): the buyers then speak of a time the CRM does not describe. '' otherwise."""
    closes = [d for d in closed["close_date"] if isinstance(d, date)]
    held = sorted(d for d in (_day(i.date) for i in interviews) if d is not None)
    if not closes or not held or (held[0] - max(closes)).days <= STALE_DAYS:
        return ""
    return (f"the interviews ({held[0].isoformat()} to {held[-1].isoformat()}) were held "
            f"{(held[0] - max(closes)).days // 365} or more years after the last deal in the CRM export closed "
            f"({max(closes).isoformat()}): the buyers speak of a later time than the deals they are joined to")


def latest_day(deals: pd.DataFrame, interviews: list[Interview]) -> date | None:
    """The latest day the study's data knows: a closed deal's close date or an interview's date (an open deal's
    close date is a forecast). A re-contact date before it has passed; the run's own clock is never read, so the
    draft does not change with it."""
    days = [d for d in deals.loc[deals["excluded"] == "", "close_date"].dropna()]
    for interview in interviews:
        try:
            days.append(date.fromisoformat(str(interview.date)[:10]))
        except ValueError:
            pass
    return max(days, default=None)


def icp_groups(dims: list[Dimension], won_accounts: pd.DataFrame, values: pd.DataFrame, outcome: pd.Series,
               rules: IcpRules) -> dict:
    """Two ICPs where best customers form two separate groups on a numeric gate dimension (groups.py)."""
    cohort = won_accounts["cohort"]
    if compares_customers(cohort, rules):
        pos, neg, group, other = won_accounts[cohort == "best"], won_accounts[cohort == "problematic"], \
            "best customers", "problematic customers"
    else:
        pos, neg, group, other = values[outcome == "won"], values[outcome == "lost"], "won deals", "lost deals"
    for dim in dims:
        if dim.numeric and dim.kind in rules.gate and dim.key not in rules.exclude:
            found = split_groups(dim.label, dim.unit, pos[raw_column(dim.key)], neg[raw_column(dim.key)],
                                 rules.range_min_support)
            if found:
                return {"groups": [asdict(g) for g in found], "text": describe(found, group, other)}
    return {"groups": [], "text": describe([], group, other)}
