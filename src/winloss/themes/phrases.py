"""Theme labels a person would write: a short phrase (2-6 words) said in the theme's own statements.

KeyBERT's idea without a tagger. Candidates are (a) the ten word spans of 2-5 words said most often (in two or more
of the theme's statements where any are) and (b) whole clauses of its thirty most central statements, trimmed of
stop words at both ends, if 2-6 words long. None may start or end on a stop word, end on a verb ("Paying the same
for everyone felt"), start right after a negation (that flips it: "wasn't involved in sales anymore"), or hold a
filler, a pronoun, a person's name or a time expression ("in March", "that month": one interview's moment, not the
topic). Where any candidate holds a word of the theme's most distinctive keyword, only those compete. Each is
embedded with the study's model and scored by its cosine to the theme's centre plus SUPPORT_WEIGHT x the share of
the theme's interviews that say it (a phrase said in several interviews names the theme, one said once is one
person's angle). The numbers were chosen on Banking77 training utterances (benchmarks/bench_labels.py).

A candidate that takes a stance ("Support was slow") or a comparison ("Price was higher") is dropped while others
remain: the label names the subject and the drivers say the verdict. Where none left holds the theme's one-word key
term even loosely ("dashboard builder" holds "dashboards"), the spans that end on it in the theme's statements are the
candidates ("Intacct sync"), less those another theme holds. The best candidate that no other theme uses is the
label.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from winloss.themes.labeling import _stem
from winloss.themes.stance_cues import BEFORE, OWN_PAST
from winloss.themes.vectors import unit

MIN_WORDS, MAX_WORDS, MAX_CLAUSE = 2, 5, 6
CANDIDATES = 10  # per theme, the most often said spans are embedded
CENTRAL = 30  # clauses of this many most central statements are candidates too
SUPPORT_WEIGHT = 0.1
KEY_TERMS = 1  # a label holds a word of the theme's most distinctive keyword where a candidate does
# Never inside a label: speech fillers ...
FILLERS = {
    "um", "uh", "hey", "hi", "hello", "yeah", "yes", "okay", "ok", "oh", "hmm", "mm", "mhm", "yep", "yup", "nope",
    "gosh", "wow", "ha", "haha", "like", "kinda", "sorta", "gonna", "wanna", "gotta", "honestly", "basically",
    "literally", "actually", "really", "know", "mean", "guess", "sorry", "thanks", "thank", "stuff", "thing",
    "things", "so", "well", "just", "pretty", "maybe", "probably", "think", "said", "say", "kind", "sort",
}
# ... nor the people pronouns stand for ("we switched" says nothing of the topic).
PRONOUNS = {
    "i", "i'm", "i'd", "i've", "i'll", "me", "my", "we", "we're", "we'd", "we've", "we'll", "us", "our", "you",
    "you're", "your", "they", "they're", "their", "them", "he", "she", "his", "her", "him", "it", "it's", "that's",
    "there's", "he's", "she's", "he'd", "she'd", "they'd", "they've", "you'd", "you've", "its", "mine", "ours",
    "yours", "theirs", "hers", "myself", "ourselves", "yourself", "yourselves", "themselves", "himself", "herself",
    "itself",
}
BANNED = FILLERS | PRONOUNS
OBJECTS = {"it", "them", "him", "her", "us", "me", "you"}  # a phrase right before one of these is a cut predicate
# A phrase that ends one word after a determiner, where the theme's statements always go on with the same content
# word and its last word never ends a phrase there, stops inside its noun phrase: "finished a big" of "finished a
# big campaign launch". ("Spell the word" goes on with a different word each time, "the top-up" ends one in "the
# top-up is pending": both are whole.)
DETERMINERS = {"a", "an", "the", "this", "that", "these", "those", "every", "each", "another"}
# A moment, not a topic: month, weekday and season names and days relative to the interview never enter a label.
TIME_WORDS = {
    "january", "february", "march", "april", "june", "july", "august", "september", "october", "november",
    "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "monday",
    "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "spring", "summer", "autumn", "fall",
    "winter", "yesterday", "today", "tomorrow", "tonight", "ago", "q1", "q2", "q3", "q4", "earlier", "lately",
}
# ... nor does a counted or pointed-at span of time ("that month", "two weeks", "last year"); "next song" may.
TIME_SPAN = re.compile(r"\b(?:that|this|last|next|a|an|one|two|three|four|five|six|few|couple|several|same|"
                       r"whole|entire|\d+)(?: of)? (?:days?|weeks?|months?|years?|quarters?|hours?|minutes?)\b")
# ... nor a counted amount ("seventy percent Amazon", "three hundred pairs"): one statement's figure, not a topic.
# Digits stay: "SOC 2", "3PL" and "Q2 close" are names.
QUANTITY = re.compile(r"\d\s*%|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fifteen|"
                      r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|percent|"
                      r"dozen)\b")
# A phrase cut right after a negation says the opposite of its statement ("wasn't involved in sales anymore" ->
# "Involved in sales anymore"), so no candidate starts there.
NEGATIONS = {"not", "no", "never", "nobody", "nothing", "without", "nor", "none", "neither", "cannot", "hardly"}
# A verdict the stance lexicon does not see: a comparison after a verb ("Price was higher", "Clarion had the better
# demo") or against something ("Higher than Tallyhub"); "Clarion's simpler interface" names a subject and stays.
VERDICT = {"better", "worse", "best", "worst", "higher", "lower", "cheaper", "pricier", "costlier", "easier",
           "harder", "faster", "slower", "simpler", "clunkier", "smoother", "nicer", "more", "less", "too"}
# A phrase that opens on a choice and names a rival tells who was chosen, not why: "Looked at Skuvia".
CHOICE = {"looked", "went", "moved", "switched", "chose", "picked", "signed", "evaluated", "bought", "left", "going",
          "moving", "switching", "choosing", "picking", "tried", "trialed", "trialled", "demoed"}
# ... or a lack the phrase opens on: "Miss the approvals" is the churned side's verdict on what the won side praises.
LACK = {"miss", "missed", "misses", "missing", "lack", "lacked", "lacking", "lacks", "wish", "wished"}
VERBS = {"is", "was", "were", "are", "be", "been", "being", "am", "had", "has", "have", "got", "gets", "felt",
         "seemed", "looked", "looks", "feels", "seems",
         # an auxiliary left without its verb ("Escalations didn't")
         "did", "didn't", "do", "don't", "does", "doesn't", "wasn't", "weren't", "isn't", "aren't", "can", "can't",
         "could", "couldn't", "would", "wouldn't", "should", "shouldn't", "will", "won't", "hasn't", "haven't",
         "hadn't"}
CLAUSE = re.compile(r"[.,;:!?()\"\u201c\u201d\u2014\u2013]+|\s-\s|\s--\s")
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\u2019-]*")


def _words(text: str) -> list[list[str]]:
    """The words of each clause, apostrophes straightened."""
    return [WORD.findall(c.replace("\u2019", "'")) for c in CLAUSE.split(text)]


def negation(word: str) -> bool:
    return word in NEGATIONS or word.endswith("n't")


def verdict(words: Sequence[str]) -> bool:
    """A comparison after a verb or before "than", or one the phrase ends on ("Meaningfully cheaper"), or a lack it
    opens on ("Miss the approvals"): the phrase judges instead of naming ("Clarion's simpler interface" names)."""
    if words and (words[-1] in VERDICT or words[0] in LACK):
        return True
    for i, w in enumerate(words):
        if w in VERDICT and (any(v in VERBS for v in words[:i])
                             or words[i + 1:i + 2] == ["than"]):
            return True
    return False


COPULAS = {"is", "was", "were", "are", "been", "be"}


def judged(words: Sequence[str]) -> bool:
    """A clause that says how something was, however mildly ("Scheduling was fine", "Alerts were hit and miss"):
    under a theme of complaints it reads as the opposite of the driver beside it."""
    from winloss.themes.stance import valence

    return bool(COPULAS & set(words)) and any(valence(w) != 0 for w in words)


def spans(text: str, stop: set[str], banned: set[str]) -> set[str]:
    """The candidate phrases of one statement, lowercased."""
    found: set[str] = set()
    for clause in _words(text):
        low = [w.lower() for w in clause]
        for i in range(len(low)):
            # after a negation, or after one and its determiner ("It wasn't a hard decision for the CFO"), the
            # span says the opposite of the statement
            if low[i] in stop or low[i] in banned or (i and negation(low[i - 1])) \
                    or (i > 1 and low[i - 1] in DETERMINERS and negation(low[i - 2])):
                continue
            for j in range(i + MIN_WORDS, min(i + MAX_WORDS, len(low)) + 1):
                if low[j - 1] in banned:
                    break
                if low[j - 1] not in stop and not low[j - 1].isdigit() and low[j:j + 1] != [] \
                        and low[j] in OBJECTS:
                    continue  # "Support fixed" of "Support fixed it": a predicate cut from its object
                if low[j - 1] not in stop and not low[j - 1].isdigit():
                    found.add(" ".join(low[i:j]))
    return found


def _surface(phrase: str, texts: Iterable[str]) -> str:
    """The phrase as the statements most often write it (so "Salesforce" and "SOC 2" keep their case), its first
    letter capitalised."""
    pattern = re.compile(r"\b" + r"\W+".join(re.escape(w) for w in phrase.split()) + r"\b", re.IGNORECASE)
    first = phrase.split()[0]
    said = (t.replace("\u2019", "'") for t in texts)
    forms = Counter(m.group(0) for t in said if first in t.lower() for m in pattern.finditer(t))
    best = min(forms, key=lambda f: (-forms[f], f)) if forms else phrase
    best = " ".join(best.split())
    return best[0].upper() + best[1:]


def clauses(text: str, stop: set[str], banned: set[str]) -> set[str]:
    """The statement's clauses of 2-6 words once stop words at either end are trimmed, lowercased."""
    found = set()
    for clause in _words(text):
        low = [w.lower() for w in clause]
        while low and (low[0] in stop or low[0] in banned) and not negation(low[0]):
            low = low[1:]
        cut = len(low)
        while cut and (low[cut - 1] in stop or low[cut - 1] in banned):
            cut -= 1
        if set(low[cut:]) & OBJECTS:
            continue  # a clause trimmed of its object ("Support fixed it") is a predicate, not a subject
        low = low[:cut]
        if MIN_WORDS <= len(low) <= MAX_CLAUSE and not negation(low[0]) and not any(w in banned for w in low):
            found.add(" ".join(low))
    return found


