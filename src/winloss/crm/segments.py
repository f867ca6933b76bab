"""Firmographic and technographic contrast: dimensions, bands for numeric columns, and per-segment counts with
Fisher's exact test (won vs lost deals; best vs problematic customers)."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd
from scipy.stats import fisher_exact

from winloss.themes.stats import benjamini_hochberg

UNKNOWN = "(unknown)"
# (upper bound inclusive, label); the last bound is open-ended.
EMPLOYEE_BANDS = ((10, "1-10"), (50, "11-50"), (200, "51-200"), (500, "201-500"), (1000, "501-1000"),
                  (5000, "1001-5000"), (math.inf, "5001+"))
REVENUE_BANDS = ((1e6, "<$1M"), (1e7, "$1M-10M"), (5e7, "$10M-50M"), (2.5e8, "$50M-250M"), (1e9, "$250M-1B"),
                 (math.inf, "$1B+"))
CYCLE_BANDS = ((30, "0-30 days"), (60, "31-60 days"), (90, "61-90 days"), (180, "91-180 days"),
               (math.inf, "181+ days"))
CATEGORICAL = {"industry": "Industry", "country": "Country", "lead_source": "Lead source",
               "crm_platform": "CRM platform"}
NUMERIC = {"employees": ("Employees", EMPLOYEE_BANDS), "annual_revenue": ("Annual revenue", REVENUE_BANDS),
           "amount": ("Deal amount", None), "sales_cycle_days": ("Sales cycle", CYCLE_BANDS)}
MAX_CATEGORIES = 15
UNITS = {"annual_revenue": "$", "amount": "$", "sales_cycle_days": " days"}
KINDS = ("firmographic", "technographic", "behavioural", "relationship")
# The seeds' four dimensions: who the account is, what it runs, how it came and buys, who we know there.
DEFAULT_KINDS = {"industry": "firmographic", "country": "firmographic", "employees": "firmographic",
                 "annual_revenue": "firmographic", "crm_platform": "technographic", "lead_source": "behavioural",
                 "amount": "behavioural", "sales_cycle_days": "behavioural"}
# Extra columns without a mapping: the kind their header suggests, else behavioural (ranks, never gates).
KIND_WORDS = (("relationship", ("champion", "sponsor", "relationship", "contact", "executive", "referr")),
              ("technographic", ("stack", "platform", "crm", "erp", "cloud", "tool", "tech", "software used",
                                 "integration")),
              ("firmographic", ("industry", "vertical", "region", "country", "size", "employee", "revenue",
                                "segment", "funding", "headquarter")))


def raw_column(key: str) -> str:
    """The column of the values table holding a numeric dimension's raw number next to its band."""
    return "#" + key


def dimension_kind(key: str, label: str, mapping: dict[str, str]) -> str:
    """[crm.dimensions] names a kind per column (by canonical field or header); else the defaults above."""
    for name in (key, key.removeprefix("x:"), label):
        for wanted, kind in mapping.items():
            if wanted.casefold() == name.casefold():
                return kind
    if key in DEFAULT_KINDS:
        return DEFAULT_KINDS[key]
    lowered = label.casefold()
    return next((kind for kind, words in KIND_WORDS if any(w in lowered for w in words)), "behavioural")


@dataclass(frozen=True)
class Dimension:
    key: str  # column of the deals table
    label: str
    order: tuple[str, ...] = ()  # band labels in order for numeric dimensions; () for categorical ones
    bounds: tuple[float, ...] = ()  # each band's inclusive upper bound, parallel to `order`
    kind: str = "firmographic"  # firmographic, technographic, behavioural or relationship ([crm.dimensions])
    numeric: bool = False  # the values table also holds the raw number (raw_column)
    unit: str = ""  # "$" for money, " days" for durations, "year" for years: how a range reads


def band_of(value: float, bands) -> str:
    if value is None or math.isnan(value):
        return UNKNOWN
    return next(label for bound, label in bands if value <= bound)


def _nice(x: float) -> float:
    """Two significant figures, so quartile edges read like 25,000 rather than 24,813.5."""
    if x <= 0:
        return 0.0
    digits = 1 - int(math.floor(math.log10(x)))
    return round(x, digits)


def _short(x: float) -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if x >= size:
            return f"{x / size:g}{suffix}"
    return f"{x:g}"


def is_year(values: pd.Series) -> bool:
    """A column of years ("year_established"): read as years, 1996-2008, never 2k or 1,996."""
    known = values.dropna()
    return not known.empty and bool(((known % 1 == 0) & known.between(1800, 2100)).all())


def quartile_bands(values: pd.Series):
    """Bands at the rounded quartiles of the observed values (numeric columns without a standard banding)."""
    known = values.dropna()
    if known.empty:
        return ((math.inf, "all"),)
    nice, short = (round, lambda x: f"{x:g}") if is_year(known) else (_nice, _short)
    edges = sorted({nice(float(q)) for q in known.quantile([0.25, 0.5, 0.75])})
    bands, low = [], None
    for edge in edges:
        bands.append((edge, f"<={short(edge)}" if low is None else f"{short(low)}-{short(edge)}"))
        low = edge
    bands.append((math.inf, f">{short(low)}"))
    return tuple(bands)


def _categorical(values: pd.Series) -> pd.Series:
    """Group spellings that differ only in case and spacing; show the most common spelling."""
    cleaned = values.fillna("").astype(str).str.strip()
    folded = cleaned.map(lambda v: re.sub(r"\s+", " ", v.casefold()))
    display = {}
    for fold, group in cleaned.groupby(folded):
        counts = group.value_counts()
        display[fold] = sorted(counts.index, key=lambda v: (-counts[v], v))[0]
    return pd.Series([display[f] if f else UNKNOWN for f in folded], index=values.index)


