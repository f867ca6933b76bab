"""Vector maths shared by every stage: unit vectors, theme centres and maximal marginal relevance (MMR).

Embeddings are compared by cosine, so everything here works on unit vectors; a zero vector stays zero instead of
becoming NaN.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def unit(x: np.ndarray) -> np.ndarray:
    """Rows (or one vector) scaled to length 1, as float32."""
    x = np.asarray(x)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def centre(x: np.ndarray) -> np.ndarray:
    """The unit vector of the mean of the rows: a theme's centre."""
    return unit(np.asarray(x).mean(axis=0))


def centres(x: np.ndarray, ids: Sequence[str]) -> dict[str, np.ndarray]:
    """The centre of each non-empty id's rows ('' = unassigned, left out), in id order."""
    ids = np.asarray(ids, dtype=object)
    return {tid: centre(x[ids == tid]) for tid in sorted({str(t) for t in ids if t})}


def mmr(vectors: np.ndarray, relevance: np.ndarray, k: int, diversity: float,
        eligible: Callable[[int, list[int]], bool] = lambda i, chosen: True,
        accept: Callable[[int], bool] = lambda i: True) -> list[int]:
    """Up to k row indices, each next one trading relevance against similarity to those already chosen
    (Carbonell and Goldstein 1998): score = (1 - diversity) * relevance - diversity * max similarity to the chosen.

    `eligible(i, chosen)` may rule a row out for now (a second quote from one interview); when no row is eligible
    the choice ends. `accept(i)` is asked of each winner; a refused row is dropped for good (a quote that fails the
    verbatim check). Ties go to the lowest index, so the result is deterministic.
    """
    vectors = np.asarray(vectors)
    relevance = np.asarray(relevance, dtype=np.float64)
    pool = list(range(len(relevance)))
    chosen: list[int] = []
    while pool and len(chosen) < k:
        open_ = [i for i in pool if eligible(i, chosen)]
        if not open_:
            break
        if chosen:
            redundancy = np.max(vectors[open_] @ vectors[chosen].T, axis=1).astype(np.float64)
            scores = (1 - diversity) * relevance[open_] - diversity * redundancy
        else:
            scores = relevance[open_]
        best = open_[int(np.argmax(scores))]  # argmax takes the first maximum: the lowest index wins a tie
        pool.remove(best)
        if accept(best):
            chosen.append(best)
    return chosen
