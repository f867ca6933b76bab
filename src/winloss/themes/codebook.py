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
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from winloss.errors import ConfigError
from winloss.themes import codebook_file
from winloss.themes.ids import ID_PATTERN, normalise_id, theme_id

CODEBOOK = "codebook.toml"
MEMBERS = "codebook.members.csv"
# Each theme's centre from the last run: lets a theme whose statements are all gone (a new quarter's study that
# starts from last quarter's codebook) still recognise new statements.
CENTRES = "codebook.centres.npy"
N_EXAMPLES = 5
# Version 2 records each theme's machine_label; in a version 1 file every label counts as the user's.
VERSION = 2

HEADER = """\
# winloss codebook. Written by `winloss run`; edit it freely, the next run honours it (docs/research.md).
#   rename: change a label.       merge: on the theme to absorb, set merge_into = "T01".
#   machine_label is winloss's own label: while label is the same, each run may relabel the theme; a label you
#   change is yours and stays (`winloss themes relabel T01` hands it back).
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
    machine_label: str = ""  # the label winloss gave it last; "": the label is the user's
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
    def named_by_user(self) -> bool:
        """A label that is not winloss's own is the user's, and no run changes it."""
        return self.label != self.machine_label

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
    version: int = VERSION

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
                    read_centres(Path(study_dir) / CENTRES), int(data.get("version", 1)))
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


def _fields(t: Theme) -> dict:
    """A theme as codebook.toml spells it: the keys every theme has, the optional ones only when set."""
    return {
        "id": t.id, "label": t.label, "machine_label": t.machine_label or None, "description": t.description,
        "keywords": list(t.keywords),
        "examples": list(t.examples), "pinned": t.pinned, "deleted": True if t.deleted else None,
        "merge_into": t.merge_into or None, "split_from": t.split_from or None,
        "seeds": list(t.seeds) if t.split_from else None,
    }


def dumps(book: Codebook, quotes: dict[str, str] | None = None) -> str:
    """The codebook written into the file as it is now (comments and order kept); `quotes` (statement id -> text)
    adds the examples' text as comments for the reader."""
    current = book.path.read_text(encoding="utf-8") if book.path.exists() else None
    themes = [_fields(t) for t in sorted(book.themes, key=lambda t: t.number)]
    return codebook_file.render(current, HEADER, {"version": VERSION, "next_id": book.next_id}, themes, normalise_id,
                                quotes)


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


def relabel(study_dir: Path, ids: Sequence[str]) -> list[Theme]:
    """Hand the labels of `ids` (every active theme when empty) back to winloss: the next run labels them."""
    book = require(study_dir)
    themes = [book.get(tid) for tid in ids] if ids else book.active()
    for theme in themes:
        theme.machine_label = theme.label
    save(book)
    return themes


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
    target.machine_label = ""  # the theme the user kept keeps its label as theirs, whatever it now holds
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
