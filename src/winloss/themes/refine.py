"""After the engine: split a theme that holds two stories, merge sibling themes that tell one.

The engine groups statements by what they are about; it cannot see stance or cohorts. Two moves fix what it gets
wrong, both pure functions of the statements, their vectors, stances and cohorts (no randomness, rows taken in key
order), and both recorded (`Move`) for run.json. First a theme that swallowed several stories (over a quarter of
the study, twice its next sibling) is re-clustered on its own (themes/oversize.py), also recorded as a split whose
parts the merge rule may rejoin. Then:

- **split**: a theme is cut in two when its two parts are two clusters *and* two stories. Candidates are a 2-means
  cut of the statements' own vectors (sub-topics) and the stance cut (positive statements against negative ones,
  neutral ones to the nearer side). A cut is taken when its silhouette (cosine) reaches 0.25 (below it Kaufman and
  Rousseeuw's scale reads "no substantial structure"), both parts keep the minimum theme size and two interviews,
  and the parts tell different stories: one praises and the other criticises, or they lean to different cohorts.
  Stance alone is not a subject: praise and criticism of one subject is a flip that drivers count by stance, so the
  stance cut must also separate the words; and words alone are the engine's job (see `_different_stories`).
- **merge**: two close themes (context vectors, cosine >= 0.55) are one when they tell the same story (they share
  two or more words of their top eight c-TF-IDF phrases, their dominant stances do not oppose - neutral, no side
  taken, opposes neither - and both lean to the same cohort: its share of interviews mentioning the theme is 1.5 x
  any other cohort's), or when they are a flip: one subject (their most distinctive phrases share a word) praised
  by one cohort and criticised by another, neither about a competitor (`one_story`). Without cohorts there is no
  lean, and nothing is merged. Closest pair first, one at a time; a pair this run's split cut apart stays apart.

Themes in `fixed` (the codebook's: named, pinned or seen before) are neither split nor merged.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from winloss.themes.clustering import join_leftovers
from winloss.themes.labeling import _stem, class_scores, keywords_of, phrase_counts
from winloss.themes.oversize import split_oversized
from winloss.themes.parties import names_competitor
from winloss.themes.vectors import unit

SPLIT_SILHOUETTE = 0.25
MERGE_COSINE = 0.55
MERGE_SHARED_WORDS = 2
KEY_PHRASES = 8
MIN_GROUPS = 2
# A theme takes a side only when at least this share of its statements do (and more one way than the other): one
# positive statement among nine neutral ones made a budget-cycle theme "positive", so it opposed its negative
# budget-freeze sibling and the two stayed apart (the demo, after a stance rule read "we picked you" as praise).
SIDE_SHARE = 0.25
SAME_STORY, FLIP = "same story", "one subject, opposite stances in two cohorts"
OVERSIZED = "several stories in one theme: re-clustered on its own"  # over a quarter of the study, or a part of one
RIVAL_SHARE = 0.25  # a theme with this share of statements naming a competitor is about that competitor
COHORT_SKEW = 1.5  # a theme leans to a cohort when that cohort's share of interviews is 1.5 x the next one's


@dataclass(frozen=True)
class Story:
    """What refinement reads about each statement besides its clustered vector (rows aligned with the vectors)."""

    keys: Sequence[str]  # statement ids: the canonical row order
    texts: Sequence[str]
    own: np.ndarray  # each statement's own words (unit vectors): sub-topics are cut on what was said
    stances: Sequence[str]  # positive / negative / neutral
    cohorts: Sequence[str]  # won / lost / churned ...
    groups: Sequence[str]  # interview ids
    competitors: Sequence[str] = ()  # names from the CRM: a theme about a competitor is no mirror of one about us


@dataclass(frozen=True)
class Move:
    """One split or merge. `themes` are the labels before the move, `into` those after (engine numbering until
    `Refined.record` turns them into the ids users see)."""

    kind: str  # "split" | "merge"
    themes: tuple[int, ...]
    into: tuple[int, ...]
    why: str
    figures: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Refined:
    labels: np.ndarray  # engine numbering again: 0..k-1 by size, -1 unassigned
    moves: tuple[Move, ...]
    final: dict[int, int]  # label during refinement -> final label (-1: gone)
    born: dict[int, str]  # a label born in a split -> its name before the ids are known ("engine 3, part 2")
    joined: int = 0  # unassigned statements that joined a final theme (clustering.join_leftovers)

    def record(self, offset: int = 0) -> list[dict]:
        """The moves for run.json, in the ids users see (`offset`: the number of the first theme, minus one).
        Before a move a theme is named by the engine's numbering ("engine 10", "engine 10, part 2")."""
        from winloss.themes.ids import theme_id

        def before(label: int) -> str:
            if label not in self.born:
                return f"engine {label + 1 + offset}"
            engine, part = self.born[label].split(":")
            return f"engine {int(engine) + 1 + offset}, part {part}"

        def after(label: int) -> str:
            final = self.final.get(label, -1)
            return theme_id(final + 1 + offset) if final >= 0 else before(label)

        return [{"move": m.kind, "from": [before(t) for t in m.themes], "into": [after(t) for t in m.into],
                 "why": m.why, **m.figures} for m in self.moves]


