"""Themes for a run, honouring the study's codebook (themes/codebook.py reads and edits the file itself).

A statement seen before keeps its theme (after the user's merges, splits and deletions), a new statement joins the
existing theme it fits, and only statements that fit no existing theme may form new themes. An unchanged study
therefore reproduces its last run exactly. After the run, `update_codebook` writes the file back.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from winloss.themes.clustering import find_themes
from winloss.themes.codebook import (
    CENTRES,
    CODEBOOK,
    MEMBERS,
    N_EXAMPLES,
    Codebook,
    Theme,
    save,
    text_hash,
    write_centres,
    write_members,
)
from winloss.themes.ids import ids_of, theme_id, theme_sort_key
from winloss.themes.labeling import ThemeLabel
from winloss.themes.refine import Story, refine_themes
from winloss.themes.vectors import centre, unit

# A new statement fits a theme when its cosine to the theme centre reaches this, or the theme's own
# 10th-percentile member, whichever is lower (loose themes accept looser members).
FIT_THRESHOLD = 0.5
FIT_QUANTILE = 0.10
@dataclass
class Plan:
    """What the codebook decides before clustering. labels use the engine's numbering: theme Tnn is nn - 1."""

    labels: np.ndarray  # fixed theme per statement, -1 where none
    free: np.ndarray  # bool: statements that fit no existing theme and may form new themes
    next_label: int  # the label the first new theme gets
    params: dict


def _resolve(book: Codebook, tid: str) -> str:
    """Follow merges; '' for unassigned, deleted or unknown themes."""
    ids = {t.id: t for t in book.themes}
    while tid in ids and ids[tid].merge_into:
        tid = ids[tid].merge_into
    return tid if tid in ids and ids[tid].active else ""


def _centres(vectors: np.ndarray, labels: np.ndarray, numbers: list[int]) -> dict[int, np.ndarray]:
    return {n: centre(vectors[labels == n - 1]) for n in numbers if (labels == n - 1).any()}


def _seed_texts(theme: Theme, texts: Sequence[str], keys: Sequence[str]) -> list[str]:
    """Seeds given as statement ids stand for their statement's text."""
    by_key = dict(zip(keys, texts))
    return [by_key.get(s, s) for s in theme.seeds]


def split_members(member_texts: Sequence[str], seeds: Sequence[str], embedder, rounds: int = 3) -> np.ndarray:
    """True for the members that go to the theme split off by `seeds`.

    Seeded 2-means on the texts' own embeddings, where the seeds live: the split-off centre starts at the seeds,
    the parent's at the half of its members least like them; the seeds stay members of their side throughout.
    """
    own = embedder.encode(list(member_texts))
    seed = embedder.encode(list(seeds))
    affinity = (own @ seed.T).max(axis=1)
    child = unit(seed.mean(axis=0))
    rest = affinity <= np.median(affinity)
    parent = unit(own[rest].mean(axis=0))
    to_child = own @ child > own @ parent
    for _ in range(rounds):
        child = unit(np.vstack([seed, own[to_child]]).mean(axis=0))
        if (~to_child).any():
            parent = unit(own[~to_child].mean(axis=0))
        to_child = own @ child > own @ parent
    return to_child


def _seed_vectors(theme: Theme, texts: Sequence[str], keys: Sequence[str], vectors: np.ndarray, embedder):
    """A seed that is a statement id or a statement's exact text uses that statement's vector, else it is embedded."""
    index = {k: i for i, k in enumerate(keys)} | {t: i for i, t in enumerate(texts)}
    found = [vectors[index[s]] for s in theme.seeds if s in index]
    loose = [s for s in theme.seeds if s not in index]
    if loose:
        found.extend(embedder.encode(loose))
    return unit(np.mean(found, axis=0))


