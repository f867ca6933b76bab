"""Theme discovery: HDBSCAN on statement vectors, then merging, dissolving and outlier reassignment.

Everything here is a pure function of (vectors, groups, keys, settings): rows are put into a canonical order by
their keys before anything is computed, so the order of the input never changes the themes or their ids.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from winloss.models import Statement

DEFAULT_MIN_SIZE = 5


@dataclass
class ThemeAssignment:
    labels: np.ndarray  # int per row; -1 unassigned; themes numbered 0..k-1 by size desc, ties by smallest key
    params: dict = field(default_factory=dict)  # everything that shaped the result, for run.json

    @property
    def n_themes(self) -> int:
        return int(self.labels.max()) + 1 if self.labels.size and self.labels.max() >= 0 else 0


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def statement_vectors(embedder, statements: list[Statement], *, turn_weight: float = 0.5,
                      question_weight: float = 0.3) -> np.ndarray:
    """The vectors that get clustered: the statement, nudged towards its turn and the question it answers.

    A spoken statement ("it dragged on for months") often means something only in its context; adding the
    context's direction moves it towards statements about the same subject. Only placement changes: the
    statement's own text stays the evidence.
    """
    if not statements:
        return np.zeros((0, 0), dtype=np.float32)
    own = embedder.encode([s.text for s in statements])
    mixed = own.copy()
    if turn_weight:
        turns = embedder.encode([s.turn_text or s.text for s in statements])
        mixed += turn_weight * turns
    if question_weight:
        has_q = np.array([bool(s.question.strip()) for s in statements])
        if has_q.any():
            questions = embedder.encode([s.question if s.question.strip() else s.text for s in statements])
            mixed += question_weight * questions * has_q[:, None]
    return _normalise(mixed)


def _canonical_order(vectors: np.ndarray, keys: Sequence[str] | None) -> np.ndarray:
    """A permutation that sorts rows by key (then by vector bytes), independent of the input order."""
    n = len(vectors)
    if keys is None:
        keys = [""] * n
    return np.array(sorted(range(n), key=lambda i: (str(keys[i]), vectors[i].tobytes())), dtype=np.int64)


def _centroids(x: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    c = np.zeros((k, x.shape[1]), dtype=np.float64)
    np.add.at(c, labels[labels >= 0], x[labels >= 0])
    return _normalise(c)


def _renumber(labels: np.ndarray) -> np.ndarray:
    """Themes by size desc, ties by smallest row (rows are already in canonical key order)."""
    ids = [t for t in np.unique(labels) if t >= 0]
    first = {t: int(np.flatnonzero(labels == t)[0]) for t in ids}
    order = sorted(ids, key=lambda t: (-int((labels == t).sum()), first[t]))
    out = np.full_like(labels, -1)
    for new, old in enumerate(order):
        out[labels == old] = new
    return out


def _merge_similar(x: np.ndarray, labels: np.ndarray, threshold: float) -> tuple[np.ndarray, int]:
    """Repeatedly merge the two themes whose centroids are most similar, while that similarity >= threshold."""
    labels = _renumber(labels)
    merges = 0
    while True:
        k = int(labels.max()) + 1 if (labels >= 0).any() else 0
        if k < 2:
            return labels, merges
        c = _centroids(x, labels, k)
        sim = c @ c.T
        np.fill_diagonal(sim, -np.inf)
        i, j = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[i, j] < threshold:
            return labels, merges
        a, b = min(i, j), max(i, j)
        labels = np.where(labels == b, a, labels)
        labels = _renumber(labels)
        merges += 1


def _dissolve_single_group(labels: np.ndarray, groups: np.ndarray, min_groups: int) -> tuple[np.ndarray, int]:
    labels = labels.copy()
    dissolved = 0
    for t in [t for t in np.unique(labels) if t >= 0]:
        members = labels == t
        if len(set(groups[members].tolist())) < min_groups:
            labels[members] = -1
            dissolved += 1
    return labels, dissolved


def _assign_outliers(x: np.ndarray, labels: np.ndarray, threshold: float) -> tuple[np.ndarray, int]:
    """An unassigned row joins the theme whose centroid is most similar, if that similarity >= threshold."""
    k = int(labels.max()) + 1 if (labels >= 0).any() else 0
    out = labels.copy()
    if k == 0:
        return out, 0
    c = _centroids(x, labels, k)
    idx = np.flatnonzero(labels < 0)
    if idx.size == 0:
        return out, 0
    sim = x[idx] @ c.T
    best = np.argmax(sim, axis=1)
    ok = sim[np.arange(idx.size), best] >= threshold
    out[idx[ok]] = best[ok]
    return out, int(ok.sum())


def find_themes(vectors: np.ndarray, *, groups: Sequence[str], min_size: int = DEFAULT_MIN_SIZE, seed: int = 0,
                keys: Sequence[str] | None = None, min_groups: int = 2, merge_threshold: float = 0.9,
                assign_threshold: float = 0.5) -> ThemeAssignment:
    """Group rows into themes without being told how many. Unclear rows stay -1."""
    import hdbscan

    vectors = np.asarray(vectors, dtype=np.float32)
    n = len(vectors)
    groups_arr = np.asarray([str(g) for g in groups], dtype=object)
    if len(groups_arr) != n or (keys is not None and len(keys) != n):
        raise ValueError(f"find_themes: {n} vectors but {len(groups_arr)} groups / {len(keys or [])} keys")
    params: dict = {
        "method": "hdbscan", "min_size": int(min_size), "seed": int(seed), "min_groups": int(min_groups),
        "merge_threshold": merge_threshold, "assign_threshold": assign_threshold, "n_rows": n,
    }
    if n < 2 * max(int(min_size), 2):
        params["reason"] = (f"{n} statements are too few for themes of at least {min_size} statements "
                            f"(need at least {2 * max(int(min_size), 2)})")
        return ThemeAssignment(labels=np.full(n, -1, dtype=np.int64), params=params)

    order = _canonical_order(vectors, keys)
    x = _normalise(vectors[order])
    g = groups_arr[order]

    clusterer = hdbscan.HDBSCAN(min_cluster_size=int(min_size), metric="euclidean",
                                cluster_selection_method="eom", core_dist_n_jobs=1)
    labels = clusterer.fit_predict(x).astype(np.int64)
    params["hdbscan_themes"] = int(labels.max()) + 1
    labels, dissolved = _dissolve_single_group(labels, g, min_groups)
    labels, merges = _merge_similar(x, labels, merge_threshold)
    labels, joined = _assign_outliers(x, labels, assign_threshold)
    labels = _renumber(labels)
    params.update(dissolved_single_group=dissolved, merged=merges, outliers_joined=joined)
    if not (labels >= 0).any():
        params["reason"] = "no group of similar statements from at least 2 interviews was found"

    result = np.full(n, -1, dtype=np.int64)
    result[order] = labels
    params["n_themes"] = int(labels.max()) + 1 if (labels >= 0).any() else 0
    params["n_unassigned"] = int((labels < 0).sum())
    return ThemeAssignment(labels=result, params=params)