def _renumber(labels: np.ndarray, keys: Sequence[str]) -> tuple[np.ndarray, dict[int, int]]:
    """Themes by size desc, ties by smallest key; the map from old to new labels."""
    ids = sorted({int(t) for t in labels if t >= 0})
    first = {t: min(keys[i] for i in np.flatnonzero(labels == t)) for t in ids}
    order = sorted(ids, key=lambda t: (-int((labels == t).sum()), first[t]))
    mapping = {old: new for new, old in enumerate(order)}
    out = np.array([mapping.get(int(t), -1) for t in labels], dtype=np.int64)
    return out, mapping


def silhouette(x: np.ndarray, side: np.ndarray) -> float:
    """Mean silhouette (cosine distance) of a two-way cut of unit vectors; -1 when a side is empty."""
    if side.all() or not side.any():
        return -1.0
    d = 1.0 - x @ x.T
    n = len(x)
    a_sum = np.where(side[None, :] == side[:, None], d, 0.0).sum(axis=1)
    b_sum = d.sum(axis=1) - a_sum
    same = np.where(side, side.sum(), n - side.sum()).astype(np.float64)
    a = a_sum / np.maximum(same - 1, 1)
    b = b_sum / np.maximum(n - same, 1)
    s = (b - a) / np.maximum(np.maximum(a, b), 1e-12)
    s[same == 1] = 0.0  # a point alone on its side has silhouette 0 by convention
    return float(s.mean())


def _first_component(centred: np.ndarray, rounds: int = 50) -> np.ndarray:
    """The first principal axis by power iteration (a d x d eigensolver per theme costs more than the whole
    refinement); starts from the row farthest from the centre, sign fixed by the largest coordinate."""
    axis = centred[int(np.argmax(np.einsum("ij,ij->i", centred, centred)))].astype(np.float64)
    for _ in range(rounds):
        nxt = centred.T @ (centred @ axis)
        norm = np.linalg.norm(nxt)
        if norm == 0:
            break
        axis = nxt / norm
    return axis if axis[np.argmax(np.abs(axis))] >= 0 else -axis


def two_means(x: np.ndarray, rounds: int = 20) -> np.ndarray:
    """A deterministic spherical 2-means cut, started from the sign of the first principal component; True marks
    one side."""
    centred = (x - x.mean(axis=0)).astype(np.float64)
    side = centred @ _first_component(centred) > 0
    for _ in range(rounds):
        if side.all() or not side.any():
            break
        c = unit(np.stack([x[side].mean(axis=0), x[~side].mean(axis=0)]))
        new = x @ c[0] >= x @ c[1]
        if np.array_equal(new, side):
            break
        side = new
    return side


def stance_cut(x: np.ndarray, stances: np.ndarray) -> np.ndarray:
    """Positive statements on one side, negative on the other, neutral ones to the nearer of the two centres."""
    pos, neg = stances == "positive", stances == "negative"
    if not pos.any() or not neg.any():
        return np.zeros(len(x), dtype=bool)
    c = unit(np.stack([x[pos].mean(axis=0), x[neg].mean(axis=0)]))
    return np.where(pos, True, np.where(neg, False, x @ c[0] > x @ c[1]))


def _big_enough(side: np.ndarray, groups: np.ndarray, min_size: int) -> bool:
    return all(part.sum() >= min_size and len(set(groups[part].tolist())) >= MIN_GROUPS for part in (side, ~side))


def best_split(own: np.ndarray, stances: np.ndarray, groups: np.ndarray, min_size: int,
               apart: Callable[[np.ndarray], bool]) -> tuple[str, np.ndarray, float] | None:
    """The better of the sub-topic and the stance cut of one theme's statements that passes every test; else None.
    `apart(side)`: whether the two sides tell different stories."""
    if len(own) < 2 * min_size:
        return None
    found = []
    for why, side in (("two sub-topics", two_means(own)), ("opposite stances", stance_cut(own, stances))):
        if _big_enough(side, groups, min_size):
            score = silhouette(own, side)
            if score >= SPLIT_SILHOUETTE and apart(side):
                found.append((score, why, side))
    if not found:
        return None
    # when both cuts are as good (often the same cut), saying it is a stance split tells the reader more
    score, why, side = max(found, key=lambda f: (round(f[0], 6), f[1] == "opposite stances"))
    return why, side, score


