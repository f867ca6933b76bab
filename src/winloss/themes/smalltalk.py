"""Themes made of the opening and closing minutes of interviews: rapport, not evidence.

Small talk that survives the statement filter ("Staffing in August is slow, so good timing") still forms themes of
its own, because every interview has some. Such a theme lives almost entirely at the edges of its interviews; it is
kept in the tables (marked `small talk`) but never becomes a finding, a driver, an ICP argument or a quote in the draft.

Every interview has an opening and a closing, however short: its first statement and its last at the least, the
first 15 % and the last 10 % in a long one. In a short interview the edges are a large share of all it says (two of
four statements), so sitting at the edges proves little by itself: a theme is small talk only when its share at the
edges is high *and* far above what its interviews' edge shares give by chance: one-sided binomial tests of the
opening, the closing and both, Bonferroni-corrected. An interview of one or two statements is all edge, so where its
statements sit counts as chance.

Position alone is not enough: an interview guide asks its questions in order, so in short interviews the answers to
the first question all open their interviews ("The price went up forty percent at renewal"). A theme is small talk
only when it also reads like it: its statements' mean cosine to the nearest of a few written pleasantries
(PLEASANTRIES) is at least CHAT_LIKENESS. Measured (bundled MiniLM): small-talk themes 0.32-0.52 on the demo and
fixtures/payloom, every business theme 0.13-0.28 there and on the research study of tests/research_study.py.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import binom

OPENING = 0.15  # the first 15 % of an interview's statements (at least its first)
CLOSING = 0.10  # the last 10 % (at least its last)
EDGE_SHARE = 0.80  # a theme with at least this share of its statements at the edges may be small talk ...
ALPHA = 0.01  # ... when chance placement would put that many there with at most this probability
CHAT_LIKENESS = 0.30  # ... and its statements read like pleasantries (mean cosine to the nearest one)
PLEASANTRIES = (
    "Thanks for having me.", "Good morning, how are you?", "Have a great weekend.", "Enjoy the rest of your day.",
    "Sorry I'm a few minutes late.", "Can you hear me okay?", "It's been a crazy busy week.",
    "The weather here is beautiful today.", "I'm on my second coffee.", "My kids are home sick today.",
    "Bye, talk soon.", "Happy to help, anytime.", "We just got back from vacation.", "Thank you, this was fun.",
    "Nice to meet you.",
)


def chat_likeness(own: np.ndarray, theme_of: Sequence[str], pleasantries: np.ndarray) -> dict[str, float]:
    """Each theme's mean, over its statements, of the cosine to the nearest pleasantry (unit vectors in)."""
    if not len(own):
        return {}
    nearest = (np.asarray(own, dtype=np.float32) @ np.asarray(pleasantries, dtype=np.float32).T).max(axis=1)
    themes = np.asarray(theme_of, dtype=object)
    return {str(t): round(float(nearest[themes == t].mean()), 6) for t in sorted(set(themes) - {""})}


def edge_positions(n: int) -> tuple[int, int]:
    """How many of an interview's n statements open it and how many close it."""
    # round: 0.15 * 20 is 3.0000000000000004 in floating point, and three statements open twenty
    return max(1, math.ceil(round(OPENING * n, 9))), max(1, n - math.ceil(round((1 - CLOSING) * n, 9)))


def small_talk_themes(statements: pd.DataFrame, likeness: dict[str, float] | None = None) -> set[str]:
    """statements: the rows of statements.csv, in interview order; likeness: chat_likeness of each theme (None:
    position alone decides)."""
    if statements.empty:
        return set()
    by_interview = statements.groupby("interview_id", sort=False)
    index = by_interview.cumcount()
    size = by_interview["statement_id"].transform("count")
    opening = size.map(lambda n: edge_positions(n)[0])
    closing = size.map(lambda n: edge_positions(n)[1])
    judged = size > 2  # one or two statements are all edge: where they sit says nothing
    opens, closes = index < opening, index >= size - closing
    # Greetings gather at the start, goodbyes at the end, a theme of both at either: three tests, Bonferroni'd.
    edges = [(opens, opening / size), (closes, closing / size),
             (opens | closes, (opening + closing).clip(upper=size) / size)]
    edges = [(at, chance.where(judged, 1.0)) for at, chance in edges]
    found = set()
    for theme, rows in statements.groupby("theme_id", sort=True).groups.items():
        if likeness is not None and likeness.get(theme, 0.0) < CHAT_LIKENESS:
            continue
        if theme and any(_beyond_chance(at[rows], chance[rows], len(edges)) for at, chance in edges):
            found.add(theme)
    return found


def _beyond_chance(at_edge: pd.Series, chance: pd.Series, tests: int) -> bool:
    n, k = len(at_edge), int(at_edge.sum())
    return k >= EDGE_SHARE * n and tests * binom.sf(k - 1, n, chance.mean()) <= ALPHA
