"""Whether customer speech reads as English.

The embedding model, the offline stance scorer and the labels' stop words are all English: speech in another
language still forms themes (by shared names and numbers more than meaning) but its stances would be noise. The
test is the share of words on scikit-learn's English stop list, over an interview's whole customer speech (one
statement is too short to tell): 40-60 % in English speech, 0-15 % in Spanish, German, French, Portuguese, Italian or
Dutch.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

ENGLISH_SHARE = 0.25  # below this share of English stop words an interview's speech is taken as another language
MIN_WORDS = 40  # fewer words than this (a short or mostly-names interview) is not judged
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


@lru_cache(maxsize=1)
def english_stop_words() -> frozenset[str]:
    """scikit-learn's English stop list (the Glasgow IR group's), read from its source file: importing
    scikit-learn for one frozenset took 1-2 s of a rerun, where nothing else needs it."""
    import ast
    import importlib.util

    spec = importlib.util.find_spec("sklearn")  # finds the package without running its __init__
    try:
        source = Path(spec.submodule_search_locations[0], "feature_extraction", "_stop_words.py").read_text("utf-8")
        for node in ast.parse(source).body:
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "ENGLISH_STOP_WORDS":
                return frozenset(ast.literal_eval(node.value.args[0]))
    except (AttributeError, IndexError, OSError, SyntaxError, TypeError, ValueError):
        pass
    # the file moved in some release: the slow way
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def english_share(texts: Iterable[str]) -> float | None:
    """The share of the words that are English stop words; None for fewer than MIN_WORDS words."""
    words = [w.split("'")[0] for text in texts for w in _WORD.findall(text.lower())]
    if len(words) < MIN_WORDS:
        return None
    stop = english_stop_words()
    return sum(w in stop for w in words) / len(words)


def reads_as_english(texts: Iterable[str]) -> bool:
    share = english_share(texts)
    return share is None or share >= ENGLISH_SHARE