def build_dimensions(deals: pd.DataFrame, extras: list[str], kinds: dict[str, str] | None = None,
                     restated: tuple[str, ...] | list[str] = ()) -> tuple[list[Dimension], pd.DataFrame, list[str]]:
    """Candidate dimensions and each deal's value on them ('(unknown)' when missing); numeric dimensions also keep
    the raw number in column raw_column(key), for the ICP's data-derived ranges. Returns notes on extra columns that were
    not usable (free text, ids). kinds: [crm.dimensions], column -> firmographic / technographic / ...;
    restated: fields that restate the outcome (load.CrmTables.restated), left out."""
    kinds = kinds or {}
    dims: list[Dimension] = []
    values: dict[str, pd.Series] = {}
    notes: list[str] = []
    for key, label in CATEGORICAL.items():
        if key not in restated and (deals[key].astype(str).str.strip() != "").any():
            dims.append(Dimension(key, label, (), kind=dimension_kind(key, label, kinds)))
            values[key] = _categorical(deals[key])
    for key, (label, bands) in NUMERIC.items():
        column = deals[key].astype(float)
        if key not in restated and column.notna().any():
            bands = bands or quartile_bands(column)
            dims.append(Dimension(key, label, tuple(b for _, b in bands), tuple(u for u, _ in bands),
                                  kind=dimension_kind(key, label, kinds), numeric=True, unit=UNITS.get(key, "")))
            values[key] = column.map(lambda v, b=bands: band_of(v, b))
            values[raw_column(key)] = column
    for header in extras:
        raw = deals["x:" + header].astype(str).str.strip()
        present = raw[raw != ""]
        if present.empty:
            continue
        numbers = pd.to_numeric(present.str.replace(",", "", regex=False), errors="coerce")
        if numbers.notna().mean() >= 0.9 and numbers.nunique() > MAX_CATEGORIES:
            column = pd.to_numeric(raw.str.replace(",", "", regex=False), errors="coerce")
            bands = quartile_bands(column)
            dims.append(Dimension("x:" + header, header, tuple(b for _, b in bands), tuple(u for u, _ in bands),
                                  kind=dimension_kind("x:" + header, header, kinds), numeric=True,
                                  unit="year" if is_year(column) else ""))
            values["x:" + header] = column.map(lambda v, b=bands: band_of(v, b))
            values[raw_column("x:" + header)] = column
        elif present.nunique() <= MAX_CATEGORIES and present.nunique() < len(present):
            dims.append(Dimension("x:" + header, header, (), kind=dimension_kind("x:" + header, header, kinds)))
            values["x:" + header] = _categorical(deals["x:" + header])
        else:
            notes.append(f"column {header!r} has {present.nunique()} distinct values in {len(present)} rows "
                         "(free text or ids); not used as a dimension")
    return dims, pd.DataFrame(values, index=deals.index), notes


def value_order(dim: Dimension, observed) -> list[str]:
    present = set(observed)
    ordered = [v for v in dim.order if v in present] if dim.order else sorted(present - {UNKNOWN})
    return ordered + ([UNKNOWN] if UNKNOWN in present else [])


def fisher_p(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher exact p for [[a, b], [c, d]]; 1.0 when a margin is empty."""
    if (a + b) == 0 or (c + d) == 0 or (a + c) == 0 or (b + d) == 0:
        return 1.0
    return float(fisher_exact([[a, b], [c, d]])[1])


def segment_table(dims: list[Dimension], deal_values: pd.DataFrame, outcome: pd.Series,
                  account_values: pd.DataFrame, cohort: pd.Series, retention: pd.Series) -> pd.DataFrame:
    """One row per dimension value.

    deal_values/outcome: closed deals (outcome won/lost). account_values/cohort/retention: won accounts, one row
    each (cohort best/average/problematic, or '' without customer-success data; retention status or '').
    """
    n_won, n_lost = int((outcome == "won").sum()), int((outcome == "lost").sum())
    n_best, n_prob = int((cohort == "best").sum()), int((cohort == "problematic").sum())
    rows = []
    for dim in dims:
        observed = list(deal_values[dim.key]) + list(account_values[dim.key])
        for value in value_order(dim, observed):
            in_deal = deal_values[dim.key] == value
            won, lost = int((in_deal & (outcome == "won")).sum()), int((in_deal & (outcome == "lost")).sum())
            in_acc = account_values[dim.key] == value
            best, prob = int((in_acc & (cohort == "best")).sum()), int((in_acc & (cohort == "problematic")).sum())
            status = retention[in_acc]
            known = status[status != ""]
            churned = int((known == "churned").sum())
            rows.append({
                "dimension": dim.label, "key": dim.key, "value": value, "deals": won + lost, "won": won, "lost": lost,
                "win_rate": won / (won + lost) if won + lost else math.nan,
                "p_win": fisher_p(won, lost, n_won - won, n_lost - lost),
                "accounts": int(in_acc.sum()), "best": best, "average": int((in_acc & (cohort == "average")).sum()),
                "problematic": prob, "churned": churned, "retained": len(known) - churned, "known": len(known),
                "retention": (len(known) - churned) / len(known) if len(known) else math.nan,
                "p_best": fisher_p(best, prob, n_best - best, n_prob - prob),
            })
    table = pd.DataFrame(rows, columns=["dimension", "key", "value", "deals", "won", "lost", "win_rate", "p_win",
                                        "accounts", "best", "average", "problematic", "churned", "retained", "known",
                                        "retention",
                                        "p_best"])
    for p_col, q_col in (("p_win", "q_win"), ("p_best", "q_best")):
        table[q_col] = benjamini_hochberg(table[p_col].tolist()) if len(table) else []
    return table