@dataclass(frozen=True)
class Profile:
    """What a theme says and who says it, for the merge rule."""

    stance: str  # the more frequent of positive and negative, if SIDE_SHARE of the statements take it; else neutral
    cohort: str  # the cohort it leans to (largest share of its interviews, COHORT_SKEW x the next); '' if none
    words: frozenset[str]  # the words of its top key phrases
    subject: frozenset[str] = frozenset()  # the words of its most distinctive key phrase (c-TF-IDF's first)
    rival: float = 0.0  # share of its statements that name a competitor


def profile(members: np.ndarray, story: Story, words: list[str], cohort_sizes: dict[str, int]) -> Profile:
    stances = np.asarray(story.stances, dtype=object)[members]
    pos, neg = int((stances == "positive").sum()), int((stances == "negative").sum())
    least = SIDE_SHARE * len(members)
    stance = "positive" if pos > neg and pos >= least else "negative" if neg > pos and neg >= least else "neutral"
    said_by: dict[str, set[str]] = {}
    for i in members:
        said_by.setdefault(str(story.cohorts[i]), set()).add(str(story.groups[i]))
    share = sorted(((len(said_by.get(c, ())) / n, c) for c, n in cohort_sizes.items()), key=lambda v: (-v[0], v[1]))
    leans = len(share) > 1 and share[0][0] >= COHORT_SKEW * share[1][0]
    cohort = share[0][1] if leans else ""
    names = frozenset(n.lower() for n in story.competitors if n)
    rival = float(np.mean([names_competitor(str(story.texts[i]), names) for i in members])) \
        if names and len(members) else 0.0
    return Profile(stance, cohort, frozenset(w for phrase in words for w in _stem(phrase).split()),
                   frozenset(_stem(words[0]).split()) if words else frozenset(), rival)


def cohort_sizes(story: Story) -> dict[str, int]:
    """Interviews per cohort."""
    said: dict[str, set[str]] = {}
    for g, c in zip(story.groups, story.cohorts):
        said.setdefault(str(c), set()).add(str(g))
    return {c: len(said[c]) for c in sorted(said)}


def _different_stories(a: Profile, b: Profile) -> bool:
    """Two parts tell different stories when one praises and the other criticises, or they lean to different
    cohorts. Parts that differ only in words are left to the engine: on Banking77, whose intents the engine already
    separates, every such sub-topic split lowered ARI (0.562 to 0.525-0.557 for silhouette thresholds 0.25-0.40)."""
    return _opposed(a.stance, b.stance) or bool(a.cohort and b.cohort and a.cohort != b.cohort)


def _opposed(a: str, b: str) -> bool:
    """Praise against criticism; a theme that takes no side (neutral) opposes neither."""
    return {a, b} == {"positive", "negative"}


def refine_themes(labels: np.ndarray, vectors: np.ndarray, story: Story, *, min_size: int,
                  fixed: frozenset[int] = frozenset()) -> Refined:
    """Split, then merge, the themes of `labels` (engine numbering, -1 unassigned) not in `fixed`."""
    labels = np.asarray(labels, dtype=np.int64).copy()
    own = np.asarray(story.own, dtype=np.float32)
    x = unit(np.asarray(vectors, dtype=np.float32))
    groups = np.asarray([str(g) for g in story.groups], dtype=object)
    stances = np.asarray([str(s) for s in story.stances], dtype=object)
    moves: list[Move] = []
    born: dict[int, str] = {}  # "engine:part", the part numbered from 1 and dotted for a part of a part
    labels, splits = split_oversized(labels, x, story.groups, story.keys, min_size=min_size, fixed=fixed)
    for t, into, figures in splits:
        engine, part = born.get(t, f"{t}:").split(":")
        born.update({child: f"{engine}:{part + '.' if part else ''}{n + 1}" for n, child in enumerate(into) if n})
        moves.append(Move("split", (t,), tuple(into), OVERSIZED, figures))
    next_label = int(labels.max()) + 1 if labels.size else 0
    sizes = cohort_sizes(story)

    for t in sorted({int(t) for t in labels if t >= 0} - set(fixed)):
        members = np.flatnonzero(labels == t)
        members = members[np.argsort([story.keys[i] for i in members], kind="stable")]  # key order: row order is moot
        cut = best_split(own[members], stances[members], groups[members], min_size,
                         lambda side, m=members: _different_stories(
                             profile(m[side], story, [], sizes), profile(m[~side], story, [], sizes)))
        if cut is None:
            continue
        why, side, score = cut
        labels[members[~side]] = next_label
        engine, part = born.get(t, f"{t}:").split(":")
        born[next_label] = f"{engine}:{part + '.' if part else ''}2"
        moves.append(Move("split", (t,), (t, next_label), why,
                          {"silhouette": round(score, 3), "sizes": [int(side.sum()), int((~side).sum())]}))
        next_label += 1

    # the story splits' parts stay apart; an oversized theme's parts may be one story, which merging rejoins
    split_pairs = {frozenset(m.into) for m in moves if m.why != OVERSIZED}
    labels, moves = _merge_siblings(labels, x, story, fixed, moves, split_pairs)
    labels, joined = join_leftovers(x, labels)
    final, mapping = _renumber(labels, story.keys)
    # a label that was merged away follows the theme it went into
    into = {m.themes[1]: m.themes[0] for m in moves if m.kind == "merge"}
    for gone, target in into.items():
        while target in into:
            target = into[target]
        mapping.setdefault(gone, mapping.get(target, -1))
    return Refined(final, tuple(moves), mapping, born, joined)


