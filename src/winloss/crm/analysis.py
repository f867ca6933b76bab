"""The CRM stage of `winloss run`: deals and accounts in, segments, loss types, ICP draft and evidence out."""
from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from winloss.crm import narrative
from winloss.crm.backtest import backtest, out_of_sample
from winloss.crm.coherence import ContradictoryDraft
from winloss.crm.cohorts import CohortRules, score_accounts
from winloss.crm.current_icp import current_criteria, diff_icp, load_current_icp
from winloss.crm.evidence import Join, interview_evidence, join_interviews
from winloss.crm.followup import nurture, open_pipeline
from winloss.crm.groups import describe, split_groups
from winloss.crm.health import (
    best_vs_worst,
    critical_question,
    fit_value,
    icp_health,
    money,
    recent_losses,
)
from winloss.crm.icp import Criterion, IcpRules, assess, band, derive_criteria
from winloss.crm.load import CrmTables, account_key, load_accounts, load_deals
from winloss.crm.loss_types import TYPE_NAMES, classify_loss
from winloss.crm.segments import (
    Dimension,
    build_dimensions,
    raw_column,
    segment_table,
)
from winloss.crm.settings import CrmSettings
from winloss.models import Interview, Problem
from winloss.tables import TableError, TableSource, find_table

SEGMENT_COLUMNS = ["dimension", "value", "deals", "won", "lost", "win_rate", "p_win", "q_win", "accounts", "best",
                   "average", "problematic", "churned", "retained", "known", "retention", "p_best", "q_best"]