def candidates(texts: Sequence[str], members: np.ndarray, own: np.ndarray, stop: set[str],
               banned: set[str]) -> list[str]:
    """A theme's most often said phrases (in 2+ of its statements when there are such), most said first, then the
    clauses of its most central statements; none holding a time expression or a verdict, none ending on a verb."""
    said = Counter(p for i in members for p in spans(texts[i], stop, banned))
    repeated = [p for p, n in said.items() if n >= 2]
    pool = sorted(repeated or list(said), key=lambda p: (-said[p], -len(p.split()), p))[:CANDIDATES]
    centre = unit(own[members].mean(axis=0))
    closeness = own[members] @ centre
    central = [members[i] for i in sorted(range(len(members)), key=lambda i: (-closeness[i], members[i]))[:CENTRAL]]
    found = pool + sorted({p for i in central for p in clauses(texts[i], stop, banned)} - set(pool))
    said_clauses = [[w.lower() for w in clause] + [""] for i in members for clause in _words(texts[i])]
    return [p for p in found if not TIME_SPAN.search(p) and not QUANTITY.search(p) and not verdict(p.split())
            and p.split()[-1] not in VERBS
            and not _cut_noun_phrase(p, said_clauses, stop) and not _straddles(p.split(), stop)]


CONJUNCTIONS = {"and", "or", "but", "then"}
# A word that opens a clause inside a phrase makes it a sentence fragment, never a name for the theme: "Swallowed
# that if the texts worked", "Money because the CFO".
SUBORDINATE = {"if", "because", "unless", "although", "though", "whether"}


