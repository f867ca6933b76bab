"""Read STUDY/crm/deals and accounts (.csv, .tsv, .txt or .xlsx, see winloss.tables) into canonical tables. Every row is kept: a row that cannot be used is
marked `excluded` with the reason and reported as a Problem, never dropped."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path

import pandas as pd

from winloss.crm.after_outcome import after_outcome, note
from winloss.crm.columns import (
    ACCOUNT_FIELDS,
    CLOSE_DATE_PARTS,
    DEAL_FIELDS,
    OUTCOME_ECHOES,
    TIME_COLUMNS,
    ColumnMap,
    normalise_header,
    resolve_columns,
)
from winloss.crm.parse import (
    classify_stage,
    day_first,
    named_competitor,
    parse_date,
    parse_employees,
    parse_number,
    plain_number,
    stage_reason,
)
from winloss.crm.segments import CATEGORICAL, NUMERIC
from winloss.crm.settings import CrmSettings
from winloss.models import Problem
from winloss.tables import Table, TableError, TableSource, read_table

DEAL_TEXT = ("deal_name", "account_name", "loss_reason", "win_reason", "competitor", "loss_notes", "industry",
             "country", "lead_source", "crm_platform", "owner", "deal_type")
# A deal with a customer we already have (an upgrade, a renewal, a cross-sell): it is won or lost on the account's
# history with us, so it is left out of win rates, criteria and the nurture list, which are about new customers.
EXISTING_BUSINESS = re.compile(r"\b(?:existing|upgrade|upsell|up-sell|expansion|renewal|cross[- ]?sell|add[- ]?on|"
                               r"downgrade|replacement)|existingbusiness", re.IGNORECASE)
EXISTING = "existing customer"
# Without a Type column, a deal's name is the rep's only word on it: "Acme - Renewal", "Initech Upsell 2024".
EXISTING_NAME = re.compile(r"(?<![\w-])(renewal|upsell|up-sell|cross[- ]?sell)s?(?![\w-])"
                           # a project's "Warehouse Expansion" or "Tech Innovators Upgrade" may be new business:
                           # those words count only as the name's tag, after a dash or in brackets
                           r"|(?:\s[-–—|:/]\s*|\()(expansion|upgrade|add[- ]on)s?(?![\w-])", re.IGNORECASE)
DEAL_NUMBERS = ("amount", "annual_revenue", "sales_cycle_days")
ACCOUNT_NUMBERS = ("starting_arr", "current_arr", "nps", "days_to_first_value", "support_tickets_per_month")
RETENTION = {"active": "active", "retained": "active", "renewed": "active", "live": "active", "healthy": "active",
             "expanded": "expanded", "expansion": "expanded", "upsell": "expanded", "grew": "expanded",
             "contracted": "contracted", "contraction": "contracted", "downgraded": "contracted",
             "downsell": "contracted", "churned": "churned", "churn": "churned", "cancelled": "churned",
             "canceled": "churned", "lost": "churned", "terminated": "churned"}


@dataclass
class CrmTables:
    deals: pd.DataFrame  # one row per data row of deals.csv; `excluded` says why a row is left out of the analysis
    accounts: pd.DataFrame | None  # one row per data row of accounts.csv, same convention
    extras: list[str] = field(default_factory=list)  # unrecognised deal columns, kept as candidate dimensions
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    usable: bool = True
    sources: list[TableSource] = field(default_factory=list)  # how each file was read, for run.json
    headers: list[str] = field(default_factory=list)  # deals.csv's header row as written
    restated: list[str] = field(default_factory=list)  # deal fields filled once won: never a dimension (after_outcome)


def account_key(account_id: str, name: str) -> str:
    """Accounts join on their id when there is one, else on the case- and punctuation-folded name."""
    if account_id.strip():
        return "id:" + account_id.strip()
    folded = re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()
    return "name:" + folded if folded else ""


def _read(path: Path, known: dict, overrides: dict | None, sheet: str | None, notes: list[str]) -> Table:
    """The export as a table of text: the header is the row naming the most known columns, so report title rows
    above it are skipped. Raises TableError when the file is no table."""
    names = {alias for aliases in known.values() for alias in aliases}
    names |= {normalise_header(v) for v in (overrides or {}).values() if isinstance(v, str)}
    table = read_table(path, lambda cells: sum(normalise_header(c) in names for c in cells), sheet)
    source = table.source
    # Excel on Windows saves CSV as Windows-1252: run.json records it like any dialect. Any other legacy code page
    # is charset-normalizer's guess, which can be wrong, so the draft says so.
    if source.format == "csv" and not source.encoding.startswith("utf") and source.encoding != "cp1252":
        notes.append(f"{path.name} is not UTF-8; read as {source.encoding} (a guess: check names and accents)")
    return table


def sheet_for(settings: CrmSettings, role: str) -> str | None:
    """[crm] sheet = "Report" names the sheet of every CRM workbook; sheet = {deals = "..", accounts = ".."} each."""
    sheet = settings.sheet if isinstance(settings.sheet, str) else getattr(settings.sheet, role)
    return sheet or None


def _columns(header: list[str], known: dict, overrides: dict | None, path: Path,
             problems: list[Problem]) -> ColumnMap:
    colmap, errors = resolve_columns(header, known, overrides)
    problems.extend(Problem(where=str(path), message=e) for e in errors)
    return colmap


def _stage_column(colmap: ColumnMap, header: list[str], rows: list, settings: CrmSettings) -> ColumnMap:
    """Of several stage-like columns, the one whose values say won or lost most often: Pipedrive writes the pipeline
    stage a deal reached ('Proposal Made') beside its Status (Won / Lost / Open), Close its status_type."""
    stage_names = DEAL_FIELDS["stage"]
    candidates = [h for h in header if normalise_header(h) in stage_names
                  and h not in {v for f, v in colmap.fields.items() if f != "stage"}]
    if len(candidates) < 2:
        return colmap
    sample = [r for _, r in rows[:500]]

    def closed(h: str) -> int:
        i = header.index(h)
        return sum(classify_stage(r[i], settings.stages) in ("won", "lost") for r in sample)

    current = colmap.fields["stage"]
    best = max(candidates, key=lambda h: (closed(h), h == current))
    if best == current:
        return colmap
    extras = tuple(current if h == best else h for h in colmap.extras)
    return ColumnMap(fields={**colmap.fields, "stage": best}, extras=extras)


def _close_date_parts(colmap: ColumnMap, header: list[str]) -> tuple[ColumnMap, list[str]]:
    """No close date column: the won and lost dates, as Pipedrive and Close write them, make one."""
    if "close_date" in colmap.fields:
        return colmap, []
    parts = [h for h in colmap.extras if normalise_header(h) in CLOSE_DATE_PARTS]
    if not parts:
        return colmap, []
    return ColumnMap(fields={**colmap.fields, "close_date": " / ".join(parts)},
                     extras=tuple(h for h in colmap.extras if h not in parts)), parts


# HubSpot's "Created by user ID", "Deal Collaborator": who worked the deal, never whom we should sell to.
OUR_SIDE = re.compile(r"\b(?:user id|users?|owners?|collaborators?|created by|updated by|modified by|assigned to)\b")
_DATE_LIKE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[ T].*)?|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}(?: .*)?")


def _misleading(h: str, values: list[str], colmap: ColumnMap, stages) -> str:
    """Why an extra column would mislead as an ICP dimension, or '' when it would not."""
    key = normalise_header(h)
    field = next((f for f, aliases in DEAL_FIELDS.items() if key in aliases), None)
    if field == "stage" and "stage" in key:  # Pipedrive's pipeline stage: won deals all sit in the last one
        return "is a second stage column (where a deal stopped in the pipeline restates won or lost)"
    if field in colmap.fields and field != "stage":
        return f"repeats {field.replace('_', ' ')} ({colmap.fields[field]!r} is used)"
    if key in OUTCOME_ECHOES or (values and sum(classify_stage(v, stages) in ("won", "lost") for v in values)
                                  >= 0.5 * len(values)):
        return "restates won or lost"
    if OUR_SIDE.search(key):
        return "names someone on our side (a user or an owner), no trait of a customer"
    if key in TIME_COLUMNS or holds_dates(values):
        return "holds dates or periods, no trait of a customer"
    return ""


def holds_dates(values: list[str]) -> bool:
    """Are nine in ten of a column's filled cells dates? A date is when, never a trait of a customer."""
    return bool(values) and sum(bool(_DATE_LIKE.fullmatch(v)) for v in values) >= 0.9 * len(values)


