"""Traits of a deal's account that only accounts.csv holds: a Salesforce Accounts report carries the fulfilment
model, the channel or the e-commerce platform a rep keeps on the account, never on each opportunity. Each such column
becomes a candidate dimension of the deals (joined by account id, else by name), as a deal column would, unless it
would pass for a criterion without being a trait a rep can see before the deal: the account's lifecycle (Type:
Prospect / Customer / Former Customer), dates, or a column filled in for customers only (Health Score, Open Cases:
what happened after a win, which a lost deal never has). A firmographic the deals do not fill (Maven keeps employees
and revenue on its accounts only) is the account's too."""
from __future__ import annotations

import pandas as pd

from winloss.crm.after_outcome import after_outcome, note
from winloss.crm.columns import DEAL_FIELDS, TIME_COLUMNS, normalise_header
from winloss.crm.load import account_key, holds_dates

# The account's relation to us, not a trait of the customer: Salesforce's Type, HubSpot's lifecycle stage.
LIFECYCLE = ("type", "account type", "customer type", "lifecycle stage", "lifecycle", "account status",
             "record type", "account record type", "customer since", "churn date", "go live date")


def _filled_fields(deals: pd.DataFrame) -> set[str]:
    """The deal fields some deal has a value for."""
    out = set()
    for f in DEAL_FIELDS:
        if f in deals.columns:
            cells = deals[f]
            if (cells.notna() & (cells.astype(str).str.strip() != "")).any():
                out.add(f)
    return out


def account_columns(deals: pd.DataFrame, accounts: pd.DataFrame | None, deal_headers: list[str]
                    ) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The deals with each usable accounts.csv extra column joined as `x:<header>`, those headers, and notes on
    the columns left out. deal_headers: the deals file's own headers (a trait the deal also carries is the deal's)."""
    if accounts is None or accounts.empty:
        return deals, [], []
    filled = _filled_fields(deals)
    own = {normalise_header(h) for h in deal_headers} | {a for f in filled for a in DEAL_FIELDS[f]}
    headers = [c[2:] for c in accounts.columns if c.startswith("x:")]
    usable = accounts[accounts["excluded"] == ""]
    by_key = {k: i for i, k in zip(usable.index, usable["account_key"]) if k}
    by_name = {account_key("", n): i for i, n in zip(usable.index, usable["account_name"]) if n}
    row = [by_key.get(k, by_name.get(account_key("", n), None))
           for k, n in zip(deals["account_key"], deals["account_name"])]
    matched = pd.Series([r is not None for r in row], index=deals.index)
    closed = deals["excluded"] == ""
    won, lost = closed & (deals["outcome"] == "won") & matched, closed & (deals["outcome"] == "lost") & matched
    out, kept, notes = deals.copy(), [], []
    for h in headers:
        key = normalise_header(h)
        if key in LIFECYCLE or key in TIME_COLUMNS:
            notes.append(f"accounts.csv column {h!r} says the account's history with us, not a trait seen before a "
                         "deal; not used as a dimension")
            continue
        if key in own:
            continue  # the deal's own column, or a field deals.csv maps
        cells = pd.Series([str(usable.at[r, "x:" + h]).strip() if r is not None else "" for r in row],
                          index=deals.index)
        present = cells[cells != ""]
        if holds_dates(present.tolist()):
            notes.append(f"accounts.csv column {h!r} holds dates, no trait of a customer; not used as a dimension")
            continue
        shares = after_outcome(cells, won, lost)
        if shares:
            notes.append(note(f"accounts.csv column {h!r}", shares, "deals' accounts"))
            continue
        if (cells != "").any():
            out["x:" + h] = cells
            kept.append(h)
    return out, kept, notes