def _straddles(words: Sequence[str], stop: set[str]) -> bool:
    """A span across two clauses: "overnight and the on-call engineer" of "an outage overnight and the on-call
    engineer never got the text". A conjunction inside a label joins two words of one kind ("security and
    compliance"), never a clause's end to the next one's determiner."""
    return any(w in CONJUNCTIONS and (words[i + 1] in stop or words[i - 1] in stop)
               for i, w in enumerate(words[1:-1], start=1))


def _cut_noun_phrase(phrase: str, said_clauses: Sequence[list[str]], stop: set[str]) -> bool:
    """said_clauses: the theme's clauses, lowercased words each with "" at the end (tokenised once per theme)."""
    words = phrase.split()
    if len(words) < 3 or words[-2] not in DETERMINERS:
        return False
    after, after_last = set(), set()  # what follows the phrase; what follows its last word anywhere in the theme
    for low in said_clauses:
        if words[-1] not in low:
            continue
        after_last |= {low[i + 1] for i in range(len(low) - 1) if low[i] == words[-1]}
        after |= {low[i + len(words)] for i in range(len(low) - len(words)) if low[i:i + len(words)] == words}
    # the same content word always follows, and the last word never ends a phrase ("the top-up is" names a noun)
    return len(after) == 1 and not after_last & (stop | {""})