def apply_codebook(book: Codebook, texts: Sequence[str], keys: Sequence[str], vectors: np.ndarray,
                   embedder) -> Plan:
    """Fixed labels for statements that belong to or fit existing themes, and the mask of free statements."""
    n = len(keys)
    vectors = np.asarray(vectors, dtype=np.float32)
    labels = np.full(n, -1, dtype=np.int64)
    fresh = np.zeros(n, dtype=bool)  # never seen, or its text changed
    was_unassigned = np.zeros(n, dtype=bool)
    orphan = np.zeros(n, dtype=bool)  # its theme was deleted
    # Where each recorded theme's statements go now: -1 when the theme was deleted (or is unknown).
    label_of = {t.id: (book.get(_resolve(book, t.id)).number - 1 if _resolve(book, t.id) else -1) for t in book.themes}
    for i, (key, text) in enumerate(zip(keys, texts)):
        seen = book.members.get(key)
        if seen is None or seen[1] != text_hash(text):
            fresh[i] = True
        elif not seen[0]:
            was_unassigned[i] = True
        elif label_of.get(seen[0], -1) >= 0:
            labels[i] = label_of[seen[0]]
        else:
            orphan[i] = True

    params: dict = {"codebook": str(book.path), "themes_in_codebook": len(book.active())}
    splits = [t for t in book.active() if t.split_from]
    for child in splits:
        parent = book.get(_resolve(book, child.split_from) or child.split_from)
        members = np.flatnonzero(labels == parent.number - 1)
        if members.size:
            to_child = split_members([texts[i] for i in members], _seed_texts(child, texts, keys), embedder)
            labels[members] = np.where(to_child, child.number - 1, parent.number - 1)
        params.setdefault("split", {})[child.id] = int((labels == child.number - 1).sum())

    numbers = [t.number for t in book.active()]
    centres = _centres(vectors, labels, numbers)
    for t in book.active():
        stored = book.centres.get(t.id)
        if t.number not in centres and t.split_from:
            centres[t.number] = _seed_vectors(t, texts, keys, vectors, embedder)
        elif t.number not in centres and stored is not None and stored.shape == vectors.shape[1:]:
            centres[t.number] = stored
        elif t.number not in centres:
            # No statement of this theme is left (its interviews are gone): describe it in words instead.
            centres[t.number] = embedder.encode([". ".join([t.label, t.description, ", ".join(t.keywords)])])[0]
    thresholds = {}
    for number, middle in centres.items():
        sims = vectors[labels == number - 1] @ middle
        thresholds[number] = min(FIT_THRESHOLD, float(np.quantile(sims, FIT_QUANTILE))) if sims.size else FIT_THRESHOLD

    candidates = np.flatnonzero(fresh | orphan)
    if candidates.size and centres:
        order = sorted(centres)
        sims = vectors[candidates] @ np.stack([centres[k] for k in order]).T
        best = np.argmax(sims, axis=1)
        fits = sims[np.arange(candidates.size), best] >= np.array([thresholds[order[b]] for b in best])
        labels[candidates[fits]] = np.array(order)[best[fits]] - 1
        unfit = candidates[~fits]
    else:
        unfit = candidates
    fresh_unfit = unfit[fresh[unfit]]
    # Statements seen before and left unassigned were already judged; they may found a theme only together with
    # new ones, so an unchanged study reproduces its last run.
    free = np.zeros(n, dtype=bool)
    if fresh_unfit.size:
        free[fresh_unfit] = True
        free |= was_unassigned
    params.update(new_statements=int(fresh.sum()), joined_existing=int(fresh.sum() - fresh_unfit.size),
                  free=int(free.sum()))
    next_label = max([t.number for t in book.themes] + [book.next_id - 1])
    return Plan(labels=labels, free=free, next_label=next_label, params=params)


@dataclass(frozen=True)
class Assignment:
    """Each statement's theme id ('' = unassigned), in the ids users see, and what shaped it (for run.json)."""

    theme_of: np.ndarray  # object array of str, aligned with the statements
    new_themes: tuple[str, ...]  # ids this run added to an existing codebook (none without a codebook)
    reason: str  # why there are no themes, when there are none
    engine: dict  # the engine's settings and counts, recorded in run.json


def _subset(story: Story, idx: np.ndarray) -> Story:
    return Story([story.keys[i] for i in idx], [story.texts[i] for i in idx], np.asarray(story.own)[idx],
                 [story.stances[i] for i in idx], [story.cohorts[i] for i in idx], [story.groups[i] for i in idx],
                 story.competitors)


def _engine(vectors: np.ndarray, groups: Sequence[str], keys: Sequence[str], min_size: int, story: Story | None,
            offset: int) -> tuple[np.ndarray, dict]:
    """The engine, then (given the statements' stances and cohorts) its themes split and merged (themes/refine.py);
    labels in the engine's numbering, params for run.json."""
    found = find_themes(vectors, groups=groups, min_size=min_size, keys=keys)
    if story is None or found.n_themes == 0:
        return found.labels, found.params
    refined = refine_themes(found.labels, vectors, story, min_size=int(found.params["min_size"]))
    params = dict(found.params, refine=refined.record(offset), leftovers_joined=refined.joined,
                  n_themes=int(refined.labels.max()) + 1, n_unassigned=int((refined.labels < 0).sum()))
    return refined.labels, params


