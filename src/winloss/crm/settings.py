"""The [crm] section of winloss.toml: column mapping, stage names and the rules of cohorts, ICP and loss types.

Pure records, validated with the rest of the settings before any work (winloss.settings); the analysis modules
read their thresholds from here. docs/crm.md explains every rule.
"""
from __future__ import annotations

from dataclasses import field
from datetime import date
from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict
from pydantic.dataclasses import dataclass

SECTION = ConfigDict(extra="forbid", strict=True)
TYPE_NAMES = {1: "Type 1: wrong fit", 2: "Type 2: right fit, lost to a competitor",
              3: "Type 3: right fit, no decision"}


def type_names(untested: str = "") -> dict[int, str]:
    """The loss types' names; `untested`: why no deal was tested for fit ("no gate", or a gate within chance), so
    none is called right fit ("their fit is unknown" in the same report)."""
    if not untested:
        return TYPE_NAMES
    return {1: "Type 1: wrong fit", 2: f"Type 2: lost to a competitor (fit not tested: {untested})",
            3: f"Type 3: no decision (fit not tested: {untested})"}


WRONG_FIT = ("not a fit", "no fit", "poor fit", "bad fit", "wrong fit", "too small", "too big", "not qualified",
             "disqualified", "no need", "no use case", "not a priority use case", "out of scope",
             "unsupported crm", "wrong crm", "not on salesforce")
COMPETITOR = ("competitor", "went with", "chose", "selected", "lost to", "signed with", "switched to",
              "picked", "bought")
NO_DECISION = ("no decision", "budget", "freeze", "frozen", "timing", "postponed", "delayed", "on hold",
               "went dark", "ghosted", "stalled", "status quo", "do nothing", "did nothing", "reorg", "re-org",
               "priorities", "not now", "next year", "champion left", "layoffs", "acquired")


def _words(value):
    """TOML has lists, the rules keep tuples; keywords match lower case."""
    return tuple(str(v).lower() for v in value) if isinstance(value, list) else value


def _names(value):
    return tuple(value) if isinstance(value, list) else value


def _day(value):
    """TOML writes a date bare (as_of = 2026-12-01) or quoted ("2026-12-01"): both are one day."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a date: write it as YYYY-MM-DD") from None
    return value


Keywords = Annotated[tuple[str, ...], BeforeValidator(_words)]
Names = Annotated[tuple[str, ...], BeforeValidator(_names)]
# The seeds' four dimensions of an ICP criterion (crm/segments.py KINDS).
Kind = Literal["firmographic", "technographic", "behavioural", "relationship"]
Kinds = Annotated[tuple[Kind, ...], BeforeValidator(_names)]
Day = Annotated[date | None, BeforeValidator(_day)]


@dataclass(frozen=True, config=SECTION)
class CohortRules:
    """[crm.cohorts]: the composite score of won accounts (crm/cohorts.py)."""

    retention_points: dict[str, int] = field(default_factory=lambda: {"expanded": 2, "active": 1,
                                                                      "contracted": -1, "churned": -3})
    promoter_nps: float = 9
    detractor_nps: float = 6
    fast_ttv_days: float = 30
    slow_ttv_days: float = 90
    heavy_tickets: float = 5
    best_min: int = 3
    problematic_max: int = -1


@dataclass(frozen=True, config=SECTION)
class IcpRules:
    """[crm.icp]: when an attribute becomes a criterion, and the scorecard's bands (crm/icp.py)."""

    primary_min_share: float = 0.8  # present in nearly all best customers ...
    primary_max_other: float = 0.5  # ... and absent in most problematic ones
    secondary_min_share: float = 0.5
    secondary_min_gap: float = 0.25
    negative_max_share: float = 0.1  # rare among best customers ...
    negative_min_other: float = 0.3  # ... common among problematic ones
    negative_min_deals: int = 5  # or: at least this many closed deals ...
    negative_max_win_ratio: float = 0.5  # ... winning at most half the overall win rate
    # 100 - 50 < band_b: a deal that fails the gate on a disqualifier can never score "pursue" or "qualify".
    negative_points: int = 50
    ranking_negative_max: int = 25  # a disqualifier outside the gate lowers the score by at most this much
    range_min_support: int = 3  # observations on each side of a numeric cut point (crm/ranges.py)
    # a band of at least this many closed deals just outside a range, winning at or above the overall rate, keeps
    # the range out of the gate (it would turn away deals we win); fewer can be chance beside the customers' edge
    ungate_min_deals: int = 10
    min_best: int = 3  # fewer best or problematic customers than this: compare won with lost deals instead
    min_problematic: int = 2
    band_a: int = 70
    band_b: int = 55
    # The kinds of dimension whose primary and negative criteria form the gate (size, industry, stack).
    gate: Kinds = ("firmographic", "technographic")
    # Deal attributes describe the deal, not the customer: shown as segments, never used as ICP criteria.
    exclude: Names = ("amount", "sales_cycle_days")


@dataclass(frozen=True, config=SECTION)
class LossRules:
    """[crm.loss_types]: keyword lists and per-deal overrides (crm/loss_types.py)."""

    wrong_fit: Keywords = WRONG_FIT
    competitor: Keywords = COMPETITOR
    no_decision: Keywords = NO_DECISION
    overrides: dict[str, Literal[1, 2, 3]] = field(default_factory=dict)  # deal id -> loss type


@dataclass(frozen=True, config=SECTION)
class StageNames:
    """[crm.stages]: stage names beyond Salesforce's and HubSpot's, per outcome."""

    won: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    open: list[str] = field(default_factory=list)


@dataclass(frozen=True, config=SECTION)
class SheetNames:
    """[crm] sheet = { deals = "..", accounts = ".." }: the sheet of each CRM workbook (.xlsx)."""

    deals: str = ""
    accounts: str = ""


@dataclass(frozen=True, config=SECTION)
class CrmSettings:
    columns: dict[str, str] = field(default_factory=dict)  # canonical field -> the export's column
    # competitors the export names in stages, loss reasons or notes but not (always) in a Competitor column; the
    # stance reads them too ("OpsGenius's app is nicer" is against us)
    competitors: list[str] = field(default_factory=list)
    account_columns: dict[str, str] = field(default_factory=dict)
    stages: StageNames = field(default_factory=StageNames)
    date_order: Literal["mdy", "dmy"] = "mdy"  # for date columns whose values cannot tell
    cohorts: CohortRules = field(default_factory=CohortRules)
    icp: IcpRules = field(default_factory=IcpRules)
    loss_types: LossRules = field(default_factory=LossRules)
    sheet: str | SheetNames = ""  # the sheet of every CRM .xlsx, or one per table; "": the first worksheet
    dimensions: dict[str, Kind] = field(default_factory=dict)  # column (field or header) -> its kind
    # the day re-contact dates are judged against ("passed": call now); None: the latest date in the data (close
    # dates and interview dates), so a rerun next month writes the same draft
    as_of: Day = None
