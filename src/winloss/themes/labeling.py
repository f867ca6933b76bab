"""Offline theme labels: a phrase from the theme's own statements (themes/phrases.py), class-based TF-IDF keyphrases
beside it, and the theme's most central statement.

c-TF-IDF (as in BERTopic) treats all statements of a theme as one document and scores a phrase by how frequent it
is in that theme against how common it is across themes, so the keywords name what sets a theme apart.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from winloss.interviews.language import english_stop_words
from winloss.themes.ids import theme_sort_key

N_KEYWORDS = 8
_TERM_TOKEN = re.compile(r"(?u)\b[a-zA-Z][a-zA-Z0-9]+\b")
EXAMPLE_CHARS = 120

# Spoken-language filler that survives a stop-word list and would otherwise top every theme.
SPOKEN_STOP_WORDS = {
    "yeah", "yes", "like", "just", "really", "kind", "sort", "know", "think", "mean", "got", "get", "going",
    "um", "uh", "okay", "ok", "oh", "gonna", "wanna", "lot", "actually", "honestly", "basically", "thing",
    "things", "stuff", "pretty", "did", "does", "don", "didn", "doesn", "ve", "ll", "re", "im", "thats", "way",
    "want", "need", "said", "say", "guess", "right", "well", "maybe", "probably", "little", "bit", "able",
    "ha", "haha", "hmm", "mm", "mhm", "yep", "yup", "nope", "gosh", "wow", "sorry", "sec", "sure", "thanks",
    "thank", "cool", "great", "good", "nice", "totally", "definitely", "exactly", "literally", "isn", "wasn",
    "weren", "couldn", "wouldn", "shouldn", "aren", "hasn", "haven", "let", "gotta", "kinda", "sorta",
}


@dataclass
class ThemeLabel:
    label: str  # unique across the themes of one run
    keywords: list[str]
    central: list[int]  # row indices of the theme's statements, most central first
    example: str = ""  # the most central statement, shortened: what a reader sees next to the label
    offline: str = ""  # the label this run chose offline (a codebook's or an LLM's label may replace `label`)


def _stop_words() -> list[str]:
    return sorted(english_stop_words() | SPOKEN_STOP_WORDS)


@dataclass(frozen=True)
class PhraseCounts:
    """Which unigrams and bigrams each statement says (once each), counted over the statements of any theme."""

    rows: np.ndarray  # the statements counted (those in a theme), as indices into the texts
    per_statement: object  # scipy sparse (len(rows), n_terms) 0/1
    terms: list[str]
    keep: np.ndarray  # bool per term: no "ha ha", "tallyhub tallyhub"


def phrase_counts(texts: list[str], rows: np.ndarray) -> PhraseCounts | None:
    """None when every word of those statements is a stop word. A phrase counts once per statement (speech repeats
    itself: "Tallyhub, Tallyhub was cheaper") and never spans two statements."""
    from scipy import sparse

    # scikit-learn's CountVectorizer(ngram_range=(1, 2), binary=True) with this token pattern and stop list, step
    # for step: lowercase, tokens, stop words out, then unigrams and bigrams of the words left; terms sorted.
    stop = set(_stop_words())
    said: list[set[str]] = []
    for i in rows:
        words = [w for w in _TERM_TOKEN.findall(texts[i].lower()) if w not in stop]
        said.append(set(words) | {f"{a} {b}" for a, b in zip(words, words[1:])})
    terms = sorted(set().union(*said))
    if not terms:  # every word was a stop word
        return None
    column = {t: j for j, t in enumerate(terms)}
    cells = [(r, column[t]) for r, phrases in enumerate(said) for t in phrases]
    r, c = (np.array(x, dtype=np.int64) for x in zip(*cells))
    per_statement = sparse.csr_matrix((np.ones(len(cells), dtype=np.int64), (r, c)), shape=(len(said), len(terms)))
    keep = np.array([len(set(t.split())) == len(t.split()) for t in terms])
    return PhraseCounts(np.asarray(rows), per_statement, terms, keep)


def class_scores(counted: PhraseCounts, theme_of: np.ndarray, n_themes: int) -> tuple[np.ndarray, np.ndarray]:
    """BERTopic's c-TF-IDF for the themes `theme_of` (one number per counted row, -1 none): tf normalised per theme,
    idf = log(1 + mean words per theme / f). Returns (scores, support: in how many statements of each theme)."""
    from scipy import sparse

    inside = np.flatnonzero(theme_of >= 0)
    membership = sparse.csr_matrix((np.ones(inside.size), (theme_of[inside], inside)),
                                   shape=(n_themes, len(theme_of)))
    counts = np.asarray((membership @ counted.per_statement).todense(), dtype=np.float64) * counted.keep
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    avg_words = counts.sum() / max(n_themes, 1)
    idf = np.log(1.0 + avg_words / np.maximum(counts.sum(axis=0), 1.0))
    return tf * idf, counts


def c_tf_idf(theme_of_row: np.ndarray, texts: list[str], n_themes: int) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Scores (n_themes, n_terms), the terms, and in how many of each theme's statements each term occurs."""
    rows = np.flatnonzero(theme_of_row >= 0)
    counted = phrase_counts(texts, rows)
    if counted is None:
        return np.zeros((n_themes, 0)), [], np.zeros((n_themes, 0))
    scores, support = class_scores(counted, theme_of_row[rows], n_themes)
    return scores, counted.terms, support