def assign_themes(book: Codebook | None, texts: Sequence[str], keys: Sequence[str], groups: Sequence[str],
                  vectors: np.ndarray, embedder, *, min_size: int, story: Story | None = None) -> Assignment:
    """The run's themes honouring the study's codebook: its themes keep their statements and take the new ones that
    fit; only statements that fit none are clustered into new themes, which get the next free ids. `story`
    (stances, cohorts, own vectors) lets the new themes be split and merged; the codebook's themes never are."""
    if book is None:
        labels, params = _engine(vectors, groups, keys, min_size, story, 0)
        return Assignment(ids_of(labels), (), str(params.get("reason", "")), params)
    plan = apply_codebook(book, texts, keys, vectors, embedder)
    labels = plan.labels.copy()
    params = dict(plan.params)
    new: list[int] = []
    idx = np.flatnonzero(plan.free)
    if idx.size:
        sub, sub_params = _engine(vectors[idx], [groups[i] for i in idx], [keys[i] for i in idx], min_size,
                                  None if story is None else _subset(story, idx), plan.next_label)
        found = sub >= 0
        labels[idx[found]] = sub[found] + plan.next_label
        new = sorted({int(x) + plan.next_label for x in sub[found]})
        params["new_themes_engine"] = {k: v for k, v in sub_params.items() if k != "reason"}
    params["new_themes"] = [theme_id(k + 1) for k in new]
    return Assignment(ids_of(labels), tuple(params["new_themes"]), "", params)


def keep_labels(book: Codebook | None, theme_labels: dict[str, ThemeLabel]) -> dict[str, ThemeLabel]:
    """The labels the user gave codebook themes stay; every other theme takes this run's label. A label that clashes
    with a user's falls back to the theme's previous label, a new theme's gets a suffix."""
    if book is None:
        return theme_labels
    out = dict(theme_labels)
    known = {t.id: t for t in book.active()}
    users = {tid: t.label for tid, t in known.items() if t.named_by_user}
    for tid, label in users.items():
        if tid in out:
            out[tid] = replace(out[tid], label=label)
    taken = {label.lower() for label in users.values()}
    for tid in sorted(set(out) - set(users), key=theme_sort_key):
        if out[tid].label.lower() in taken:
            before = known[tid].label if tid in known else ""
            label = before if before and before.lower() not in taken else f"{out[tid].label} (new)"
            out[tid] = replace(out[tid], label=label)
        taken.add(out[tid].label.lower())
    return out


def update_codebook(study_dir: Path, book: Codebook | None, statements_df, themes_df,
                    theme_labels: dict[str, ThemeLabel], vectors: np.ndarray | None = None) -> Codebook:
    """Write STUDY/codebook.toml, codebook.members.csv and codebook.centres.npy from this run's themes.

    `vectors` are the clustered statement vectors (aligned with statements_df); returns the new codebook.
    """
    study_dir = Path(study_dir)
    book = book or Codebook(study_dir / CODEBOOK, [], 1, {})
    old = {t.id: t for t in book.themes}
    keys = statements_df["statement_id"].astype(str).tolist()
    texts = statements_df["text"].astype(str).tolist()
    rows = themes_df.to_dict("records")
    themes: list[Theme] = []
    for r in rows:
        tid = str(r["theme_id"])
        central = theme_labels[tid].central if tid in theme_labels else []
        examples = [keys[i] for i in central[:N_EXAMPLES]]
        prev = old.get(tid)
        keywords = [k for k in str(r.get("keywords", "")).split("; ") if k]
        label = str(r["label"])
        if prev is not None and prev.active:
            description = prev.description or (f"Split from {prev.split_from}." if prev.split_from else "")
            mine = prev.named_by_user
            themes.append(Theme(id=tid, label=prev.label if mine else label,
                                machine_label=prev.machine_label if mine else label,
                                description=description, keywords=keywords,
                                examples=prev.examples if prev.pinned else examples, pinned=prev.pinned))
        else:
            themes.append(Theme(id=tid, label=label, machine_label=label, keywords=keywords, examples=examples))
    present = {t.id for t in themes}
    themes += [t for t in book.active() if t.pinned and t.id not in present]
    numbers = [t.number for t in themes] + [t.number for t in book.themes] + [book.next_id - 1]
    new_book = Codebook(book.path, themes, max(numbers) + 1, {})
    save(new_book, dict(zip(keys, texts)))
    assigned = statements_df["theme_id"].fillna("").astype(str).to_numpy()
    write_members(study_dir / MEMBERS, keys, assigned.tolist(), texts)
    if vectors is not None:
        centres = {t.id: centre(vectors[assigned == t.id]) for t in themes if (assigned == t.id).any()}
        # A pinned theme with no statement this run keeps the centre it had.
        centres |= {t.id: book.centres[t.id] for t in themes if t.id not in centres and t.id in book.centres}
        write_centres(study_dir / CENTRES, centres)
    return new_book


