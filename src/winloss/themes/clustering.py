"""Theme discovery: HDBSCAN on statement vectors, then merging, dissolving and outlier reassignment.

Everything here is a pure function of (vectors, groups, keys, settings): rows are put into a canonical order by
their keys before anything is computed, so the order of the input never changes the themes or their ids.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from winloss.models import Statement
from winloss.themes.vectors import unit

DEFAULT_MIN_SIZE = 8  # statements; see docs/themes.md for why
SMALL_STUDY_RATIO = 7  # below 7 x min_size statements, the minimum theme size shrinks to n / 7 ...
SMALL_STUDY_FLOOR = 3  # ... but never below 3 statements


@dataclass
class ThemeAssignment:
    labels: np.ndarray  # int per row; -1 unassigned; themes numbered 0..k-1 by size desc, ties by smallest key
    params: dict = field(default_factory=dict)  # everything that shaped the result, for run.json

    @property
    def reason(self) -> str:
        """Why no themes were found ('' when some were)."""
        return str(self.params.get("reason", ""))

    @property
    def n_themes(self) -> int:
        return int(self.labels.max()) + 1 if self.labels.size and self.labels.max() >= 0 else 0


def statement_vectors(embedder, statements: list[Statement], *, turn_weight: float = 0.5,
                      question_weight: float = 0.6, own: np.ndarray | None = None) -> np.ndarray:
    """The vectors that get clustered: the statement, nudged towards its turn and the question it answers.

    A spoken statement ("it dragged on for months") often means something only in its context; adding the
    context's direction moves it towards statements about the same subject. Only placement changes: the
    statement's own text stays the evidence. A question that says nothing about the topic ("Can you tell me
    more?") is left out, see `_informative_questions`. `own`: the statements' own vectors, if the caller has them.
    """
    if not statements:
        return np.zeros((0, 0), dtype=np.float32)
    if own is None:
        own = embedder.encode([s.text for s in statements])
    mixed = own.copy()
    if turn_weight:
        turns = embedder.encode([s.turn_text or s.text for s in statements])
        mixed += turn_weight * turns
    if question_weight:
        use_q = _informative_questions(own, [s.question for s in statements], [s.interview_id for s in statements])
        if use_q.any():
            questions = embedder.encode([s.question if q else s.text for s, q in zip(statements, use_q)])
            mixed += question_weight * questions * use_q[:, None]
    return unit(mixed)


def _mean_pairwise_cosine(x: np.ndarray) -> float:
    """Mean cosine over all pairs of distinct rows of unit vectors, from |sum|^2 = n + sum over pairs."""
    n = len(x)
    total = x.astype(np.float64).sum(axis=0)
    return float((total @ total - n) / (n * n - n))


def _informative_questions(own: np.ndarray, questions: list[str], groups: list[str],
                           min_answers: int = 3, min_gain: float = 0.01) -> np.ndarray:
    """Which rows' questions may be used as context.

    A question asked again and again (in 2+ interviews, 3+ answers) whose answers are no more alike than any two
    statements of the study ("Can you tell me more about that?", "What happened next?") carries no topic; used
    as context it would pull unrelated answers together. Questions asked once cannot be judged and are kept.
    """
    keys = [" ".join(re.sub(r"[^a-z0-9 ]", " ", q.lower()).split()) for q in questions]
    use = np.array([bool(k) for k in keys])
    if len(own) < 2:
        return use
    background = _mean_pairwise_cosine(own)
    rows: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        if k:
            rows.setdefault(k, []).append(i)
    for members in rows.values():
        if len(members) >= min_answers and len({groups[i] for i in members}) >= 2:
            if _mean_pairwise_cosine(own[members]) - background < min_gain:
                use[members] = False
    return use


def _canonical_order(vectors: np.ndarray, keys: Sequence[str] | None, groups: Sequence[str]) -> np.ndarray:
    """A permutation that sorts rows by key, then group, then vector bytes: independent of the input order."""
    n = len(vectors)
    if keys is None:
        keys = [""] * n
    return np.array(sorted(range(n), key=lambda i: (str(keys[i]), str(groups[i]), vectors[i].tobytes())),
                    dtype=np.int64)


def _membership(labels: np.ndarray, k: int):
    """Sparse (k, n) 0/1 matrix: row t marks the members of theme t."""
    from scipy import sparse

    rows = np.flatnonzero(labels >= 0)
    return sparse.csr_matrix((np.ones(rows.size), (labels[rows], rows)), shape=(k, len(labels)))


def _centroids(x: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """All k theme centres at once (a sparse product, not k masked means: merging calls this in a loop)."""
    return unit(np.asarray(_membership(labels, k) @ x.astype(np.float64)))


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
    """A theme voiced in fewer than `min_groups` interviews is one person's repeated remark: unassign it."""
    return _dissolve_small(labels, groups, 1, min_groups)


