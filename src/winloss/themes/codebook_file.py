"""Writing STUDY/codebook.toml without losing what the user wrote in it.

The codebook is the user's file ("edit it freely"), so every write is an edit of the text already there, made with
tomlkit (a round-trip TOML library): comments, blank lines, key order and the order of the themes survive; only the
values that changed are touched. Themes are plain dicts here (key -> value, None = no such key) so this module knows
nothing of the codebook's records.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import tomlkit
from tomlkit.items import AoT, Comment, Table, Whitespace

# The comment the run writes under each example before tomlkit arrays carried it (`#   INT-001.004: text`).
_OLD_EXAMPLE_NOTE = re.compile(r"#   \S+: ")


def render(text: str | None, header: str, top: Mapping[str, object], themes: Sequence[Mapping[str, object]],
           same_id: Callable[[str], str], quotes: Mapping[str, str] | None = None) -> str:
    """`text` (the current file, or None for a new one) with `top` and `themes` written into it.

    A theme is matched to its [[theme]] table by id (`same_id` normalises how the user spelled it); tables of themes
    no longer listed are removed; new themes are appended in the order given. `quotes` (statement id -> text) puts
    each example's text beside it as a comment, for the reader.
    """
    doc = tomlkit.parse(text) if text else tomlkit.parse(header)
    for key, value in top.items():
        _set(doc, key, value)
    aot = doc.get("theme")
    if not isinstance(aot, AoT):
        aot = tomlkit.aot()
        doc.append("theme", aot)
    wanted = {str(t["id"]): t for t in themes}
    # Edited in place, not rebuilt: a rebuilt array of tables gains a blank line on every write.
    for index in reversed(range(len(aot))):
        table = aot[index]
        tid = same_id(str(table.get("id", "")))
        if tid in wanted:
            _fill(table, wanted.pop(tid), quotes)
        else:
            del aot[index]
    for theme in wanted.values():
        if len(aot) and not aot[-1].as_string().endswith("\n\n"):
            aot[-1].add(tomlkit.nl())
        table = tomlkit.table()
        _fill(table, theme, quotes)
        aot.append(table)
    return tomlkit.dumps(doc)


def _fill(table: Table, theme: Mapping[str, object], quotes: Mapping[str, str] | None) -> None:
    for key, value in theme.items():
        if key == "examples" and quotes is not None:
            _drop_old_example_notes(table)
            _set(table, key, _noted(value, quotes), force=True)
        else:
            _set(table, key, value)


def _set(container, key: str, value, force: bool = False) -> None:
    """Set one key; an unchanged value keeps the user's spelling of it, None removes the key."""
    if value is None:
        if key in container:
            del container[key]
        return
    if not force and key in container and _plain(container[key]) == _plain(value):
        return
    container[key] = value


def _plain(value):
    return value.unwrap() if hasattr(value, "unwrap") else value


def _noted(examples, quotes: Mapping[str, str]):
    """The examples as a one-per-line array with each statement's text as its comment."""
    ids = list(examples)
    if not any(sid in quotes for sid in ids):
        return ids
    array = tomlkit.array()
    for sid in ids:
        note = " ".join(quotes[sid].split()) if sid in quotes else ""
        array.add_line(sid, comment=note or None)
    array.add_line(indent="")
    return array


def _drop_old_example_notes(table: Table) -> None:
    body = table.value.body
    for index in reversed(range(len(body))):
        key, item = body[index]
        if key is None and isinstance(item, Comment) and _OLD_EXAMPLE_NOTE.match(item.as_string().strip()):
            body[index] = (None, Whitespace(""))  # in place: tomlkit indexes the keys by position