@dataclass
class CrmAnalysis:
    problems: list[Problem]
    notes: list[str] = field(default_factory=list)
    usable: bool = False
    deals: pd.DataFrame = field(default_factory=pd.DataFrame)  # every row of deals.csv plus score, band, loss type
    accounts: pd.DataFrame = field(default_factory=pd.DataFrame)  # won accounts: values, cohort, retention, score
    dims: list[Dimension] = field(default_factory=list)
    values: pd.DataFrame = field(default_factory=pd.DataFrame)  # closed deals' value on each dimension
    segments: pd.DataFrame = field(default_factory=pd.DataFrame)
    criteria: list[Criterion] = field(default_factory=list)
    rules: IcpRules = field(default_factory=IcpRules)
    backtest: dict = field(default_factory=dict)
    critical: dict = field(default_factory=dict)
    changes: list[dict] | None = None
    current_name: str = ""
    joins: list[Join] = field(default_factory=list)
    evidence: dict = field(default_factory=dict)
    statements: pd.DataFrame = field(default_factory=pd.DataFrame)  # the interview tables, for the report
    themes: pd.DataFrame = field(default_factory=pd.DataFrame)
    quotes: pd.DataFrame = field(default_factory=pd.DataFrame)
    sources: list[TableSource] = field(default_factory=list)  # how crm/deals and crm/accounts were read
    out_of_sample: dict = field(default_factory=dict)  # backtest.out_of_sample: fitted before the latest quarter
    health: list[dict] = field(default_factory=list)  # health.icp_health
    pressure: dict = field(default_factory=dict)  # recent losses, best vs worst 20 %, fit value
    money: dict = field(default_factory=dict)  # health.money: churned ARR, pipeline removed, contract value
    groups: dict = field(default_factory=dict)  # one ICP or two (groups.split_groups)

    @property
    def gated(self) -> bool:
        """Does the proposed ICP have a gate (a primary or negative firmographic / technographic criterion)?"""
        return any(c.gate for c in self.criteria)

    def loss_table(self) -> pd.DataFrame:
        lost = self.deals[(self.deals.get("excluded", pd.Series(dtype=str)) == "")
                          & (self.deals.get("outcome", pd.Series(dtype=str)) == "lost")] if self.usable else \
            pd.DataFrame()
        columns = ["deal_id", "account", "loss_type", "loss_type_name", "rule", "competitor", "loss_reason", "score",
                   "band"]
        if lost.empty:
            return pd.DataFrame(columns=columns)
        table = pd.DataFrame({
            "deal_id": lost["deal_id"], "account": lost["account_name"].where(lost["account_name"] != "",
                                                                              lost["account_id"]),
            "loss_type": lost["loss_type"].astype(int), "loss_type_name": lost["loss_type"].map(TYPE_NAMES),
            "rule": lost["loss_rule"], "competitor": lost["competitor"], "loss_reason": lost["loss_reason"],
            "score": lost["score"].astype(int), "band": lost["band"]})
        return table.sort_values("deal_id", kind="mergesort").reset_index(drop=True)

    def interview_fields(self) -> dict[str, dict[str, str]]:
        """For each interview joined to a deal: the deal's account name, competitor and loss type, as
        outputs/db.py stores them next to the interview's statements."""
        if not self.joins or self.deals.empty:
            return {}
        deals = self.deals.drop_duplicates("deal_id").set_index("deal_id")
        out = {}
        for join in self.joins:
            if not join.deal_id or join.deal_id not in deals.index:
                continue
            deal = deals.loc[join.deal_id]
            kind = deal.get("loss_type")
            known = isinstance(kind, (int, float)) and not math.isnan(kind)
            out[join.interview_id] = {"account": _text(deal.get("account_name")),
                                      "competitor": _text(deal.get("competitor")),
                                      "loss_type": TYPE_NAMES.get(int(kind), "") if known else ""}
        return out

    def write(self, out_dir: Path) -> None:
        """icp.json, loss_types.csv, segments.csv: sorted, fixed float formatting, byte-identical on rerun."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        self.loss_table().to_csv(out_dir / "loss_types.csv", index=False, lineterminator="\n")
        if self.usable:
            open_pipeline(self.deals).to_csv(out_dir / "open_pipeline.csv", index=False, lineterminator="\n")
            nurture(self.deals, self.gated).to_csv(out_dir / "nurture.csv", index=False, lineterminator="\n")
        seg = self.segments.reindex(columns=SEGMENT_COLUMNS).copy()
        for col in ("win_rate", "retention"):
            seg[col] = seg[col].map(lambda v: "" if pd.isna(v) else f"{v:.4f}")
        for col in ("p_win", "q_win", "p_best", "q_best"):
            seg[col] = seg[col].map(lambda v: "" if pd.isna(v) else f"{v:.4g}")
        seg.to_csv(out_dir / "segments.csv", index=False, lineterminator="\n")
        (out_dir / "icp.json").write_text(json.dumps(self.icp_record(), indent=2, ensure_ascii=False) + "\n",
                                          encoding="utf-8")

    def icp_record(self) -> dict:
        return _rounded({
            "usable": self.usable,
            "criteria": [{**{k: v for k, v in asdict(c).items() if k != "values"}, "values": list(c.values),
                          "share": c.share, "share_other": c.share_other,
                          "quotes": self.evidence.get("criterion_quotes", {}).get(c.label, [])}
                         for c in self.criteria],
            "scorecard": {"weights": {c.label: c.weight for c in self.criteria},
                          "bands": {"A": f">= {self.rules.band_a}",
                                    "B": f"{self.rules.band_b}-{self.rules.band_a - 1}",
                                    "C": f"< {self.rules.band_b}"}},
            "backtest": self.backtest, "backtest_out_of_sample": self.out_of_sample,
            "health": self.health, "pressure_tests": self.pressure, "money": self.money, "icp_groups": self.groups,
            "critical_question": self.critical,
            "summary": narrative.summary(self) if self.usable else "",
            "changes_from_current": self.changes, "problems": [str(p) for p in self.problems],
        })

    def context(self) -> dict:
        """Everything the ICP templates need, as plain data."""
        if not self.usable:
            return {"usable": False, "problems": [str(p) for p in self.problems], "notes": self.notes}
        return narrative.context(self)


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _rounded(value):
    if isinstance(value, float):  # four significant digits: shares stay readable, tiny p-values stay non-zero
        return None if math.isnan(value) else float(f"{value:.4g}")
    if isinstance(value, dict):
        return {str(k): _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


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
    for r in ok.itertuples():
        key = r.account_key if r.account_key in won_keys else by_name.get(account_key("", r.account_name), "")
        if not key:
            problems.append(Problem(f"accounts.csv row {r.row} ({r.account_id or r.account_name})",
                                    "no Closed Won deal for this account in deals.csv; its customer-success data "
                                    "is not used"))
        keys.append(key)
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
    scored_rows = deals[deals["excluded"].isin(["", "open"])]  # open deals are rescored, never fitted on
    dims, all_values, dim_notes = build_dimensions(scored_rows, tables.extras, settings.dimensions)
    notes += dim_notes
    values = all_values.loc[closed.index]
    won_accounts = _won_accounts(closed, values, accounts, cohort_rules, problems, notes)
    outcome = closed["outcome"]
    segments = segment_table(dims, values, outcome, won_accounts, won_accounts["cohort"],
                             won_accounts["retention_status"])
    try:
        criteria = derive_criteria(dims, won_accounts, won_accounts["cohort"], values, outcome, icp_rules)
    except ContradictoryDraft as exc:  # a bug in the rules, never shipped to leadership as a draft
        problems.append(Problem(str(deals_path), f"{exc}; no ICP draft written"))
        return CrmAnalysis(problems=problems, notes=notes, deals=deals)

    deals = deals.copy()
    scores, failures = assess(all_values, criteria)
    deals["score"] = scores.reindex(deals.index)
    deals["band"] = [band(int(x), icp_rules) if x == x else "" for x in deals["score"]]
    deals["fit"] = pd.Series(["; ".join(f) or "fit" for f in failures], index=all_values.index).reindex(
        deals.index, fill_value="")
    failed = dict(zip(all_values.index, failures))
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
    deals["loss_type"] = pd.Series([t for t, _ in typed], index=lost.index, dtype=float).reindex(deals.index)
    deals["loss_rule"] = pd.Series([r for _, r in typed], index=lost.index, dtype=object).reindex(
        deals.index, fill_value="")
    account_scores, account_failures = assess(won_accounts, criteria)
    won_accounts["score"] = account_scores
    won_accounts["fit"] = ["no" if f else "fit" for f in account_failures]
    closed = deals.loc[closed.index]
    tested = backtest(closed["score"].astype(int), closed["outcome"], won_accounts["score"], won_accounts["cohort"],
                      icp_rules, closed["amount"], closed["sales_cycle_days"])

    def fit_before(mask: pd.Series) -> list:
        """The same criteria rules on the deals of `mask` only (their won accounts' cohorts from accounts.csv)."""
        part = closed[mask]
        part_accounts = _won_accounts(part, values.loc[part.index], accounts, cohort_rules, [], [])
        return derive_criteria(dims, part_accounts, part_accounts["cohort"], values.loc[part.index],
                               part["outcome"], icp_rules)

    try:
        held_out = out_of_sample(closed, values, fit_before, icp_rules)
    except ContradictoryDraft as exc:
        held_out = {"holdout": "", "too_small": True, "reason": f"the criteria fitted before the holdout: {exc}"}
    analysis = CrmAnalysis(problems=problems, notes=notes, usable=True, deals=deals, accounts=won_accounts,
                           dims=dims, values=values, segments=segments, criteria=criteria, rules=icp_rules,
                           backtest=tested, sources=sources)
    analysis.out_of_sample = held_out
    analysis.critical = critical_question(closed, won_accounts, loss_rules)
    current, message = load_current_icp(study_dir)
    if message:
        where, _, why = message.partition(": ")
        problems.append(Problem(str(study_dir / where), why))
    converted = None
    if current is not None:
        converted, messages = current_criteria(current, dims)
        notes += messages
        analysis.changes = diff_icp(converted, criteria)
        analysis.current_name = str(current.get("name", "current ICP"))
    since = date.fromisoformat(held_out["holdout_start"]) if held_out.get("holdout_start") else None
    analysis.health = icp_health(closed, won_accounts)
    analysis.pressure = {"recent_losses": recent_losses(closed, values, converted, since),
                         "best_vs_worst": best_vs_worst(won_accounts, [d for d in dims
                                                                       if d.key not in icp_rules.exclude]),
                         "fit_value": fit_value(closed, won_accounts)}
    analysis.money = money(deals, all_values, won_accounts, criteria)
    analysis.groups = icp_groups(dims, won_accounts, values, outcome, icp_rules)
    analysis.joins, join_problems = join_interviews(interviews, deals)
    problems += join_problems
    status = dict(zip(won_accounts["account_key"], won_accounts["retention_status"]))
    key_of = dict(zip(deals["deal_id"], deals["account_key"]))
    for j in analysis.joins:
        known = status.get(key_of.get(j.deal_id, ""), "") if j.cohort == "churned" else ""
        if known and known != "churned":
            notes.append(f"{j.interview_id} is a churn interview but accounts.csv says the account is {known}")
    analysis.statements, analysis.themes, analysis.quotes = statements, themes, quotes
    analysis.evidence = interview_evidence(analysis, statements, themes, quotes)
    return analysis


def icp_groups(dims: list[Dimension], won_accounts: pd.DataFrame, values: pd.DataFrame, outcome: pd.Series,
               rules: IcpRules) -> dict:
    """Two ICPs where best customers form two separate groups on a numeric gate dimension (groups.py)."""
    cohort = won_accounts["cohort"]
    if (cohort == "best").sum() >= rules.min_best and (cohort == "problematic").sum() >= rules.min_problematic:
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