def support(pool: Sequence[str], texts: Sequence[str], members: np.ndarray, groups: Sequence[str] | None) -> np.ndarray:
    """For each candidate, the share of the theme's interviews (its statements where no groups are given) whose
    statements say it: a phrase said in several interviews names the theme, one said once is one person's angle."""
    said: dict[str, set[str]] = {}
    for i in members:
        key = str(groups[i]) if groups is not None else str(i)
        said.setdefault(key, set()).add(" " + " | ".join(" ".join(w).lower() for w in _words(texts[i])) + " ")
    lines = [" | ".join(s) for s in said.values()]
    return np.array([sum(f" {p} " in line for line in lines) / max(len(lines), 1) for p in pool])


def interview_centre(own: np.ndarray, members: np.ndarray, groups: Sequence[str] | None) -> np.ndarray:
    """The theme's centre with each interview weighing once: one talkative interviewee does not pull it."""
    if groups is None:
        return unit(own[members].mean(axis=0))
    by: dict[str, list[int]] = {}
    for i in members:
        by.setdefault(str(groups[i]), []).append(int(i))
    return unit(np.stack([own[rows].mean(axis=0) for _, rows in sorted(by.items())]).mean(axis=0))


def _before_us(text: str) -> bool:
    """A statement about the buyer's past or old tool ("We'd been burned by a sync before", "our old tool didn't
    wake anyone up"): the situation before us, which a label must not name as the theme."""
    return bool(OWN_PAST.search(text) or BEFORE.search(text) or PAST_EXPERIENCE.search(text))


PAST_EXPERIENCE = re.compile(r"\b(we'd been|we had been|i'd been)\b|\bbefore\W*$", re.IGNORECASE)
SIDE_MAJORITY = 0.5  # a theme whose statements this share of take one side is told by that side ...
FLIP_SIDE = 1 / 3  # ... unless the other side takes at least this share too


def told(members: np.ndarray, stances: Sequence[str] | None) -> np.ndarray:
    """The statements a theme's label phrase must be said in: those of its side, where most of its statements take
    one. A theme of complaints ("Escalations didn't fire", "no one ever returned our calls") has few phrases left
    once verdicts are dropped, and those come from its strays ("Our platform team was reorganised", one lost
    interview's circumstance): the label must come from what the theme's own side says. A theme both sides tell
    (the demo's Salesforce theme: 32 statements praise it, 23 criticise it) is labelled from all of them: its won
    side's "Changes in Salesforce" hid the "Salesforce sync" its churned side names."""
    if stances is None or not len(members):
        return members
    counts = [sum(1 for i in members if stances[i] == side) for side in ("negative", "positive")]
    if min(counts) >= FLIP_SIDE * len(members):  # both sides tell it (a flip): the label is the subject they share
        return members
    for side in ("negative", "positive"):
        mine = np.asarray([i for i in members if stances[i] == side], dtype=members.dtype)
        if len(mine) > SIDE_MAJORITY * len(members):
            return mine
    return members


def _stems(phrase: str) -> set[str]:
    """The phrase's words and the parts of its hyphenated ones, plurals folded: "per-invoice pricing" holds
    "invoice", as "invoice capture" holds the keyword "invoices"."""
    return {_stem(part) for w in phrase.split() for part in {w, *w.split("-")} if part}


def compounds(texts: Sequence[str], members: np.ndarray, terms: set[str], stop: set[str],
              banned: set[str]) -> list[str]:
    """Where no candidate holds the theme's key word, the spans ending on it after one or two content words
    ("intacct sync", "multi-entity sync"): a one-word keyword is mostly a noun and the words before it its
    modifiers, where the words after it run on into the sentence ("sync kept")."""
    found: set[str] = set()
    for i in members:
        for clause in _words(texts[i]):
            low = [w.lower() for w in clause]
            for j, w in enumerate(low):
                if w not in terms:
                    continue
                for k in (j - 1, j - 2):
                    before = low[max(k, 0):j]
                    if k < 0 or any(b in stop or b in banned or b.isdigit() or negation(b) for b in before):
                        break
                    found.add(" ".join(before + [w]))
    return sorted(p for p in found if not TIME_SPAN.search(p) and not QUANTITY.search(p) and not verdict(p.split()))


