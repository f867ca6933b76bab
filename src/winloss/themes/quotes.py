"""Pick representative, diverse quotes per theme and cohort, and prove each one is verbatim."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from winloss.models import Statement, Transcript

MIN_QUOTE_WORDS = 6
DIVERSITY = 0.3  # weight of "unlike the quotes already picked" against "central to the theme" (MMR)


@dataclass(frozen=True)
class Quote:
    theme: int
    cohort: str
    statement: Statement
    centrality: float


def verify(quote: str, statement: Statement, transcripts: dict[str, Transcript]) -> bool:
    """The quote must be an exact substring of the source turn as parsed from the transcript file."""
    transcript = transcripts.get(statement.interview_id)
    if transcript is None or not 0 <= statement.turn_index < len(transcript.turns):
        return False
    turn = transcript.turns[statement.turn_index]
    return turn.speaker == statement.speaker and bool(quote) and quote in turn.text


def select_quotes(statements: list[Statement], labels: np.ndarray, vectors: np.ndarray, per_cohort: int,
                  transcripts: dict[str, Transcript]) -> tuple[list[Quote], int]:
    """Up to `per_cohort` quotes per theme and cohort, from different interviews; returns (quotes, n_rejected)."""
    quotes: list[Quote] = []
    rejected = 0
    for theme in sorted(set(labels.tolist()) - {-1}):
        members = np.flatnonzero(labels == theme)
        centroid = vectors[members].mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        centrality = vectors[members] @ centroid
        by_cohort: dict[str, list[int]] = {}
        for pos, idx in enumerate(members):
            by_cohort.setdefault(statements[idx].cohort, []).append(pos)
        for cohort in sorted(by_cohort):
            picked: list[int] = []
            candidates = sorted(by_cohort[cohort], key=lambda p: (-centrality[p], statements[members[p]].statement_id))
            long_enough = [p for p in candidates if len(statements[members[p]].text.split()) >= MIN_QUOTE_WORDS]
            pool = long_enough or candidates
            while pool and len(picked) < per_cohort:
                used = {statements[members[p]].interview_id for p in picked}
                fresh = [p for p in pool if statements[members[p]].interview_id not in used]
                if not fresh:
                    break  # one interview's remarks twice would overstate the evidence
                best = max(fresh, key=lambda p: (_mmr(p, picked, members, vectors, centrality), -p))
                pool.remove(best)
                statement = statements[members[best]]
                if not verify(statement.text, statement, transcripts):
                    rejected += 1
                    continue
                picked.append(best)
                quotes.append(Quote(theme, cohort, statement, float(centrality[best])))
    return quotes, rejected


def _mmr(p: int, picked: list[int], members: np.ndarray, vectors: np.ndarray, centrality: np.ndarray) -> float:
    if not picked:
        return float(centrality[p])
    redundancy = max(float(vectors[members[p]] @ vectors[members[q]]) for q in picked)
    return (1 - DIVERSITY) * float(centrality[p]) - DIVERSITY * redundancy