def one_story(a: Profile, b: Profile) -> str:
    """Why two close themes are one (SAME_STORY or FLIP), or '' when they are two.

    Same story: two or more shared key-phrase words, stances not opposed, the same cohort lean. A flip: one
    subject (their most distinctive key phrases share a word) praised by one cohort and criticised by another; the
    analyst reports it as one theme whose stance flips ("praised by won, criticised by churned"), and drivers count
    it by stance. A theme about a competitor is never a flip of one about us ("our forecast" against "their AI
    forecasting was better"): the subject differs though the word is shared."""
    shared = a.words & b.words
    if not _opposed(a.stance, b.stance) and a.cohort and a.cohort == b.cohort and len(shared) >= MERGE_SHARED_WORDS:
        return SAME_STORY
    if _opposed(a.stance, b.stance) and a.cohort and b.cohort and a.cohort != b.cohort and a.subject & b.subject \
            and max(a.rival, b.rival) < RIVAL_SHARE:
        return FLIP
    return ""


def _merge_siblings(labels: np.ndarray, x: np.ndarray, story: Story, fixed: frozenset[int],
                    moves: list[Move], apart: set[frozenset[int]]) -> tuple[np.ndarray, list[Move]]:
    """`apart`: pairs a split of this run cut in two, never merged back."""
    rows = np.flatnonzero(labels >= 0)
    counted = phrase_counts(list(story.texts), rows)
    sizes = cohort_sizes(story)
    while True:
        ids = sorted({int(t) for t in labels if t >= 0})
        if len(ids) < 2 or counted is None:
            return labels, moves
        position = {t: n for n, t in enumerate(ids)}
        scores, support = class_scores(counted, np.array([position[int(t)] for t in labels[rows]]), len(ids))
        members = {t: np.flatnonzero(labels == t) for t in ids}
        profiles = {t: profile(members[t], story, keywords_of(scores, support, counted.terms, position[t],
                                                              KEY_PHRASES), sizes) for t in ids}
        c = unit(np.stack([x[members[t]].mean(axis=0) for t in ids]))
        sims = c @ c.T
        best = None
        for i, a in enumerate(ids):
            for j in range(i + 1, len(ids)):
                b = ids[j]
                if a in fixed or b in fixed or sims[i, j] < MERGE_COSINE or frozenset((a, b)) in apart:
                    continue
                why = one_story(profiles[a], profiles[b])
                if why and (best is None or sims[i, j] > best[0]):
                    best = (float(sims[i, j]), a, b, why)
        if best is None:
            return labels, moves
        sim, a, b, why = best
        shared = sorted(profiles[a].words & profiles[b].words)
        keep, gone = (a, b) if (len(members[a]), -a) >= (len(members[b]), -b) else (b, a)
        labels[labels == gone] = keep
        p = profiles[keep]
        q = profiles[gone]
        moves.append(Move("merge", (keep, gone), (keep,), why,
                          {"centroid_cosine": round(sim, 3), "shared_words": shared,
                           **({"stance": p.stance, "cohort": p.cohort} if why == SAME_STORY
                              else {"stance_by_cohort": {p.cohort: p.stance, q.cohort: q.stance}}),
                           "sizes": [len(members[keep]), len(members[gone])]}))