def _drop_misleading_extras(colmap: ColumnMap, header: list[str], rows: list, settings: CrmSettings,
                            notes: list[str]) -> ColumnMap:
    """Extra columns become candidate ICP dimensions; one that restates the outcome or another field, or holds
    dates, would pass for a criterion, so it is named in the confidence notes instead."""
    drop = {}
    for h in colmap.extras:
        i = header.index(h)
        why = _misleading(h, [r[i] for _, r in rows[:500] if r[i]], colmap, settings.stages)
        if why:
            drop[h] = why
    notes.extend(f"column {h!r} {why}; not used as a dimension" for h, why in drop.items())
    return ColumnMap(fields=colmap.fields, extras=tuple(h for h in colmap.extras if h not in drop)) if drop else colmap


def _where(path: Path, row: int, ident: str = "") -> str:
    return f"{path.name} row {row}" + (f" ({ident})" if ident else "")


def load_deals(path: Path, settings: CrmSettings) -> CrmTables:
    notes: list[str] = []
    try:
        table = _read(path, DEAL_FIELDS, settings.columns, sheet_for(settings, "deals"), notes)
    except TableError as exc:
        return CrmTables(pd.DataFrame(), None, [], [Problem(str(path), str(exc).removeprefix(f"{path}: "))], notes,
                         False)
    problems: list[Problem] = list(table.problems)
    header, rows, comma = table.header, table.rows, table.source.decimal_comma
    if not header:
        return CrmTables(pd.DataFrame(), None, [], [Problem(str(path), "empty file: no header row")], notes, False,
                         [table.source])
    colmap = _columns(header, DEAL_FIELDS, settings.columns, path, problems)
    if "stage" not in (settings.columns or {}):
        colmap = _stage_column(colmap, header, rows, settings)
    colmap, close_parts = _close_date_parts(colmap, header)
    colmap = _drop_misleading_extras(colmap, header, rows, settings, notes)
    cols = colmap.fields
    if "stage" not in cols:
        problems.append(Problem(str(path), "no Stage column (looked for Stage, Deal Stage, StageName); name yours in "
                                           "winloss.toml: [crm.columns] stage = \"Your Column\""))
        return CrmTables(pd.DataFrame(), None, list(colmap.extras), problems, notes, False, [table.source])
    if "deal_id" not in cols:
        problems.append(Problem(str(path), "no deal id column (Opportunity ID, Deal ID, Record ID); rows are "
                                           "identified as row-N, so interviews cannot join by deal_id"))
    idx = {h: i for i, h in enumerate(header)}
    get = {f: (lambda r, i=idx[h]: r[i]) for f, h in cols.items() if h in idx}  # rows come stripped and padded
    if close_parts:
        get["close_date"] = lambda r, at=[idx[h] for h in close_parts]: next((r[i] for i in at if r[i]), "")
    dates_first = {f: day_first([get[f](r) for _, r in rows], settings.date_order == "dmy")
                   for f in ("close_date", "created_date") if f in cols}
    # Exports repeat a handful of stages and a few hundred dates: each distinct value is parsed once.
    outcome_of = cache(partial(classify_stage, extra=settings.stages))
    date_of = {f: cache(partial(parse_date, dayfirst=first)) for f, first in dates_first.items()}
    records = []
    seen: dict[str, int] = {}
    unknown: dict[str, list[str]] = {}  # stage -> the rows that have it: one problem per stage, not per row
    for n, r in rows:
        if len(r) > len(header):
            problems.append(Problem(_where(path, n), f"{len(r)} cells but {len(header)} columns; extra cells ignored"))
        rec: dict = {"row": n, "excluded": ""}
        rec["deal_id"] = get["deal_id"](r) if "deal_id" in cols else ""
        if not rec["deal_id"]:
            if "deal_id" in cols:
                problems.append(Problem(_where(path, n), f"empty deal id; kept as row-{n}"))
            rec["deal_id"] = f"row-{n}"
        where = _where(path, n, rec["deal_id"])
        for f in DEAL_TEXT:
            rec[f] = get[f](r) if f in cols else ""
        rec["account_id"] = get["account_id"](r) if "account_id" in cols else ""
        rec["account_key"] = account_key(rec["account_id"], rec["account_name"]) or "deal:" + rec["deal_id"]
        rec["stage"] = get["stage"](r)
        rec["outcome"] = outcome_of(rec["stage"]) if rec["stage"] else "unknown"
        if rec["outcome"] == "lost" and not rec["loss_reason"]:
            rec["loss_reason"] = stage_reason(rec["stage"])  # 'Closed Lost - No Budget' says why
        if not rec["stage"]:
            problems.append(Problem(where, "empty Stage; row left out of the analysis"))
            rec["excluded"] = "no stage"
        elif rec["outcome"] == "unknown":
            unknown.setdefault(rec["stage"], []).append(where)
            rec["excluded"] = "unknown stage"
        elif rec["deal_type"] and EXISTING_BUSINESS.search(rec["deal_type"]):
            rec["excluded"] = EXISTING
        elif "deal_type" not in cols and (said := EXISTING_NAME.search(rec["deal_name"])):
            rec["excluded"], rec["deal_type"] = EXISTING, (said.group(1) or said.group(2)).capitalize()
        elif rec["outcome"] == "open":
            rec["excluded"] = "open"
        if rec["deal_id"] in seen:
            problems.append(Problem(where, f"duplicate deal id {rec['deal_id']} (first on row {seen[rec['deal_id']]}); "
                                           "this row is left out"))
            rec["excluded"] = rec["excluded"] or "duplicate id"
        else:
            seen[rec["deal_id"]] = n
        for f in ("close_date", "created_date"):
            rec[f] = None
            if f in cols:
                try:
                    rec[f] = date_of[f](get[f](r))
                except ValueError as exc:
                    problems.append(Problem(where, f"{cols[f]}: {exc}; counted as unknown"))
        rec["employees"] = math.nan
        if "employees" in cols:
            try:
                value = parse_employees(get["employees"](r), comma)
                rec["employees"] = math.nan if value is None else value
            except ValueError:
                problems.append(Problem(where, f"{cols['employees']} {get['employees'](r)!r} is not a number; "
                                               "counted as unknown"))
        for f in DEAL_NUMBERS:
            rec[f] = math.nan
            if f in cols:
                try:
                    value = parse_number(get[f](r), comma)
                    rec[f] = math.nan if value is None else value
                except ValueError:
                    problems.append(Problem(where, f"{cols[f]} {get[f](r)!r} is not a number; counted as unknown"))
        if math.isnan(rec["sales_cycle_days"]) and rec["close_date"] and rec["created_date"]:
            rec["sales_cycle_days"] = float((rec["close_date"] - rec["created_date"]).days)
        for h in colmap.extras:
            rec["x:" + h] = plain_number(r[idx[h]]) if comma else r[idx[h]]
        records.append(rec)
    for stage, wheres in unknown.items():
        rows_said = wheres[0] if len(wheres) == 1 else \
            f"{', '.join(wheres[:3])}{' ...' if len(wheres) > 3 else ''} ({len(wheres)} rows)"
        problems.append(Problem(rows_said, f"unknown stage {stage!r} (not Closed Won / Closed Lost or an open stage); "
                                           f"{'row' if len(wheres) == 1 else 'rows'} left out; map it with "
                                           "[crm.stages] won/lost/open"))
    deals = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    if deals.empty:
        problems.append(Problem(str(path), "no data rows"))
        return CrmTables(deals, None, list(colmap.extras), problems, notes, False, [table.source])
    filled = _competitors_from_text(deals, settings.competitors)
    if filled:
        notes.append(f"the competitor of {filled} lost {'deal' if filled == 1 else 'deals'} was read from the stage, "
                     "loss reason or notes (the Competitor cell was empty)")
    existing = deals.loc[deals["excluded"] == EXISTING, "deal_type"].value_counts()
    if len(existing):
        n = int(existing.sum())
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(existing.items(), key=lambda kv: (-kv[1], kv[0])))
        told = cols.get("deal_type", f"named in {cols.get('deal_name', 'the deal name')}")
        notes.append(f"{n} {'deal is' if n == 1 else 'deals are'} with existing customers ({told}: "
                     f"{kinds}) and {'stays' if n == 1 else 'stay'} out of the analysis: win rates, criteria and "
                     "the nurture list are about new customers")
    open_n = int((deals["excluded"] == "open").sum())
    if open_n:
        # No file name: the draft reads the same whichever format the export came in (deals.csv or .xlsx).
        notes.append(f"{open_n} open {'deal' if open_n == 1 else 'deals'} in the CRM export "
                     f"{'is' if open_n == 1 else 'are'} not closed and {'stays' if open_n == 1 else 'stay'} out of "
                     "the analysis")
    extras, restated = _after_outcome(deals, cols, list(colmap.extras), notes)
    return CrmTables(deals, None, extras, problems, notes, True, [table.source], list(header), restated)