def phrase_labels(texts: Sequence[str], theme_ids: list[str], members: dict[str, np.ndarray], own: np.ndarray,
                  encode: Callable[[list[str]], np.ndarray], stop: set[str], names: Iterable[str] = (),
                  keywords: dict[str, list[str]] | None = None,
                  groups: Sequence[str] | None = None, stances: Sequence[str] | None = None,
                  rivals: Iterable[str] = ()) -> dict[str, list[str]]:
    """For each theme, its candidate labels best first (surface form); an empty list when it has none.
    keywords: the theme's distinctive terms, best first (a phrase close to the centre but off the theme's own words,
    "Went to a competitor" for a champion who left, misleads the reader); groups: the interview of each statement;
    stances: each statement's stance, see `told`; rivals: the competitors' names (a keyword that is one names who,
    not what: the next keyword joins it)."""
    banned = BANNED | TIME_WORDS | {n.lower() for n in names for n in n.split()}
    # a label names the subject, not a verdict: "Support was slow" over a theme won customers praise would contradict
    # the driver printed beside it, so phrases that carry a stance are left out (unless nothing else is left)
    from winloss.themes.stance import lexicon_stance

    rival_words = {w for r in rivals for w in re.findall(r"[\w'-]+", r.lower())}
    pools, fallback = {}, {}
    for t in theme_ids:
        pool = candidates(texts, members[t], own, stop, banned)
        side = told(members[t], stances)
        if len(side) < len(members[t]):
            pool = [p for p, n in zip(pool, support(pool, texts, side, None)) if n > 0] or pool
        now = np.asarray([i for i in members[t] if not _before_us(texts[i])], dtype=members[t].dtype)
        if 0 < len(now) < len(members[t]):
            pool = [p for p, n in zip(pool, support(pool, texts, now, None)) if n > 0] or pool
        pool = [p for p in pool if lexicon_stance(p).stance == "neutral" and not judged(p.split())] or pool
        pool = [p for p in pool if not SUBORDINATE & set(p.split())] or pool
        ranked = (keywords or {}).get(t, [])
        terms = {w for k in ranked[:KEY_TERMS] for w in k.lower().split()} - stop
        if terms and terms <= rival_words:  # who was chosen is no subject: the next keyword joins ("skuvia; fee")
            terms |= {w for k in ranked[KEY_TERMS:KEY_TERMS + 1] for w in k.lower().split()} - stop
        # "Looked at Skuvia", "Moved to Crew": the choice of a rival, not what it was chosen for
        pool = [p for p in pool if not (p.split()[0] in CHOICE and rival_words & set(p.split()))] or pool
        pools[t] = [p for p in pool if terms & set(p.split())] or pool
        loose = {_stem(w) for w in terms}
        if len(terms) == 1 and not terms & banned and not any(loose & _stems(p) for p in pool):
            # not even "dashboard builder" for "dashboards": the pool misses the theme's subject altogether
            fallback[t] = compounds(texts, now if len(now) else members[t], terms, stop, banned)
    taken = {p for t, pool in pools.items() if t not in fallback for p in pool}
    for t, found in fallback.items():  # another theme's own phrase stays that theme's ("NetSuite sync")
        pools[t] = [p for p in found if p not in taken] or pools[t]
    unique = sorted({p for pool in pools.values() for p in pool})
    if not unique:
        return {t: [] for t in theme_ids}
    vec = dict(zip(unique, encode(unique)))
    out: dict[str, list[str]] = {}
    for t in theme_ids:
        pool = pools[t]
        if not pool:
            out[t] = []
            continue
        score = (np.stack([vec[p] for p in pool]) @ interview_centre(own, members[t], groups)
                 + SUPPORT_WEIGHT * support(pool, texts, members[t], groups))
        order = sorted(range(len(pool)), key=lambda i: (-round(float(score[i]), 6), pool[i]))
        out[t] = [_surface(pool[i], (texts[j] for j in members[t])) for i in order]
    return out
