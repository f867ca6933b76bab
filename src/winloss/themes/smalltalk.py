"""Themes made of the opening and closing minutes of interviews: rapport, not evidence.

Small talk that survives the statement filter ("Staffing in August is slow, so good timing") still forms themes of
its own, because every interview has some. Such a theme lives almost entirely at the edges of its interviews; it is
kept in the tables (marked `small talk`) but never becomes a finding, an ICP argument or a quote in the draft.
"""
from __future__ import annotations

import pandas as pd

OPENING = 0.15  # the first 15 % of an interview's statements
CLOSING = 0.90  # the last 10 %
EDGE_SHARE = 0.80  # a theme with at least this share of its statements at the edges is small talk
MIN_STATEMENTS = 10  # an interview this short has no opening and closing to speak of


def small_talk_themes(statements: pd.DataFrame) -> set[str]:
    """statements: the rows of statements.csv, in interview order."""
    if statements.empty:
        return set()
    by_interview = statements.groupby("interview_id", sort=False)
    position = by_interview.cumcount() / by_interview["statement_id"].transform("count")
    long_enough = by_interview["statement_id"].transform("count") >= MIN_STATEMENTS
    at_edge = long_enough & ((position < OPENING) | (position >= CLOSING))
    share = at_edge.groupby(statements["theme_id"]).mean()
    return {t for t, s in share.items() if t and s >= EDGE_SHARE}