def _after_outcome(deals: pd.DataFrame, cols: dict[str, str], extras: list[str], notes: list[str]
               ) -> tuple[list[str], list[str]]:
    """The extra columns kept, and the deal fields that restate the outcome because they are filled (not empty, not
    0) mostly once a deal is won, or lost; both named in the notes. Such a field still gives the amounts, never a
    criterion."""
    closed = deals["excluded"] == ""
    won, lost = closed & (deals["outcome"] == "won"), closed & (deals["outcome"] == "lost")
    restated = []
    for f in (*CATEGORICAL, *NUMERIC):
        shares = after_outcome(deals[f], won, lost, deal_column=True) if f in cols else None
        if shares:
            notes.append(note(f"column {cols[f]!r}", shares))
            restated.append(f)
    kept = []
    for h in extras:
        shares = after_outcome(deals["x:" + h], won, lost, deal_column=True)
        if shares:
            notes.append(note(f"column {h!r}", shares))
        elif flags_outcome(deals["x:" + h], won, lost):
            notes.append(f"column {h!r} holds one value on every won deal and the other on every lost one: a flag "
                         "of the outcome; not used as a dimension")
        elif {"won", "lost"} & set(normalise_header(h).split()):  # HubSpot's "Is closed lost", "Closed won count"
            notes.append(f"column {h!r} names won or lost: it restates the outcome; not used as a dimension")
        else:
            kept.append(h)
    return kept, restated


