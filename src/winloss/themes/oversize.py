"""Before refinement: a theme that swallowed several stories is re-clustered on its own, recursively.

On a small study in one domain (a payroll vendor's 162 statements: every one is about payroll) HDBSCAN's excess-of-mass
selection keeps the one big parent cluster whose children are each less stable than it, and outlier assignment and
the neighbour vote then feed it: a theme of half the study, from nearly every interview, that holds payroll
accuracy, multi-state filings, support, integrations and price. Its stories are there, but at a finer density scale
than the study's: HDBSCAN's own hierarchy of the whole study does not cut them cleanly (its children of the big
cluster leave most of it as noise), while the same engine run on the theme's statements alone, where the neighbour
graph, the smoothing and PCA see only them, finds them.

So a theme holding more than `MAX_SHARE` of the study's statements and `SIBLING_RATIO` x the next largest theme's
is handed back to the engine (`clustering.find_themes` on its statements alone), which looks for groups of `FINER`
x the minimum theme size; those of at least the minimum size from two or more interviews are kept. With two or
more, they replace the theme, its statements that fit none of them join the nearest one (a split moves statements,
it unassigns none), and each part is re-clustered in turn, `MAX_DEPTH` deep at most: the engine finding sub-themes
is the evidence of structure, so nothing else is tested, and what turns out to be one story is rejoined by
refine's merge rule. The share is measured against the whole study, so a study's largest real story (the demo's
is 13 %) is not touched; the whole study in one theme has no siblings and is left to the
stance and sub-topic split. Pure and deterministic: the engine sorts its rows by key.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from winloss.themes.vectors import unit

MAX_SHARE = 0.25  # a theme with more than a quarter of all statements ...
SIBLING_RATIO = 2.0  # ... and twice the next largest theme's statements is re-clustered
MAX_DEPTH = 4  # re-clustering a re-clustered part at most this deep
FINER = 0.75  # the re-clustering looks for groups of 3/4 of the minimum theme size; smaller ones are dissolved

Split = tuple[int, list[int], dict]  # (theme, its labels after: itself first, then the new ones, figures)


def split_oversized(labels: np.ndarray, vectors: np.ndarray, groups: Sequence[str], keys: Sequence[str], *,
                    min_size: int, fixed: frozenset[int] = frozenset()) -> tuple[np.ndarray, list[Split]]:
    """The labels with every oversized theme not in `fixed` replaced by its sub-themes (new labels from
    max + 1), and the splits as (theme, [labels after], figures) in the order they were made."""
    from winloss.themes.clustering import find_themes

    labels = np.asarray(labels, dtype=np.int64).copy()
    x = unit(np.asarray(vectors, dtype=np.float32))
    groups_arr = np.asarray([str(g) for g in groups], dtype=object)
    n = len(labels)
    sizes = sorted(np.bincount(labels[labels >= 0]).tolist(), reverse=True) if (labels >= 0).any() else []
    # the whole study in one theme has no siblings: that is the engine's finding (or the stance split's case)
    limit = max(MAX_SHARE * n, SIBLING_RATIO * sizes[1]) if len(sizes) > 1 else np.inf
    splits: list[Split] = []
    todo = [(int(t), 0) for t in sorted({int(t) for t in labels if t >= 0} - set(fixed))]
    while todo:
        t, depth = todo.pop(0)
        members = np.flatnonzero(labels == t)
        if (depth == 0 and members.size <= limit) or depth >= MAX_DEPTH:
            continue
        found = find_themes(x[members], groups=groups_arr[members].tolist(), min_size=max(3, int(FINER * min_size)),
                            keys=[keys[i] for i in members], scale_small=False)
        found_labels = _keep_big(found.labels, groups_arr[members], min_size)
        k = int(found_labels.max()) + 1
        if k < 2:
            continue
        sub = _nearest_for_leftovers(x[members], found_labels)
        new = [t] + [int(labels.max()) + j for j in range(1, k)]
        labels[members] = np.asarray(new, dtype=np.int64)[sub]
        splits.append((t, new, {"depth": depth, "share": round(members.size / n, 3),
                                "interviews": len(set(groups_arr[members].tolist())),
                                "sizes": [int((sub == j).sum()) for j in range(k)],
                                "leftovers_joined": int((found_labels < 0).sum())}))
        todo += [(label, depth + 1) for label in new]
    return labels, splits


def _nearest_for_leftovers(x: np.ndarray, sub: np.ndarray) -> np.ndarray:
    """Statements the re-clustering left out were in the theme: each joins the sub-theme whose centre is nearest
    (the engine's outlier step with no threshold), so the split moves statements between themes and unassigns none."""
    from winloss.themes.clustering import _assign_outliers

    return _assign_outliers(x, sub, -np.inf)[0]


def _keep_big(sub: np.ndarray, groups: np.ndarray, min_size: int) -> np.ndarray:
    """Sub-themes below the study's minimum theme size or from one interview are dissolved (the engine's own
    rule); the rest renumbered 0..k-1 in their order."""
    from winloss.themes.clustering import _dissolve_small

    kept, _ = _dissolve_small(sub, groups, min_size, 2)
    ids = np.unique(kept[kept >= 0])
    return np.where(kept >= 0, np.searchsorted(ids, kept), -1)
