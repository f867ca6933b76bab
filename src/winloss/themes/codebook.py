"""The study's codebook: STUDY/codebook.toml (themes the user owns) and STUDY/codebook.members.csv (which statement
was in which theme last run).

The first run writes both. Every later run honours them: a statement seen before keeps its theme (after the user's
merges, splits and deletions), a new statement joins the existing theme it fits, and only statements that fit no
existing theme may form new themes, which get the next free ids. An unchanged study therefore reproduces its last
run exactly. Users edit the TOML by hand or with `winloss themes rename|merge|split|pin|delete`.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from winloss.settings import ConfigError

CODEBOOK = "codebook.toml"
MEMBERS = "codebook.members.csv"
# Each theme's centre from the last run: lets a theme whose statements are all gone (a new quarter's study that
# starts from last quarter's codebook) still recognise new statements.
CENTRES = "codebook.centres.npy"
N_EXAMPLES = 5
# A new statement fits a theme when its cosine to the theme centre reaches this, or the theme's own
# 10th-percentile member, whichever is lower (loose themes accept looser members).
FIT_THRESHOLD = 0.5
FIT_QUANTILE = 0.10
ID_PATTERN = re.compile(r"T(\d+)")

HEADER = """\
# winloss codebook. Written by `winloss run`; edit it freely, the next run honours it (docs/research.md).
#   rename: change a label.       merge: on the theme to absorb, set merge_into = "T01".
#   delete: set deleted = true.   pin: pinned = true keeps a theme (and its examples) even when no statement fits.
#   split: `winloss themes split T03 --seed-example "..."` adds a theme with split_from and seeds.
# Ids are never reused: next_id is the number the next new theme gets.
"""


class CodebookError(ConfigError):
    pass


@dataclass
class Theme:
    id: str
    label: str
    description: str = ""
    keywords: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)  # statement ids, most central first
    pinned: bool = False
    deleted: bool = False
    merge_into: str = ""
    split_from: str = ""
    seeds: list[str] = field(default_factory=list)  # example texts (or statement ids) of a theme split off

    @property
    def number(self) -> int:
        return int(ID_PATTERN.fullmatch(self.id).group(1))

    @property
    def active(self) -> bool:
        return not self.deleted and not self.merge_into


@dataclass
class Codebook:
    path: Path
    themes: list[Theme]
    next_id: int
    members: dict[str, tuple[str, str]]  # statement_id -> (theme_id or "", text hash)
    centres: dict[str, np.ndarray] = field(default_factory=dict)  # theme id -> unit vector from the last run

    def get(self, theme_id: str) -> Theme:
        wanted = normalise_id(theme_id)
        for theme in self.themes:
            if theme.id == wanted:
                return theme
        known = ", ".join(f"{t.id} ({t.label})" for t in self.themes if t.active)
        raise CodebookError(f"{self.path}: no theme {theme_id}; known: {known or 'none'}")

    def active(self) -> list[Theme]:
        return [t for t in self.themes if t.active]

    def new_id(self) -> str:
        used = max([t.number for t in self.themes] + [self.next_id - 1])
        self.next_id = used + 2
        return theme_id(used + 1)


def theme_id(number: int) -> str:
    return f"T{number:02d}"


def normalise_id(value: str) -> str:
    match = re.fullmatch(r"[tT]0*(\d+)", value.strip())
    return theme_id(int(match.group(1))) if match else value.strip()


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


# -- reading and writing ------------------------------------------------------------------------------------------
def load(study_dir: Path) -> Codebook | None:
    """The study's codebook, or None before the first run. Errors name the file and the theme."""
    path = Path(study_dir) / CODEBOOK
    if not path.exists():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CodebookError(f"{path}: not valid TOML: {exc}") from exc
    known = {f for f in Theme.__dataclass_fields__}
    themes = []
    for n, entry in enumerate(data.get("theme", []), start=1):
        unknown = sorted(set(entry) - known)
        if unknown:
            raise CodebookError(f"{path}: theme {entry.get('id', f'#{n}')}: unknown key(s) {', '.join(unknown)}")
        if "id" not in entry or not ID_PATTERN.fullmatch(normalise_id(str(entry["id"]))):
            raise CodebookError(f"{path}: theme #{n}: id must look like T01, got {entry.get('id')!r}")
        entry = {**entry, "id": normalise_id(str(entry["id"]))}
        if entry.get("merge_into"):
            entry["merge_into"] = normalise_id(str(entry["merge_into"]))
        if entry.get("split_from"):
            entry["split_from"] = normalise_id(str(entry["split_from"]))
        entry.setdefault("label", entry["id"])
        themes.append(Theme(**entry))
    book = Codebook(path, themes, int(data.get("next_id", 1)), read_members(Path(study_dir) / MEMBERS),
                    read_centres(Path(study_dir) / CENTRES))
    validate(book)
    return book