def flags_outcome(cells: pd.Series, won: pd.Series, lost: pd.Series, min_deals: int = 5) -> bool:
    """A two-valued column ("true"/"false", 0/1) that splits won from lost deals perfectly names the outcome under
    another header: no customer trait does that over this many deals."""
    text = cells.astype(str).str.strip().str.lower()
    if won.sum() < min_deals or lost.sum() < min_deals or text[won | lost].nunique() != 2:
        return False
    return text[won].nunique() == 1 and text[lost].nunique() == 1 and text[won].iloc[0] != text[lost].iloc[0]


def _competitors_from_text(deals: pd.DataFrame, extra: list[str]) -> int:
    """Fill a lost deal's empty Competitor from the rival its stage, loss reason or notes name ("Closed Lost - Went
    with Clarion"); the names the column holds elsewhere, and [crm] competitors, are found anywhere in that text.
    Returns how many deals were filled."""
    known = sorted({str(c).strip() for c in deals["competitor"] if str(c).strip()} | {c for c in extra if c.strip()},
                   key=lambda c: (-len(c), c))  # 'Signal Pro' before 'Signal'
    filled = 0
    for i in deals.index[(deals["outcome"] == "lost") & (deals["competitor"].str.strip() == "")]:
        text = " | ".join(str(deals.at[i, f]) for f in ("stage", "loss_reason", "loss_notes") if deals.at[i, f])
        name = named_competitor(text, known)
        if name:
            deals.at[i, "competitor"] = name
            filled += 1
    return filled


