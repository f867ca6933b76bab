"""Theme ids as users see them ("T01", "T02", ... "T100"): the one representation from clustering to the report."""
from __future__ import annotations

import re

import numpy as np

ID_PATTERN = re.compile(r"T(\d+)")


def theme_id(number: int) -> str:
    """The id of theme `number` (1-based)."""
    return f"T{number:02d}"


def ids_of(labels) -> np.ndarray:
    """The engine's 0-based theme numbers (-1 = unassigned) as the ids users see ('' = unassigned)."""
    return np.array([theme_id(int(k) + 1) if k >= 0 else "" for k in labels], dtype=object)


def theme_number(tid: str) -> int:
    return int(ID_PATTERN.fullmatch(tid).group(1))


def normalise_id(value: str) -> str:
    """What a user types ("t3", "T003") as the id it means; anything else unchanged."""
    match = re.fullmatch(r"[tT]0*(\d+)", value.strip())
    return theme_id(int(match.group(1))) if match else value.strip()


def theme_sort_key(tid: str) -> tuple[int, str]:
    """T2 before T10; anything that is no theme id sorts first, by text."""
    digits = "".join(ch for ch in str(tid) if ch.isdigit())
    return (int(digits) if digits else 0, str(tid))
