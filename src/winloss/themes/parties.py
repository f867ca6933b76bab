"""Who a statement is about: us (the vendor), a named competitor, or nobody. Pure regex functions the stance
scorer (themes/stance.py), refinement and the report read.

A brand is a proper noun where the transcript is cased ("the signal was weak" is not the competitor Signal), and
never part of a compound ("signal-to-noise"); the first party a clause names is its subject; our own names
(`our_names`) read as "you".
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


def alternation(names: frozenset[str], proper: bool = False) -> str:
    """One regex alternative per name, longest first (so "Clarion Cloud" wins over "Clarion"). proper: the name's
    first letter must be a capital, in a pattern that otherwise ignores case."""
    def one(n: str) -> str:
        head = n[:1]
        if proper and head.isalpha():
            return f"(?-i:{re.escape(head.upper())}){re.escape(n[1:])}"
        return re.escape(n)

    return "|".join(one(n) for n in sorted(names, key=lambda n: (-len(n), n)))


@lru_cache(maxsize=32)
def _names_regex(names: frozenset[str], proper: bool) -> re.Pattern | None:
    # never inside a compound: "signal-to-noise" is not the competitor Signal
    return re.compile(rf"\b({alternation(names, proper)})\b(?!-\w)", re.IGNORECASE) if names else None


def cased(text: str) -> bool:
    """A brand is a proper noun: where the text has capitals at all (a cased transcript), only a capitalised word
    is the name ("the signal was weak" is not the competitor Signal); an all-lowercase transcript gives no such
    clue, so there any case is the name."""
    return any(c.isupper() for c in text)


def _names_pattern(names: frozenset[str], text: str) -> re.Pattern | None:
    """The pattern that finds these names in `text` (proper nouns where `_cased`)."""
    return _names_regex(names, proper=cased(text))


def names_competitor(text: str, competitors: frozenset[str]) -> bool:
    pattern = _names_pattern(frozenset(competitors), text)
    return pattern is not None and pattern.search(text) is not None


# "It was higher than Tallyhub. ... But, um, I did the math." turns back to us; so does a statement that opens "But".
TURNS_BACK = re.compile(r"\b(?:but|however|still)\b", re.IGNORECASE)


def ends_on_competitor(text: str, competitors: frozenset[str]) -> bool:
    """Is the competitor still the subject where the text ends: named, and no "but" after its last mention?"""
    pattern = _names_pattern(frozenset(competitors), text)
    last = None if pattern is None else next(reversed(list(pattern.finditer(text))), None)
    return last is not None and not TURNS_BACK.search(text, last.end())


US_WORD = re.compile(r"\b(you|your|yours|you'd|you're|you've)\b", re.IGNORECASE)


def first_at(pattern: re.Pattern, text: str) -> int:
    found = pattern.search(text)
    return found.start() if found else len(text) + 1


@lru_cache(maxsize=16)
def _rival_regex(competitors: frozenset[str], proper: bool) -> re.Pattern:
    names = alternation(competitors, proper)
    return re.compile(rf"\b({names + '|' if names else ''}they|their|theirs|them)\b(?!-\w)", re.IGNORECASE)


def rival_pattern(competitors: frozenset[str], text: str) -> re.Pattern:
    return _rival_regex(competitors, cased(text))


# A leading comparison ("Compared to Tallyhub, your reporting is stronger") names the other side before the subject.
LEADING_COMPARISON = re.compile(r"^\W*(compared (to|with)|unlike|versus|vs\.?|next to|as opposed to)\b[^,]*,",
                                re.IGNORECASE)


def about_rival(text: str, competitors: frozenset[str]) -> bool:
    """Whether a clause that may be about a competitor is: it does not name us, or it names the competitor first.
    The first party named is the subject; a later "you" is mostly the generic one ("with Gustly you just upload a
    file"), an earlier one is us ("you were slower than Gustly")."""
    text = LEADING_COMPARISON.sub("", text)
    us = first_at(US_WORD, text)
    return us > len(text) or first_at(rival_pattern(competitors, text), text) < us


THEM = re.compile(r"\b(they|their|theirs|them)\b", re.IGNORECASE)
IT = re.compile(r"\b(it|its|it's)\b", re.IGNORECASE)


@lru_cache(maxsize=16)
def _our_names(ours: frozenset[str], proper: bool) -> tuple[re.Pattern, re.Pattern] | None:
    if not ours:
        return None
    return (re.compile(rf"\b({alternation(ours, proper)})(?:'s|\u2019s)", re.IGNORECASE),
            _names_regex(ours, proper))


def spoken_to_us(text: str, ours: Iterable[str] = ()) -> str:
    """The text as the scorer reads it: our own names (the `our_names` setting: "Payloom", "Payloom's") become
    "you" / "your", so "Payloom's onboarding was slower than Gustly's" is about us, not a third party. Only the
    scorer sees this; the statement keeps its words."""
    patterns = _our_names(frozenset(n.lower() for n in ours if n), cased(text))
    if patterns is None:
        return text
    possessive, name = patterns
    return name.sub("you", possessive.sub("your", text))
