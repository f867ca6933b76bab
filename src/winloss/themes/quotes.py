"""Pick representative, diverse quotes per theme and cohort, and prove each one is verbatim."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from winloss.models import Statement, Transcript
from winloss.themes.ids import theme_sort_key
from winloss.themes.stance import own_question
from winloss.themes.vectors import centre, mmr

MIN_QUOTE_WORDS = 6
DIVERSITY = 0.3  # weight of "unlike the quotes already picked" against "central to the theme" (MMR)


@dataclass(frozen=True)
class Quote:
    """A verified verbatim quote: the one record every section of the report renders."""

    theme: str
    cohort: str
    statement: Statement
    centrality: float

    @property
    def quote(self) -> str:
        return self.statement.text

    @property
    def interview_id(self) -> str:
        return self.statement.interview_id

    @property
    def speaker(self) -> str:
        return self.statement.speaker

    @property
    def start(self) -> float | None:
        return self.statement.start


def verify(quote: str, statement: Statement, transcripts: dict[str, Transcript]) -> bool:
    """The quote must be an exact substring of the source turn as parsed from the transcript file."""
    transcript = transcripts.get(statement.interview_id)
    if transcript is None or not 0 <= statement.turn_index < len(transcript.turns):
        return False
    turn = transcript.turns[statement.turn_index]
    return turn.speaker == statement.speaker and bool(quote) and quote in turn.text


def select_quotes(statements: list[Statement], theme_of: np.ndarray, vectors: np.ndarray, per_cohort: int,
                  transcripts: dict[str, Transcript]) -> tuple[list[Quote], int]:
    """Up to `per_cohort` quotes per theme and cohort, from different interviews; returns (quotes, n_rejected)."""
    quotes: list[Quote] = []
    rejected = 0
    for theme in sorted({t for t in theme_of if t}, key=theme_sort_key):
        members = np.flatnonzero(theme_of == theme)
        centrality = vectors[members] @ centre(vectors[members])
        for cohort in sorted({statements[i].cohort for i in members}):
            mine = [p for p, i in enumerate(members) if statements[i].cohort == cohort]
            long_enough = [p for p in mine if len(statements[members[p]].text.split()) >= MIN_QUOTE_WORDS]
            # a customer's own question ("And what's the investment for this?") counts, but says no finding
            pool = [p for p in long_enough or mine if not own_question(statements[members[p]].text)] or \
                long_enough or mine
            said = [statements[members[p]] for p in pool]
            failed: list[int] = []

            def one_per_interview(j: int, chosen: list[int]) -> bool:
                # one interview's remarks twice would overstate the evidence
                return said[j].interview_id not in {said[c].interview_id for c in chosen}

            def verbatim(j: int) -> bool:
                ok = verify(said[j].text, said[j], transcripts)
                if not ok:
                    failed.append(j)
                return ok

            for j in mmr(vectors[members[pool]], centrality[pool], per_cohort, DIVERSITY, one_per_interview,
                         verbatim):
                quotes.append(Quote(theme, cohort, said[j], float(centrality[pool[j]])))
            rejected += len(failed)
    return quotes, rejected
