"""Recognise the columns of Salesforce and HubSpot exports, with winloss.toml overriding any mapping.

Headers are compared after normalisation (camelCase split, case folded, punctuation to spaces), so the report
label "Number of Employees", the API name "NumberOfEmployees" and "number_of_employees" are the same column, and
Pipedrive's entity prefix ("Deal - Value") is dropped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# canonical field -> recognised headers (normalised), most specific first: the first header present wins.
DEAL_FIELDS: dict[str, tuple[str, ...]] = {
    "deal_id": ("opportunity id", "deal id", "opportunity 18 digit id", "opp id", "record id", "hs object id", "id"),
    "deal_name": ("opportunity name", "deal name", "dealname", "opp name", "name", "title", "deal title"),
    "account_id": ("account id", "associated company id", "associated company ids", "company id",
                   "account 18 digit id", "associated company ids primary"),
    "account_name": ("account name", "company name", "associated company", "associated company primary", "company",
                     "account", "organization", "organization name", "org name", "lead name"),
    # Pipedrive and Close keep won / lost in a status beside the pipeline stage: load.stage_column picks by values.
    "stage": ("stage", "stage name", "deal stage", "dealstage", "opportunity stage", "status", "deal status",
              "status type", "opportunity status"),
    "close_date": ("close date", "closedate", "closed date", "date closed", "deal closed on", "closed on",
                   "close time"),
    "created_date": ("created date", "create date", "createdate", "opportunity created date", "created",
                     "deal created", "add time", "date created", "created at", "engage date"),
    "amount": ("amount", "deal amount", "amount in company currency", "amount in home currency", "acv",
               "total contract value", "value formatted", "value", "deal value",  # Close: value is in cents
               # Maven's CRM dataset; Dynamics 365's estimated revenue is the opportunity's amount
               "close value", "estimated value", "est revenue", "estimated revenue", "opportunity amount"),
    "loss_reason": ("loss reason", "closed lost reason", "lost reason", "reason lost", "closed lost reason c"),
    "win_reason": ("win reason", "closed won reason"),
    "competitor": ("competitor", "competitors", "primary competitor", "main competitor", "lost to",
                   "lost to competitor"),
    "loss_notes": ("loss notes", "closed lost notes", "lost notes", "loss details", "loss description"),
    "industry": ("industry", "account industry", "vertical", "sector"),
    "employees": ("employees", "number of employees", "numberofemployees", "employee count", "headcount",
                  "company size"),
    "annual_revenue": ("annual revenue", "annualrevenue", "revenue", "company revenue"),
    "country": ("billing country", "country", "country region", "billing country code", "hq country"),
    "lead_source": ("lead source", "leadsource", "original source", "original source type", "source"),
    "crm_platform": ("crm platform", "crm", "crm system", "current crm"),
    # Salesforce's opportunity "Age" is its days open: created to close, once closed
    "sales_cycle_days": ("sales cycle days", "sales cycle", "days to close", "sales cycle length days",
                         "sales cycle length", "age", "opportunity age", "age days"),
    "owner": ("opportunity owner", "deal owner", "owner", "sales rep", "account executive", "owner name",
              "user name"),
    # Salesforce's Opportunity Type ("New Customer", "Existing Customer - Upgrade"), HubSpot's deal type
    # ("newbusiness", "existingbusiness"): an upsell or renewal is no new customer's decision
    "deal_type": ("type", "opportunity type", "deal type", "dealtype", "business type"),
}

# Columns that restate a deal's outcome, so would pass for a perfect ICP criterion: the forecast's probability
# (100 % when won), Salesforce's forecast category (Closed / Omitted), HubSpot's and Close's won flags and labels.
OUTCOME_ECHOES = ("probability", "probability %", "deal probability", "win probability", "confidence",
                  "forecast category", "forecast category name", "forecast", "is won", "is closed", "closed", "won",
                  "is closed won", "hs is closed won", "hs is closed", "status label", "deal stage probability",
                  # Salesforce's expected revenue is the amount times the probability: the amount once won, 0 lost
                  "expected revenue", "expected amount", "weighted amount", "weighted value")

# Columns of when, not who: a deal's quarter or last activity is no trait of a customer.
TIME_COLUMNS = ("fiscal period", "fiscal quarter", "fiscal year", "close month", "close quarter", "close year",
                "last activity", "last activity date", "last modified date", "last modified", "expected close date")

# Without a close date column, a deal closed when it was won or lost (Pipedrive's won / lost time, Close's
# date_won / date_lost): the first of these a row fills.
CLOSE_DATE_PARTS = ("won time", "lost time", "date won", "date lost")

ACCOUNT_FIELDS: dict[str, tuple[str, ...]] = {
    "account_id": ("account id", "company id", "account 18 digit id", "record id", "id"),
    "account_name": ("account name", "company name", "company", "account", "organization", "name"),
    "retention_status": ("retention status", "customer status", "renewal status", "status", "lifecycle status"),
    "starting_arr": ("starting arr", "start arr", "initial arr", "arr at signing", "original arr"),
    "current_arr": ("current arr", "arr", "latest arr"),
    "nps": ("nps", "nps score", "latest nps", "net promoter score"),
    "days_to_first_value": ("days to first value", "time to first value days", "time to value days",
                            "ttv days", "days to value", "time to first value"),
    "support_tickets_per_month": ("support tickets per month", "tickets per month", "monthly support tickets",
                                  "support tickets month", "avg support tickets per month"),
}


_ENTITY_PREFIX = re.compile(r"^\s*(?:deal|opportunity)\s+-\s+", re.IGNORECASE)  # Pipedrive: "Deal - Status"


def normalise_header(name: str) -> str:
    """'NumberOfEmployees', 'Number of Employees' and 'number_of_employees' all become 'number of employees';
    'Deal - Lost reason' becomes 'lost reason'."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", _ENTITY_PREFIX.sub("", name.strip()))
    return re.sub(r"[^a-z0-9]+", " ", spaced.lower()).strip()


@dataclass(frozen=True)
class ColumnMap:
    fields: dict[str, str]  # canonical field -> header as it appears in the file
    extras: tuple[str, ...]  # headers not recognised: kept as candidate dimensions


def resolve_columns(headers: list[str], known: dict[str, tuple[str, ...]],
                    overrides: dict[str, str] | None = None) -> tuple[ColumnMap, list[str]]:
    """Map file headers to canonical fields. Returns the map and error messages for overrides that name no column."""
    errors: list[str] = []
    by_norm: dict[str, str] = {}
    for header in headers:
        by_norm.setdefault(normalise_header(header), header)
    fields: dict[str, str] = {}
    for field, wanted in (overrides or {}).items():
        if field not in known:
            errors.append(f"[crm.columns] {field} is not a known field (known: {', '.join(sorted(known))})")
        elif normalise_header(wanted) in by_norm:
            fields[field] = by_norm[normalise_header(wanted)]
        else:
            errors.append(f"[crm.columns] {field} = {wanted!r}: no such column (columns: {', '.join(headers)})")
    taken = set(fields.values())
    for field, aliases in known.items():
        if field in fields:
            continue
        for alias in aliases:
            header = by_norm.get(alias)
            if header is not None and header not in taken:
                fields[field] = header
                taken.add(header)
                break
    extras = tuple(h for h in headers if h not in taken)
    return ColumnMap(fields=fields, extras=extras), errors
