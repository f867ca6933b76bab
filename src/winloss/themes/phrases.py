"""Theme labels a person would write: a short phrase (2-6 words) said in the theme's own statements.

KeyBERT's idea without a tagger. Candidates are (a) word spans of 2-5 words said in two or more of the theme's
statements and (b) whole clauses of its five most central statements, trimmed of stop words at both ends, if 2-6
words long; neither may start or end on a stop word or hold a filler, a pronoun or a person's name anywhere. Each
is embedded with the study's model and scored by its cosine to the theme's centre (what the statements say) minus
a quarter of its cosine to the nearest other theme's centre (what sets the theme apart). A candidate that takes a
stance ("Support was slow") is dropped while others remain: the label names the subject and the drivers say the
verdict. The best candidate that no other theme uses is the label.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from winloss.themes.vectors import unit

MIN_WORDS, MAX_WORDS, MAX_CLAUSE = 2, 5, 6
CANDIDATES = 40  # per theme, the most often said spans are embedded
CENTRAL = 5  # clauses of this many most central statements are candidates too
OTHER_WEIGHT = 0.25
KEY_TERMS = 1  # a label holds a word of the theme's most distinctive keyword where a candidate does
# Never inside a label: speech fillers and the people pronouns stand for ("we switched" says nothing of the topic).
BANNED = {
    "um", "uh", "hey", "hi", "hello", "yeah", "yes", "okay", "ok", "oh", "hmm", "mm", "mhm", "yep", "yup", "nope",
    "gosh", "wow", "ha", "haha", "like", "kinda", "sorta", "gonna", "wanna", "gotta", "honestly", "basically",
    "literally", "actually", "really", "know", "mean", "guess", "sorry", "thanks", "thank", "stuff", "thing",
    "things", "i", "i'm", "i'd", "i've", "i'll", "me", "my", "we", "we're", "we'd", "we've", "we'll", "us", "our",
    "you", "you're", "your", "they", "they're", "their", "them", "he", "she", "his", "her", "him", "it", "it's",
    "that's", "there's", "so", "well", "just", "pretty", "maybe", "probably", "think", "said", "say", "kind",
    "sort", "he's", "she's", "he'd", "she'd", "they'd", "they've", "you'd", "you've", "its", "mine", "ours",
}
CLAUSE = re.compile(r"[.,;:!?()\"\u201c\u201d\u2014\u2013]+|\s-\s|\s--\s")
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\u2019-]*")


def _words(text: str) -> list[list[str]]:
    """The words of each clause, apostrophes straightened."""
    return [WORD.findall(c.replace("\u2019", "'")) for c in CLAUSE.split(text)]


def spans(text: str, stop: set[str], banned: set[str]) -> set[str]:
    """The candidate phrases of one statement, lowercased."""
    found: set[str] = set()
    for clause in _words(text):
        low = [w.lower() for w in clause]
        for i in range(len(low)):
            if low[i] in stop or low[i] in banned:
                continue
            for j in range(i + MIN_WORDS, min(i + MAX_WORDS, len(low)) + 1):
                if low[j - 1] in banned:
                    break
                if low[j - 1] not in stop and not low[j - 1].isdigit():
                    found.add(" ".join(low[i:j]))
    return found


def _surface(phrase: str, texts: Iterable[str]) -> str:
    """The phrase as the statements most often write it (so "Salesforce" and "SOC 2" keep their case), its first
    letter capitalised."""
    pattern = re.compile(r"\b" + r"\W+".join(re.escape(w) for w in phrase.split()) + r"\b", re.IGNORECASE)
    forms = Counter(m.group(0) for t in texts for m in pattern.finditer(t.replace("\u2019", "'")))
    best = min(forms, key=lambda f: (-forms[f], f)) if forms else phrase
    best = " ".join(best.split())
    return best[0].upper() + best[1:]


def clauses(text: str, stop: set[str], banned: set[str]) -> set[str]:
    """The statement's clauses of 2-6 words once stop words at either end are trimmed, lowercased."""
    found = set()
    for clause in _words(text):
        low = [w.lower() for w in clause]
        while low and (low[0] in stop or low[0] in banned):
            low = low[1:]
        while low and (low[-1] in stop or low[-1] in banned):
            low = low[:-1]
        if MIN_WORDS <= len(low) <= MAX_CLAUSE and not any(w in banned for w in low):
            found.add(" ".join(low))
    return found


def candidates(texts: Sequence[str], members: np.ndarray, own: np.ndarray, stop: set[str],
               banned: set[str]) -> list[str]:
    """A theme's most often said phrases (in 2+ of its statements when there are such), most said first, then the
    clauses of its most central statements."""
    said = Counter(p for i in members for p in spans(texts[i], stop, banned))
    repeated = [p for p, n in said.items() if n >= 2]
    pool = sorted(repeated or list(said), key=lambda p: (-said[p], -len(p.split()), p))[:CANDIDATES]
    centre = unit(own[members].mean(axis=0))
    closeness = own[members] @ centre
    central = [members[i] for i in sorted(range(len(members)), key=lambda i: (-closeness[i], members[i]))[:CENTRAL]]
    return pool + sorted({p for i in central for p in clauses(texts[i], stop, banned)} - set(pool))


def phrase_labels(texts: Sequence[str], theme_ids: list[str], members: dict[str, np.ndarray], own: np.ndarray,
                  encode: Callable[[list[str]], np.ndarray], stop: set[str], names: Iterable[str] = (),
                  keywords: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """For each theme, its candidate labels best first (surface form); an empty list when it has none.
    keywords: the theme's distinctive terms, best first; a label holds a word of its top KEY_TERMS keywords where one can (a
    phrase close to the centre but off the theme's own words, "Went to a competitor" for a champion who left,
    misleads the reader)."""
    banned = BANNED | {n.lower() for n in names for n in n.split()}
    # a label names the subject, not a verdict: "Support was slow" over a theme won customers praise would contradict
    # the driver printed beside it, so phrases that carry a stance are left out (unless nothing else is left)
    from winloss.themes.stance import lexicon_stance

    pools = {}
    for t in theme_ids:
        pool = candidates(texts, members[t], own, stop, banned)
        pool = [p for p in pool if lexicon_stance(p).stance == "neutral"] or pool
        terms = {w for k in (keywords or {}).get(t, [])[:KEY_TERMS] for w in k.lower().split()} - stop
        pools[t] = [p for p in pool if terms & set(p.split())] or pool
    unique = sorted({p for pool in pools.values() for p in pool})
    if not unique:
        return {t: [] for t in theme_ids}
    vec = dict(zip(unique, encode(unique)))
    centres = unit(np.stack([own[members[t]].mean(axis=0) for t in theme_ids]))
    out: dict[str, list[str]] = {}
    for row, t in enumerate(theme_ids):
        pool = pools[t]
        if not pool:
            out[t] = []
            continue
        sims = np.stack([vec[p] for p in pool]) @ centres.T
        mine = sims[:, row]
        others = np.delete(sims, row, axis=1)
        score = mine - OTHER_WEIGHT * (others.max(axis=1) if others.shape[1] else 0.0)
        order = sorted(range(len(pool)), key=lambda i: (-round(float(score[i]), 6), pool[i]))
        out[t] = [_surface(pool[i], (texts[j] for j in members[t])) for i in order]
    return out