def validate(book: Codebook) -> None:
    ids = [t.id for t in book.themes]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise CodebookError(f"{book.path}: theme id(s) used twice: {', '.join(dup)}")
    labels = [t.label.strip().lower() for t in book.active()]
    dup = sorted({lab for lab in labels if labels.count(lab) > 1})
    if dup:
        raise CodebookError(f"{book.path}: label(s) used by two themes: {', '.join(dup)}")
    for theme in book.themes:
        for target, what in ((theme.merge_into, "merge_into"), (theme.split_from, "split_from")):
            if target and target not in ids:
                raise CodebookError(f"{book.path}: theme {theme.id} {what} {target}: no such theme")
        if theme.merge_into:
            seen = {theme.id}
            target = book.get(theme.merge_into)
            while target.merge_into:
                if target.id in seen:
                    raise CodebookError(f"{book.path}: theme {theme.id}: merge_into forms a cycle")
                seen.add(target.id)
                target = book.get(target.merge_into)
            if target.deleted:
                raise CodebookError(f"{book.path}: theme {theme.id} is merged into deleted theme {target.id}")
        if theme.split_from and not theme.seeds:
            raise CodebookError(f"{book.path}: theme {theme.id} split_from {theme.split_from} needs seeds")


def read_members(path: Path) -> dict[str, tuple[str, str]]:
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as f:
        return {r["statement_id"]: (r["theme_id"], r["text_sha1"]) for r in csv.DictReader(f)}


def read_centres(path: Path) -> dict[str, np.ndarray]:
    if not path.exists():
        return {}
    table = np.load(path, allow_pickle=False)
    return {str(row["id"]): np.asarray(row["centre"], dtype=np.float32) for row in table}


def write_centres(path: Path, centres: dict[str, np.ndarray]) -> None:
    if not centres:
        path.unlink(missing_ok=True)
        return
    dim = len(next(iter(centres.values())))
    table = np.zeros(len(centres), dtype=[("id", "U16"), ("centre", "<f4", (dim,))])
    for row, tid in enumerate(sorted(centres)):
        table[row] = (tid, centres[tid])
    with path.open("wb") as f:
        np.save(f, table, allow_pickle=False)


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", escaped)
    return f'"{escaped}"'


def _toml_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_toml_string(v) for v in values) + "]"


def dumps(book: Codebook, quotes: dict[str, str] | None = None) -> str:
    """Deterministic TOML; `quotes` (statement id -> text) adds the examples' text as comments for the reader."""
    out = io.StringIO()
    out.write(HEADER)
    out.write(f"version = 1\nnext_id = {book.next_id}\n")
    for t in sorted(book.themes, key=lambda t: t.number):
        out.write(f"\n[[theme]]\nid = {_toml_string(t.id)}\nlabel = {_toml_string(t.label)}\n")
        out.write(f"description = {_toml_string(t.description)}\n")
        out.write(f"keywords = {_toml_list(t.keywords)}\n")
        out.write(f"examples = {_toml_list(t.examples)}\n")
        for sid in t.examples:
            if quotes and sid in quotes:
                out.write(f"#   {sid}: {' '.join(quotes[sid].split())}\n")
        out.write(f"pinned = {'true' if t.pinned else 'false'}\n")
        if t.deleted:
            out.write("deleted = true\n")
        if t.merge_into:
            out.write(f"merge_into = {_toml_string(t.merge_into)}\n")
        if t.split_from:
            out.write(f"split_from = {_toml_string(t.split_from)}\nseeds = {_toml_list(t.seeds)}\n")
    return out.getvalue()


def save(book: Codebook, quotes: dict[str, str] | None = None) -> None:
    text = dumps(book, quotes)
    tomllib.loads(text)  # never write a file the next run cannot read
    book.path.write_text(text, encoding="utf-8")