def keywords_of(scores: np.ndarray, support: np.ndarray, terms: list[str], row: int, n: int = 8,
                hide: frozenset[str] = frozenset()) -> list[str]:
    """A theme's top phrases: a phrase said in two or more of its statements beats one said once ("argues diego").
    No phrase holds a word of `hide` (our own names: customers name the vendor in every theme)."""
    if not terms:
        return []
    s = scores[row]
    ranked = [terms[j] for j in sorted(np.flatnonzero(s > 0), key=lambda j: (support[row, j] < 2, -s[j], terms[j]))
              if not hide & set(terms[j].split())]
    return _pick_phrases(ranked, n)


def _stem(term: str) -> str:
    """Crude plural folding, only to spot repeats: "seats" and "seat" are one keyword."""
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in term.split())


def _pick_phrases(ranked: list[str], n: int) -> list[str]:
    """Top phrases without repeats: a phrase inside a chosen one (or its plural) is skipped; a phrase containing a
    chosen one replaces it."""
    chosen: list[str] = []
    for term in ranked:
        padded = f" {_stem(term)} "
        if any(padded in f" {_stem(c)} " for c in chosen):
            continue
        inside = [c for c in chosen if f" {_stem(c)} " in padded]
        if inside:
            at = chosen.index(inside[0])
            chosen = [c for c in chosen if c not in inside]
            chosen.insert(at, term)
        else:
            chosen.append(term)
        if len(chosen) >= n:
            break
    return chosen


def _shorten(text: str, limit: int = EXAMPLE_CHARS) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "..."


