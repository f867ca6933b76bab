"""A column filled in once a deal is won restates the outcome: an account's Health Score or Open Cases exist only
for customers, and Maven's close_value is 0 on every lost deal. As a candidate criterion it would split won from lost
perfectly ("close_value 40+: 142 of 142 won deals vs 0 of 32 lost") and become the whole ICP, so it is named in the
notes and left out."""
from __future__ import annotations

import pandas as pd

CUSTOMERS_ONLY = 0.5  # filled for lost deals at under half its rate for won ones: known after a win
MIN_DEALS = 5  # fewer won or lost deals than this prove nothing about when a column is filled


def filled(cells: pd.Series) -> pd.Series:
    """Cells that say something: neither empty nor missing, nor a zero (a lost deal's amount is often set to 0)."""
    text = cells.astype(str).str.strip()
    number = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
    return ~(text.isin(["", "nan", "None", "NaN"]) | (number == 0))


def after_win(cells: pd.Series, won: pd.Series, lost: pd.Series) -> tuple[float, float] | None:
    """(share filled for won deals, for lost deals) when the column is filled mostly after a win, else None.
    won, lost: boolean masks over cells' index."""
    if won.sum() < MIN_DEALS or lost.sum() < MIN_DEALS:
        return None
    has = filled(cells)
    filled_won, filled_lost = float(has[won].mean()), float(has[lost].mean())
    return (filled_won, filled_lost) if filled_won and filled_lost < CUSTOMERS_ONLY * filled_won else None


def note(where: str, shares: tuple[float, float], deals: str = "deals") -> str:
    return (f"{where} has a value (not empty, not 0) for {shares[0]:.0%} of won {deals} and {shares[1]:.0%} of lost "
            "ones: known after a win, it would restate the outcome; not used as a dimension")
