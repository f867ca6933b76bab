"""A run's themes as one record: the statements, their vectors, each one's theme id and each theme's label."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from winloss.models import Statement
from winloss.themes.ids import theme_sort_key
from winloss.themes.labeling import ThemeLabel

if TYPE_CHECKING:
    from winloss.themes.stance import StanceCall


@dataclass(frozen=True)
class ThemeSet:
    statements: list[Statement]
    text_vectors: np.ndarray  # each statement's own words: what search and the research sections compare
    vectors: np.ndarray  # what was clustered: each statement nudged towards its turn and question
    theme_of: np.ndarray  # each statement's theme id, '' when unassigned
    labels: dict[str, ThemeLabel]  # theme id -> label, keywords, most central statements
    new_themes: tuple[str, ...] = ()  # themes this run added to an existing codebook
    reason: str = ""  # why there are no themes, when there are none
    engine: dict | None = None  # how the engine ran, for run.json
    stances: tuple[StanceCall, ...] = ()  # each statement's themes.stance.StanceCall, computed before the themes
    competitors: tuple[str, ...] = ()  # the competitors the stance took as "them" (crm/deals.csv), for the LLM too
    chat_likeness: dict[str, float] | None = None  # theme id -> how much it reads like pleasantries (smalltalk.py)

    @property
    def ids(self) -> list[str]:
        return sorted(self.labels, key=theme_sort_key)

    @property
    def texts(self) -> list[str]:
        return [s.text for s in self.statements]

    @property
    def n_unassigned(self) -> int:
        return int((self.theme_of == "").sum())

    def relabelled(self, labels: dict[str, ThemeLabel]) -> ThemeSet:
        return replace(self, labels=labels)