def label_themes(texts: list[str], theme_of: np.ndarray, vectors: np.ndarray, *,
                 encode: Callable[[list[str]], np.ndarray], own: np.ndarray | None = None,
                 names: Iterable[str] = (), groups: Sequence[str] | None = None,
                 stances: Sequence[str] | None = None, ours: Iterable[str] = (),
                 rivals: Iterable[str] = ()) -> dict[str, ThemeLabel]:
    """One unique label per theme; `theme_of` holds each statement's theme id ('' unassigned). `vectors` order the
    statements by centrality; `own` (the statements' own vectors, default `vectors`) and `encode` (the study's
    model) choose the label phrase; `names` are people's names, never put in a label; `groups` (each statement's
    interview) let a phrase said in several interviews beat one said in one; `stances` (each statement's) keep a
    theme of one side labelled by that side's words; `ours` (the study's names for us) are no keyword; `rivals`
    (the competitors' names) are no label's subject alone."""
    from winloss.themes.phrases import FILLERS, phrase_labels

    names = list(names)
    theme_of = np.asarray(theme_of, dtype=object)
    theme_ids = sorted({str(t) for t in theme_of if t}, key=theme_sort_key)
    if not theme_ids:
        return {}
    x = np.asarray(vectors, dtype=np.float64)
    position = {t: row for row, t in enumerate(theme_ids)}
    theme_of_row = np.array([position.get(t, -1) for t in theme_of])
    scores, terms, support = c_tf_idf(theme_of_row, texts, len(theme_ids))
    members = {t: np.flatnonzero(theme_of == t) for t in theme_ids}
    hide = frozenset(w for n in ours for w in _TERM_TOKEN.findall(n.lower()))
    keywords = {t: keywords_of(scores, support, terms, row, N_KEYWORDS, hide) for row, t in enumerate(theme_ids)}
    phrases = phrase_labels(texts, theme_ids, members, np.asarray(vectors if own is None else own, dtype=np.float32),
                            encode, set(_stop_words()), names, keywords, groups, stances, rivals)

    out: dict[str, ThemeLabel] = {}
    used: set[str] = set()
    unsaid = FILLERS | {w.lower() for n in names for w in n.split()}  # what a fallback label leaves out
    for row, t in enumerate(theme_ids):
        rows = members[t]
        sims = x[rows] @ x[rows].mean(axis=0)
        central = [int(rows[i]) for i in sorted(range(len(rows)), key=lambda i: (-sims[i], rows[i]))]
        said = [texts[i] for i in rows]
        label = _unique_label(phrases[t], keywords[t], texts[central[0]], used, t, unsaid,
                              minor=lambda phrase, said=said: _minor_name(phrase, said))
        used.add(label.lower())
        out[t] = ThemeLabel(label=label, keywords=keywords[t], central=central, example=_shorten(texts[central[0]]),
                            offline=label)
    return out


NAME_SHARE = 0.25  # a name in a label must be in at least this share of the theme's statements


def _minor_name(phrase: str, said: list[str]) -> bool:
    """Does the phrase name something (a word written capitalised inside sentences: a product, a company) that
    fewer than NAME_SHARE of the theme's statements say? "Intacct sync" for a theme of NetSuite, QuickBooks,
    Dynamics and Intacct syncs that broke names one of four; leadership would fund the wrong fix."""
    for word in re.findall(r"[A-Za-z][\w-]*", phrase):
        inside = re.compile(rf"(?<=[\w,;:] ){re.escape(word)}\b", re.IGNORECASE)
        cased = [m.group(0) for text in said for m in inside.finditer(text)]
        if not cased or not all(c[:1].isupper() for c in cased):
            continue
        hits = sum(bool(re.search(rf"\b{re.escape(word)}\b", text, re.IGNORECASE)) for text in said)
        if hits < NAME_SHARE * len(said):
            return True
    return False


def _unique_label(phrases: list[str], keywords: list[str], example: str, used: set[str], theme: str,
                  unsaid: set[str], minor: Callable[[str], bool] = lambda phrase: False) -> str:
    """The best phrase no other theme has and that names no minor product (`minor`: _minor_name, asked only of the
    phrases it must judge: it reads every statement of the theme); failing that (a theme whose every word is a stop
    word, a filler or a name: "call my name") the top keyphrase if it has two words or more, then the central
    statement's first six words less fillers and names, so a label still has 2-6 words. Where every phrase names a
    minor product, they are all candidates."""
    for phrase in phrases:
        if phrase.lower() not in used and not minor(phrase):
            return phrase
    kept = [p for p in phrases if not minor(p)]
    phrases = kept or phrases
    for phrase in phrases:
        if phrase.lower() not in used:
            return phrase
    words = [w for w in re.findall(r"[\w'-]+", example) if w.lower() not in unsaid]
    short = " ".join(words[:6])
    base = phrases[0] if phrases else (keywords[0] if keywords and len(keywords[0].split()) >= 2 else short)
    base = (base[:1].upper() + base[1:]) if base else f"theme {theme}"
    return base if base.lower() not in used else f"{base} ({theme})"
