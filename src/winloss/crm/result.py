"""What the CRM stage found, as one frozen record: the analysis builds it once, the narrative renders it, the files
module writes it, and winloss.db asks it for the fields it stores."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from winloss.crm.evidence import Join
from winloss.crm.icp import Criterion, IcpRules, compares_customers
from winloss.crm.segments import Dimension
from winloss.crm.settings import LossRules, type_names
from winloss.models import Problem
from winloss.tables import TableSource


@dataclass(frozen=True)
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
    loss_rules: LossRules = field(default_factory=LossRules)  # the keywords the losses were typed by
    backtest: dict = field(default_factory=dict)
    critical: dict = field(default_factory=dict)
    changes: list[dict] | None = None
    current_name: str = ""
    joins: list[Join] = field(default_factory=list)
    evidence: dict = field(default_factory=dict)  # crm.evidence.interview_evidence: themes by loss type ...
    sources: list[TableSource] = field(default_factory=list)  # how crm/deals and crm/accounts were read
    out_of_sample: dict = field(default_factory=dict)  # backtest.out_of_sample: fitted before the latest quarter
    health: list[dict] = field(default_factory=list)  # health.icp_health
    pressure: dict = field(default_factory=dict)  # recent losses, best vs worst 20 %, fit value
    money: dict = field(default_factory=dict)  # health.money: churned ARR, pipeline removed, contract value
    groups: dict = field(default_factory=dict)  # one ICP or two (groups.split_groups)
    fit_tested: bool = True  # False: the gate is within chance (health.unproven_gate), so no loss is typed by it
    as_of: str = ""  # ISO day re-contact dates are judged against (CrmSettings.as_of, else the data's latest date)
    has_accounts: bool = False  # a usable crm/accounts.csv was read: what the draft lacks is then a column, not a file

    @property
    def untested(self) -> str:
        """Why no deal's fit is known ('' when it is): the ICP has no gate, or its gate is within chance."""
        return "no gate" if not self.gated else "" if self.fit_tested else "the gate is within chance"

    @property
    def gated(self) -> bool:
        """Does the proposed ICP have a gate (a primary or negative firmographic / technographic criterion)?"""
        return any(c.gate for c in self.criteria)

    @property
    def churned(self) -> pd.DataFrame:
        """Won accounts known to have churned: accounts.csv says so, or their interview is a churn interview."""
        told = self.accounts.get("churned_interview", False)
        return self.accounts[(self.accounts["retention_status"] == "churned") | told] if len(self.accounts) else \
            self.accounts

    @property
    def kept(self) -> tuple[pd.DataFrame, str]:
        """What churned accounts are compared with, and its name: the won accounts known to be retained, or, with no
        retention data, the won accounts no one says churned. A share of churners is no finding until the kept
        accounts' share sits beside it."""
        if not len(self.accounts):
            return self.accounts, "retained"
        rest = self.accounts.drop(self.churned.index)
        known = rest[rest["retention_status"] != ""]  # active, expanded or contracted: still a customer
        return (known, "retained") if len(known) else (rest, "other won")

    @property
    def competitor_names(self) -> frozenset[str]:
        """Every competitor the deals name (the CRM's, and those read from interviews where it named none)."""
        if "competitor" not in self.deals:
            return frozenset()
        return frozenset(c for c in self.deals["competitor"].astype(str).str.strip() if c)

    def outside_gate(self) -> tuple[int, int] | None:
        """(churned accounts, kept accounts) that fail the new ICP's gate, where it has one whose fit is tested;
        else None. The gate as a whole: a churner may fail several disqualifiers, or only a primary criterion."""
        churned, (kept, _) = self.churned, self.kept
        if not self.gated or self.untested or "fit" not in churned:
            return None
        return int((churned["fit"] != "fit").sum()), int((kept["fit"] != "fit").sum())

    @property
    def closed(self) -> pd.DataFrame:
        """The closed deals the analysis used (not excluded, not open)."""
        return self.deals[self.deals["excluded"] == ""]

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
            "loss_type": lost["loss_type"].astype(int), "loss_type_name": lost["loss_type"].map(type_names(self.untested)),
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
                                      "loss_type": type_names(self.untested).get(int(kind), "") if known else ""}
        return out


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def to_rivals(lost: pd.DataFrame) -> pd.DataFrame:
    """The losses a competitor took: a competitor recorded, and not typed no decision. A Type 3 deal went to
    nobody, whatever rival it evaluated ("No decision", Competitor ADPro: it stayed with what it had), as the
    critical question counts it (health.critical_question)."""
    named = lost["competitor"].astype(str).str.strip() != ""
    return lost[named & (lost["loss_type"] != 3)] if "loss_type" in lost else lost[named]


def compared(a: CrmAnalysis) -> dict[str, str]:
    """The groups the criteria were found by comparing: best against problematic customers, or, without
    customer-success data, won against lost deals (the definitions must not speak of best customers then)."""
    groups = {(c.group, c.other) for c in a.criteria if c.basis == "customers"}
    if len(groups) == 1:
        group, other = groups.pop()
        if not group.startswith("best"):
            return {"group": group.split(" (")[0], "other": other.split(" (")[0]}
    elif not a.criteria:  # nothing was found: say what was compared (icp.derive_criteria's rule)
        cohort = a.accounts["cohort"] if "cohort" in a.accounts else pd.Series(dtype=str)
        if not compares_customers(cohort, a.rules):
            return {"group": "won deals", "other": "lost deals"}
    return {"group": "best customers", "other": "problematic ones"}