def _dissolve_small(labels: np.ndarray, groups: np.ndarray, min_size: int, min_groups: int) -> tuple[np.ndarray, int]:
    labels = labels.copy()
    dissolved = 0
    for t in [t for t in np.unique(labels) if t >= 0]:
        members = labels == t
        if members.sum() < min_size or len(set(groups[members].tolist())) < min_groups:
            labels[members] = -1
            dissolved += 1
    return labels, dissolved


def _assign_outliers(x: np.ndarray, labels: np.ndarray, threshold: float) -> tuple[np.ndarray, int]:
    """An unassigned row joins the theme whose centroid is most similar, if that similarity >= threshold."""
    k = int(labels.max()) + 1 if (labels >= 0).any() else 0
    out = labels.copy()
    idx = np.flatnonzero(labels < 0)
    if k == 0 or idx.size == 0:
        return out, 0
    c = _centroids(x, labels, k)
    sim = x[idx] @ c.T
    best = np.argmax(sim, axis=1)
    ok = sim[np.arange(idx.size), best] >= threshold
    out[idx[ok]] = best[ok]
    return out, int(ok.sum())


LEFTOVER_THRESHOLD = 0.45  # a leftover joins a theme whose centre is at least this similar ...
LEFTOVER_NEIGHBOURS = 7  # ... and which holds the most of its 7 nearest themed statements ...
LEFTOVER_VOTES = 3  # ... at least 3 of them