def write_members(path: Path, statement_ids: Sequence[str], theme_ids: Sequence[str], texts: Sequence[str]) -> None:
    rows = sorted(zip(statement_ids, theme_ids, (text_hash(t) for t in texts)))
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["statement_id", "theme_id", "text_sha1"])
        writer.writerows(rows)


# -- applying the codebook to a run -------------------------------------------------------------------------------
@dataclass
class Plan:
    """What the codebook decides before clustering. labels use the engine's numbering: theme Tnn is nn - 1."""

    labels: np.ndarray  # fixed theme per statement, -1 where none
    free: np.ndarray  # bool: statements that fit no existing theme and may form new themes
    next_label: int  # the label the first new theme gets
    params: dict


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def _resolve(book: Codebook, tid: str) -> str:
    """Follow merges; '' for unassigned, deleted or unknown themes."""
    ids = {t.id: t for t in book.themes}
    while tid in ids and ids[tid].merge_into:
        tid = ids[tid].merge_into
    return tid if tid in ids and ids[tid].active else ""


def _centres(vectors: np.ndarray, labels: np.ndarray, numbers: list[int]) -> dict[int, np.ndarray]:
    return {n: _normalise(vectors[labels == n - 1].mean(axis=0)) for n in numbers if (labels == n - 1).any()}


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
    child = _normalise(seed.mean(axis=0))
    rest = affinity <= np.median(affinity)
    parent = _normalise(own[rest].mean(axis=0))
    to_child = own @ child > own @ parent
    for _ in range(rounds):
        child = _normalise(np.vstack([seed, own[to_child]]).mean(axis=0))
        if (~to_child).any():
            parent = _normalise(own[~to_child].mean(axis=0))
        to_child = own @ child > own @ parent
    return to_child


def _seed_vectors(theme: Theme, texts: Sequence[str], keys: Sequence[str], vectors: np.ndarray, embedder):
    """A seed that is a statement id or a statement's exact text uses that statement's vector, else it is embedded."""
    index = {k: i for i, k in enumerate(keys)} | {t: i for i, t in enumerate(texts)}
    found = [vectors[index[s]] for s in theme.seeds if s in index]
    loose = [s for s in theme.seeds if s not in index]
    if loose:
        found.extend(embedder.encode(loose))
    return _normalise(np.mean(found, axis=0))


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
    for number, centre in centres.items():
        sims = vectors[labels == number - 1] @ centre
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


def find_themes_with_codebook(study_dir: Path, texts: Sequence[str], keys: Sequence[str], groups: Sequence[str],
                              vectors: np.ndarray, embedder, *, min_size: int, seed: int):
    """The run's theme assignment honouring STUDY/codebook.toml; returns (ThemeAssignment, Codebook | None)."""
    from winloss.themes.clustering import ThemeAssignment, find_themes

    book = load(study_dir)
    if book is None:
        return find_themes(vectors, groups=groups, min_size=min_size, seed=seed, keys=keys), None
    plan = apply_codebook(book, texts, keys, vectors, embedder)
    labels = plan.labels.copy()
    params = dict(plan.params)
    new: list[int] = []
    idx = np.flatnonzero(plan.free)
    if idx.size:
        sub = find_themes(vectors[idx], groups=[groups[i] for i in idx], min_size=min_size, seed=seed,
                          keys=[keys[i] for i in idx])
        found = sub.labels >= 0
        labels[idx[found]] = sub.labels[found] + plan.next_label
        new = sorted({int(x) + plan.next_label for x in sub.labels[found]})
        params["new_themes_engine"] = {k: v for k, v in sub.params.items() if k != "reason"}
    params["new_themes"] = [theme_id(k + 1) for k in new]
    return ThemeAssignment(labels=labels, params=params), book


def keep_labels(book: Codebook | None, theme_labels: dict, new_themes: Sequence[str]) -> dict:
    """Existing themes keep their codebook labels; a new theme whose label clashes with one gets a suffix."""
    if book is None:
        return theme_labels
    out = dict(theme_labels)
    fixed = {t.number - 1: t.label for t in book.active()}
    for k, tl in theme_labels.items():
        if k in fixed:
            out[k] = type(tl)(**{**tl.__dict__, "label": fixed[k]})
    taken = {fixed[k].lower() for k in fixed}
    for k, tl in sorted(out.items()):
        if k not in fixed and out[k].label.lower() in taken:
            out[k] = type(tl)(**{**tl.__dict__, "label": f"{tl.label} (new)"})
        taken.add(out[k].label.lower())
    return out


