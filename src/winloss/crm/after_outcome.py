"""A column filled in once a deal is decided restates the outcome: an account's Health Score or Open Cases exist only
for customers, Maven's close_value is 0 on every lost deal, and a "Lost Reason Detail" only lost deals have. As a
candidate criterion it would split won from lost perfectly ("close_value 40+: 142 of 142 won deals vs 0 of 32 lost")
and become the whole ICP, so it is named in the notes and left out."""
from __future__ import annotations

import pandas as pd

ONE_SIDED = 0.5  # filled for one outcome's accounts at under half its rate for the other's: known after it
# A deal's own column must be all but empty on one side: a sparse field filled more often on wins (a partner's name
# on 40 % of won deals, 15 % of lost) can be the signal itself, where accounts.csv's customers-only data cannot.
NEARLY_ALL, NEARLY_NONE = 0.8, 0.1
MIN_DEALS = 5  # fewer won or lost deals than this prove nothing about when a column is filled


def filled(cells: pd.Series) -> pd.Series:
    """Cells that say something: neither empty nor missing, nor a zero (a lost deal's amount is often set to 0)."""
    text = cells.astype(str).str.strip()
    number = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
    return ~(text.isin(["", "nan", "None", "NaN"]) | (number == 0))


def after_outcome(cells: pd.Series, won: pd.Series, lost: pd.Series, deal_column: bool = False
                  ) -> tuple[float, float] | None:
    """(share filled for won deals, for lost deals) when the column is filled mostly after a win, or mostly after
    a loss, else None. won, lost: boolean masks over cells' index; deal_column: the deals' own column (stricter)."""
    if won.sum() < MIN_DEALS or lost.sum() < MIN_DEALS:
        return None
    has = filled(cells)
    w, lo = float(has[won].mean()), float(has[lost].mean())
    if deal_column:
        one_sided = (w >= NEARLY_ALL and lo <= NEARLY_NONE) or (lo >= NEARLY_ALL and w <= NEARLY_NONE)
    else:
        one_sided = lo < ONE_SIDED * w or w < ONE_SIDED * lo
    return (w, lo) if one_sided else None


def note(where: str, shares: tuple[float, float], deals: str = "deals") -> str:
    after = "a win" if shares[0] > shares[1] else "a loss"
    return (f"{where} has a value (not empty, not 0) for {shares[0]:.0%} of won {deals} and {shares[1]:.0%} of lost "
            f"ones: known after {after}, it would restate the outcome; not used as a dimension")