def retention_from_arr(start: float, current: float) -> str:
    if math.isnan(start) or math.isnan(current):
        return ""
    if current <= 0:
        return "churned"
    return "expanded" if current > start else "contracted" if current < start else "active"


def load_accounts(path: Path, settings: CrmSettings, problems: list[Problem], notes: list[str],
                  sources: list[TableSource] | None = None) -> pd.DataFrame | None:
    """Customer-success data; `sources` (when given) gets how the file was read."""
    try:
        table = _read(path, ACCOUNT_FIELDS, settings.account_columns, sheet_for(settings, "accounts"), notes)
    except TableError as exc:
        problems.append(Problem(str(path), str(exc).removeprefix(f"{path}: ")))
        return None
    if sources is not None:
        sources.append(table.source)
    problems.extend(table.problems)
    header, rows, comma = table.header, table.rows, table.source.decimal_comma
    if not header:
        problems.append(Problem(str(path), "empty file: no header row"))
        return None
    colmap = _columns(header, ACCOUNT_FIELDS, settings.account_columns, path, problems)
    cols = colmap.fields
    if "account_id" not in cols and "account_name" not in cols:
        problems.append(Problem(str(path), "no Account ID or Account Name column; customer-success data not used"))
        return None
    idx = {h: i for i, h in enumerate(header)}
    records = []
    seen: dict[str, int] = {}
    for n, r in rows:
        val = {f: r[idx[h]] for f, h in cols.items()}
        rec: dict = {"row": n, "excluded": "", "account_id": val.get("account_id", ""),
                     "account_name": val.get("account_name", "")}
        rec["account_key"] = account_key(rec["account_id"], rec["account_name"])
        where = _where(path, n, rec["account_id"] or rec["account_name"])
        if not rec["account_key"]:
            problems.append(Problem(where, "no account id or name; row left out"))
            rec["excluded"] = "no id"
        elif rec["account_key"] in seen:
            problems.append(Problem(where, f"duplicate account (first on row {seen[rec['account_key']]}); "
                                           "this row is left out"))
            rec["excluded"] = "duplicate id"
        else:
            seen[rec["account_key"]] = n
        for f in ACCOUNT_NUMBERS:
            rec[f] = math.nan
            if f in cols:
                try:
                    value = parse_number(val[f], comma)
                    rec[f] = math.nan if value is None else value
                except ValueError:
                    problems.append(Problem(where, f"{cols[f]} {val[f]!r} is not a number; counted as unknown"))
        status = val.get("retention_status", "")
        rec["retention_status"] = RETENTION.get(status.lower().strip(), "")
        if status and not rec["retention_status"]:
            problems.append(Problem(where, f"unknown Retention Status {status!r} (expected Active, Expanded, "
                                           "Contracted or Churned); derived from ARR where possible"))
        if not rec["retention_status"]:
            rec["retention_status"] = retention_from_arr(rec["starting_arr"], rec["current_arr"])
        for h in colmap.extras:  # candidate dimensions of the deals' accounts (crm.account_columns)
            rec["x:" + h] = plain_number(r[idx[h]]) if comma else r[idx[h]]
        records.append(rec)
    return pd.DataFrame.from_records(records) if records else None