def join_leftovers(x: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, int]:
    """A row still unassigned once themes are final joins a theme when two views agree: the theme's centre is
    the one most similar to it (>= LEFTOVER_THRESHOLD) and the theme holds the most (>= LEFTOVER_VOTES) of its
    LEFTOVER_NEIGHBOURS nearest themed rows.

    The vote lets strays outvote a row whose story they share: five lines of one interview about its HubSpot sync
    hold each other out of the CRM theme, because each one's nearest rows are the other four. Either view alone
    is too loose (docs/themes.md): the nearest centre takes asides into whatever theme is least far, and the
    nearest themed rows disagree with it exactly where a row sits between two themes.
    """
    themed = np.flatnonzero(labels >= 0)
    left = np.flatnonzero(labels < 0)
    if themed.size < LEFTOVER_NEIGHBOURS or left.size == 0:
        return labels, 0
    k = int(labels.max()) + 1
    centre_sim = x[left] @ _centroids(x, labels, k).T
    nearest = np.argmax(centre_sim, axis=1)
    out = labels.copy()
    chunk = max(1, min(2048, NEIGHBOUR_BLOCK // themed.size))
    for lo in range(0, left.size, chunk):
        block = x[left[lo : lo + chunk]] @ x[themed].T
        part = np.argpartition(block, -LEFTOVER_NEIGHBOURS, axis=1)[:, -LEFTOVER_NEIGHBOURS:]
        vals = np.take_along_axis(block, part, axis=1)
        top = np.take_along_axis(part, np.lexsort((part, -vals), axis=1), axis=1)  # as _neighbours: ties by row
        for r, row_top in enumerate(top):
            i = lo + r
            votes = np.bincount(labels[themed[row_top]], minlength=k)
            t = int(np.argmax(votes))  # the first maximum: a tie goes to the lower theme
            if t == nearest[i] and votes[t] >= LEFTOVER_VOTES and centre_sim[i, t] >= LEFTOVER_THRESHOLD:
                out[left[i]] = t
    return out, int((out != labels).sum())


NEIGHBOUR_BLOCK = 2**28  # similarities held at once: 2048 rows up to 131,072 statements, fewer rows beyond


def _neighbours(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k most similar other rows (cosine) and their similarities, most similar first.

    Exact and all-pairs, so O(n^2) in time (docs/scale.md). Computed in row chunks so 20,000 statements never need
    a 20,000 x 20,000 matrix; the chunk shrinks with n so a block (and argpartition's int64 copy of it) stays near
    3 GB: at 500,000 statements a fixed 2,048 rows would need 12 GB. The chunk depends on n alone, so the result is
    still a function of the input. Rows are already in canonical order, so ties are broken the same way whatever
    order the caller's rows came in.
    """
    n = len(x)
    k = min(k, n - 1)
    chunk = max(1, min(2048, NEIGHBOUR_BLOCK // n))
    idx = np.empty((n, k), dtype=np.int64)
    sims = np.empty((n, k), dtype=np.float64)
    for lo in range(0, n, chunk):
        block = x[lo : lo + chunk] @ x.T
        rows = np.arange(block.shape[0])
        block[rows, lo + rows] = -np.inf
        part = np.argpartition(block, -k, axis=1)[:, -k:]
        vals = np.take_along_axis(block, part, axis=1)
        order = np.lexsort((part, -vals), axis=1)
        idx[lo : lo + chunk] = np.take_along_axis(part, order, axis=1)
        sims[lo : lo + chunk] = np.take_along_axis(vals, order, axis=1)
    return idx, sims


def _smooth(x: np.ndarray, idx: np.ndarray, iterations: int) -> np.ndarray:
    """Replace each vector by the mean of itself and its neighbours, a few times.

    This is a deterministic stand-in for what UMAP's neighbour graph does for BERTopic: dense groups of
    paraphrases contract, the space between them empties, and HDBSCAN can see them.
    """
    z = x.astype(np.float64)
    full = np.concatenate([np.arange(len(x))[:, None], idx], axis=1)
    for _ in range(iterations):
        z = z[full].mean(axis=1)
        z /= np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
    return z


def _reduce(z: np.ndarray, dims: int) -> np.ndarray:
    """PCA from the eigenvectors of the covariance matrix: exact and deterministic (no randomised solver), and
    cheap because the matrix is only d x d. Few dimensions let HDBSCAN's space trees work."""
    dims = min(dims, z.shape[0] - 1, z.shape[1])
    centred = z - z.mean(axis=0)
    _, vecs = np.linalg.eigh(centred.T @ centred)
    top = vecs[:, ::-1][:, :dims]
    # an eigenvector's sign is arbitrary; fix it so the projection is reproducible across LAPACK builds
    top = top * np.where(top[np.argmax(np.abs(top), axis=0), np.arange(dims)] < 0, -1.0, 1.0)
    return centred @ top


def _propagate(labels: np.ndarray, idx: np.ndarray, sims: np.ndarray, iterations: int) -> np.ndarray:
    """Each row takes the theme most of its neighbours (weighted by similarity, itself included) belong to.

    Fixes HDBSCAN's ragged borders and gives leftovers between two themes to the one their neighbours chose.
    Unassigned neighbours vote for "unassigned", so a statement among other strays stays unassigned.
    """
    from scipy import sparse

    n = len(labels)
    k = int(labels.max()) + 1
    rows = np.arange(n)
    # row i: weight 1 on itself, its similarity on each neighbour
    graph = sparse.csr_matrix(
        (np.concatenate([np.ones(n), np.maximum(sims, 0.0).ravel()]),
         (np.concatenate([rows, np.repeat(rows, idx.shape[1])]), np.concatenate([rows, idx.ravel()]))),
        shape=(n, n))
    for _ in range(iterations):
        onehot = sparse.csr_matrix((np.ones(n), (rows, labels + 1)), shape=(n, k + 1))  # column 0: unassigned
        votes = (graph @ onehot).toarray()
        new = np.argmax(votes, axis=1) - 1  # argmax takes the first maximum: ties go to "unassigned" or lower id
        if np.array_equal(new, labels):
            break
        labels = new
    return labels


def _single_theme(x: np.ndarray, z: np.ndarray, min_size: int, min_samples: int, threshold: float) -> np.ndarray:
    """HDBSCAN never returns the whole data set as one cluster unless asked; when it finds nothing, ask, and keep
    the one theme only if its statements really are alike (mean cosine to their centroid >= threshold)."""
    import hdbscan

    labels = hdbscan.HDBSCAN(min_cluster_size=min_size, min_samples=min_samples, allow_single_cluster=True,
                             core_dist_n_jobs=1).fit_predict(z).astype(np.int64)
    members = labels == 0
    if members.sum() >= min_size and float((x[members] @ _centroids(x, labels, 1)[0]).mean()) >= threshold:
        return labels
    return np.full(len(x), -1, dtype=np.int64)


def find_themes(vectors: np.ndarray, *, groups: Sequence[str], min_size: int = DEFAULT_MIN_SIZE,
                keys: Sequence[str] | None = None, min_groups: int = 2, neighbours: int | None = None,
                smooth_iterations: int = 3, dims: int = 20, min_samples: int | None = None, merge_threshold: float = 0.9,
                assign_threshold: float = 0.5, propagate_iterations: int = 10,
                scale_small: bool = True) -> ThemeAssignment:
    """Group rows into themes without being told how many; rows that fit no theme stay -1.

    Steps (docs/themes.md): neighbour smoothing -> PCA -> HDBSCAN (min_cluster_size = min_size) -> dissolve
    themes from fewer than `min_groups` interviews -> merge near-duplicate themes -> unassigned rows join the
    nearest theme above `assign_threshold` -> neighbour-vote refinement. Nothing is random, so there is no seed.
    After the split and merge of themes/refine.py, `join_leftovers` gives the rows still unassigned a last chance.
    `scale_small=False` keeps `min_size` on few rows (re-clustering one theme's statements, themes/oversize.py).
    """
    import hdbscan

    vectors = np.asarray(vectors, dtype=np.float32)
    n = len(vectors)
    groups_arr = np.asarray([str(g) for g in groups], dtype=object)
    if len(groups_arr) != n or (keys is not None and len(keys) != n):
        raise ValueError(f"find_themes: {n} vectors but {len(groups_arr)} groups / {len(keys or [])} keys")
    requested = max(int(min_size), 2)
    # A small study cannot have many themes of the usual size: scale the size down (never below 3) so 30
    # statements can still show their 4-5 themes. Recorded in params, so the report can say so.
    min_size = max(SMALL_STUDY_FLOOR, min(requested, n // SMALL_STUDY_RATIO)) \
        if scale_small and n < SMALL_STUDY_RATIO * requested else requested
    k_nn = int(neighbours) if neighbours is not None else int(np.clip(min_size, 3, 15))
    min_samples_ = int(min_samples) if min_samples is not None else max(1, min_size // 3)
    params: dict = {
        "method": "knn-smoothing + pca + hdbscan + merge + neighbour-vote", "min_size": min_size,
        "min_size_requested": requested,
        "min_groups": int(min_groups), "neighbours": k_nn, "smooth_iterations": int(smooth_iterations),
        "dims": int(dims), "min_samples": min_samples_, "merge_threshold": merge_threshold, "assign_threshold": assign_threshold,
        "n_rows": n,
    }
    if n < 2 * min_size:
        params["reason"] = (f"{n} statements are too few for themes of at least {min_size} statements "
                            f"(need at least {2 * min_size}; lower --min-theme-size or add interviews)")
        params.update(n_themes=0, n_unassigned=n)
        return ThemeAssignment(labels=np.full(n, -1, dtype=np.int64), params=params)

    order = _canonical_order(vectors, keys, groups_arr)
    x = unit(vectors[order])
    g = groups_arr[order]

    idx, sims = _neighbours(x, k_nn)
    z = _reduce(_smooth(x, idx, smooth_iterations), dims)
    clusterer = hdbscan.HDBSCAN(min_cluster_size=min_size, min_samples=min_samples_, cluster_selection_method="eom",
                                core_dist_n_jobs=1)
    labels = clusterer.fit_predict(z).astype(np.int64)
    if labels.max() < 0:
        labels = _single_theme(x, z, min_size, min_samples_, assign_threshold)
    params["hdbscan_themes"] = int(labels.max()) + 1
    params["hdbscan_unassigned"] = int((labels < 0).sum())
    labels, dissolved = _dissolve_single_group(labels, g, min_groups)
    labels, merges = _merge_similar(x, labels, merge_threshold)
    labels, joined = _assign_outliers(x, labels, assign_threshold)
    if (labels >= 0).any():
        labels = _propagate(labels, idx, sims, propagate_iterations)
        # the vote can shrink a theme below the size or interview count it needs: those rows are unassigned
        labels, dissolved_after = _dissolve_small(labels, g, min_size, min_groups)
        dissolved += dissolved_after
    labels = _renumber(labels)
    params.update(dissolved=dissolved, merged=merges, outliers_joined=joined)
    if not (labels >= 0).any():
        params["reason"] = (f"no group of at least {min_size} similar statements from at least {min_groups} "
                            "interviews was found")

    result = np.full(n, -1, dtype=np.int64)
    result[order] = labels
    params["n_themes"] = int(labels.max()) + 1 if (labels >= 0).any() else 0
    params["n_unassigned"] = int((labels < 0).sum())
    return ThemeAssignment(labels=result, params=params)