def update_codebook(study_dir: Path, book: Codebook | None, statements_df, themes_df, theme_labels: dict,
                    vectors: np.ndarray | None = None) -> Codebook:
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
        number = int(ID_PATTERN.fullmatch(tid).group(1))
        central = theme_labels[number - 1].central if number - 1 in theme_labels else []
        examples = [keys[i] for i in central[:N_EXAMPLES]]
        prev = old.get(tid)
        keywords = [k for k in str(r.get("keywords", "")).split("; ") if k]
        if prev is not None and prev.active:
            description = prev.description or (f"Split from {prev.split_from}." if prev.split_from else "")
            themes.append(Theme(id=tid, label=prev.label, description=description, keywords=keywords,
                                examples=prev.examples if prev.pinned else examples, pinned=prev.pinned))
        else:
            themes.append(Theme(id=tid, label=str(r["label"]), keywords=keywords, examples=examples))
    present = {t.id for t in themes}
    themes += [t for t in book.active() if t.pinned and t.id not in present]
    numbers = [t.number for t in themes] + [t.number for t in book.themes] + [book.next_id - 1]
    new_book = Codebook(book.path, themes, max(numbers) + 1, {})
    save(new_book, dict(zip(keys, texts)))
    assigned = statements_df["theme_id"].fillna("").astype(str).to_numpy()
    write_members(study_dir / MEMBERS, keys, assigned.tolist(), texts)
    if vectors is not None:
        centres = {t.id: _normalise(vectors[assigned == t.id].mean(axis=0)) for t in themes if (assigned == t.id).any()}
        # A pinned theme with no statement this run keeps the centre it had.
        centres |= {t.id: book.centres[t.id] for t in themes if t.id not in centres and t.id in book.centres}
        write_centres(study_dir / CENTRES, centres)
    return new_book


# -- edits (the CLI's `winloss themes ...`) -----------------------------------------------------------------------
def require(study_dir: Path) -> Codebook:
    book = load(study_dir)
    if book is None:
        raise CodebookError(f"{Path(study_dir) / CODEBOOK}: no codebook yet; run `winloss run {study_dir}` first")
    return book


def rename(study_dir: Path, tid: str, label: str) -> Theme:
    book = require(study_dir)
    theme = book.get(tid)
    if not label.strip():
        raise CodebookError("a label cannot be empty")
    clash = [t.id for t in book.active() if t.id != theme.id and t.label.strip().lower() == label.strip().lower()]
    if clash:
        raise CodebookError(f"label {label!r} is already used by {clash[0]}")
    theme.label = label.strip()
    save(book)
    return theme


def merge(study_dir: Path, ids: Sequence[str]) -> Theme:
    """The first theme absorbs the others."""
    book = require(study_dir)
    if len(ids) < 2:
        raise CodebookError("merge needs at least two theme ids: the first absorbs the others")
    target = book.get(ids[0])
    if not target.active:
        raise CodebookError(f"{target.id} is deleted or already merged")
    for tid in ids[1:]:
        theme = book.get(tid)
        if theme.id == target.id:
            raise CodebookError(f"cannot merge {theme.id} into itself")
        theme.merge_into = target.id
    for theme in book.themes:  # themes merged earlier into an absorbed one follow it
        if theme.merge_into and theme.merge_into in {normalise_id(i) for i in ids[1:]}:
            theme.merge_into = target.id
    validate(book)
    save(book)
    return target


def split(study_dir: Path, tid: str, seeds: Sequence[str], label: str | None = None) -> Theme:
    book = require(study_dir)
    parent = book.get(tid)
    if not parent.active:
        raise CodebookError(f"{parent.id} is deleted or merged; split the theme it went into")
    seeds = [s for s in seeds if s.strip()]
    if not seeds:
        raise CodebookError("split needs at least one --seed-example")
    new_id = book.new_id()
    label = (label or f"{parent.label}: {' '.join(seeds[0].split()[:6])}").strip()
    child = Theme(id=new_id, label=label, split_from=parent.id, seeds=list(seeds))
    book.themes.append(child)
    validate(book)
    save(book)
    return child


def set_flag(study_dir: Path, tid: str, *, pinned: bool | None = None, deleted: bool | None = None) -> Theme:
    book = require(study_dir)
    theme = book.get(tid)
    if pinned is not None:
        theme.pinned = pinned
    if deleted is not None:
        theme.deleted = deleted
    validate(book)
    save(book)
    return theme
