"""Stance of a statement toward us, the vendor: positive, negative or neutral. Pure functions, no model.

Why not a sentiment model: general sentiment is not stance. "Clarion was cheaper" has no sentiment and is a loss
reason; "our infosec team had a ninety-question questionnaire" sounds tedious and says nothing about us. Measured on
the demo's answer key (fixtures/demo/stance_key.csv, docs/themes.md): VADER alone agrees on 35 %, nearest of 72
MiniLM prototype sentences on 56 %. So the scorer below keeps VADER's lexicon for general words (minus the fillers
that speech is full of: "honestly", "kind of", "like") and adds what interview talk about a vendor needs (the cues
themselves are in themes/stance_cues.py):
- a small vendor-talk lexicon ("broke", "stale", "took forever", "plug and play", "same day", "on the roadmap");
- negation over the four words before a cue, with "nobody", "no one" and "never" as negators, so "nobody ever
  answered" and "it doesn't break" read the right way round;
- a contrast rule: after "but" the clause counts 1.5 times, before it half;
- competitors: praise of a named competitor ("Clarion's demo was really clean") is against us, its flaws for us;
  words that are already relative to us ("cheaper", "flat fee") are not flipped;
- regret: a counterfactual ("if the sync had just worked", "if we'd been live in a month") is a complaint;
- a brand is a proper noun ("the signal was weak" is not the competitor Signal), and whom the customer chose is
  the verdict ("we went with Signal", "we picked you").
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from winloss.themes.parties import (
    IT,
    THEM,
    TURNS_BACK,
    US_WORD,
    about_rival,
    alternation,
    cased,
    ends_on_competitor,
    first_at,
    names_competitor,
    rival_pattern,
    spoken_to_us,
)
from winloss.themes.stance_cues import (
    BEFORE,
    CHANGE_WEIGHT,
    CONTRACTION,
    CONTRAST,
    COUNTERFACTUAL,
    EXONERATED,
    FILLERS,
    FREEZE,
    NEGATORS,
    NOW,
    OWN_PAST,
    PATTERNS,
    QUALITY,
    RELATIVE,
    THAN,
    UNLESS,
    WISH,
)
from winloss.themes.stance_model import STANCES, example_log_odds

THRESHOLD = 0.9  # |score| below this is neutral (score: summed valence, VADER's -4..4 scale per word)

WORD = re.compile(r"[a-z]+(?:[-'][a-z]+)*|n't")


@dataclass(frozen=True)
class StanceCall:
    stance: str
    score: float  # the lexicon's valence toward us (> 0 for us)
    margin: float = 0.0  # log-odds between the chosen stance and the runner-up: low means unsure (LLM refinement)
    source: str = "offline"  # "offline" or "llm"


MAX_CUE_WORDS = 5


@dataclass(frozen=True)
class Cues:
    """A lexicon of words and phrases, with the phrase lengths (longest first) that start with each word: most
    words start no cue, so a statement is read in one pass instead of five lookups per word."""

    valence: dict[str, float]
    lengths: dict[str, tuple[int, ...]]

    @classmethod
    def of(cls, valence: dict[str, float]) -> Cues:
        lengths: dict[str, set[int]] = {}
        for phrase in valence:
            words = phrase.split(" ")
            if len(words) <= MAX_CUE_WORDS:
                lengths.setdefault(words[0], set()).add(len(words))
        return cls(valence, {w: tuple(sorted(n, reverse=True)) for w, n in lengths.items()})


@lru_cache(maxsize=1)
def _quality_cues() -> Cues:
    """VADER's word valences without speech fillers, overridden by the vendor-talk QUALITY words."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer().lexicon
    words = {**{w: v for w, v in vader.items() if w not in FILLERS and " " not in w}, **QUALITY}
    return Cues.of({**_adverbs(words), **words})


HEDGES = {"fairly", "really", "only", "hardly", "barely", "likely", "surely", "simply", "lonely", "lovely"}


def _adverbs(words: dict[str, float]) -> dict[str, float]:
    """The adverb of each judging adjective the lexicons lack, with its valence ("Payvance pulled every line out
    cleanly", "the sync worked reliably", "a poorly mapped field"); hedges ("fairly basic") are not judgements."""
    out = {}
    for w, v in words.items():
        if " " in w or not w.isalpha() or len(w) < 4:
            continue
        for adverb in (w[:-1] + "ily" if w.endswith("y") else w[:-1] + "y" if w.endswith("le") else w + "ly",):
            if adverb not in words and adverb not in HEDGES and adverb not in FILLERS:
                out[adverb] = v
    return out


@lru_cache(maxsize=1)
def _relative_cues() -> Cues:
    return Cues.of(RELATIVE)


def valence(word: str) -> float:
    """One word's valence in the scorer's lexicons (0 when it has none)."""
    return _quality_cues().valence.get(word, 0.0) or _relative_cues().valence.get(word, 0.0)


def _tokens(text: str) -> list[str]:
    text = text.lower().replace("\u2019", "'")
    text = CONTRACTION.sub(" n't", text)
    return WORD.findall(text)


def _phrases(tokens: list[str], cues: Cues) -> list[tuple[int, str, float]]:
    """(position, phrase, valence) of every cue, longest phrase first at each position, no overlaps."""
    found = []
    i = 0
    while i < len(tokens):
        for n in cues.lengths.get(tokens[i], ()):
            phrase = " ".join(tokens[i:i + n])
            if len(tokens) - i >= n and phrase in cues.valence:
                found.append((i, phrase, cues.valence[phrase]))
                i += n
                break
        else:
            i += 1
    return found


NEGATION_WINDOW = 4  # words before a cue that a negator reaches ("nobody on your side reached out")


NOUN_PHRASE_REACH = 7  # ... and how far one reaches into the noun phrase it opens ("never had a single payroll error")
DETERMINERS = {"a", "an", "any", "one", "single"}
HAVE = {"had", "have", "has", "got", "get", "saw", "seen", "found", "heard", "ran", "made", "filed", "raised",
        "logged", "opened", "hit", "noticed"}


# What was good and is no more: "by then the trust was gone", "any goodwill evaporated". A cue followed within
# LOSS_WINDOW words by one of these is negated like one after "no".
LOSS = {"gone", "evaporated", "disappeared", "vanished"}
LOSS_WINDOW = 3


def _lost(tokens: list[str], at: int, length: int) -> bool:
    return any(t in LOSS for t in tokens[at + length:at + length + LOSS_WINDOW])


def _negated(tokens: list[str], at: int, idiom: frozenset[int] = frozenset()) -> bool:
    """idiom: positions of negators that belong to a matched idiom ("can't say enough"), which negate nothing.
    A negator farther than NEGATION_WINDOW still reaches a cue in the noun phrase it opens with a determiner:
    "no / never had / not a single ... error"."""
    start = max(0, at - NEGATION_WINDOW)
    window = [t if start + k not in idiom else "" for k, t in enumerate(tokens[start:at])]
    if any(t in NEGATORS for t in window) or " ".join(window[-2:]) == "no one":
        return True
    for j in range(max(0, at - NOUN_PHRASE_REACH), start):
        if tokens[j] in NEGATORS and j not in idiom:
            between = tokens[j + 1:at]
            if between[0] in DETERMINERS or (between[0] in HAVE and between[1] in DETERMINERS):
                return True
    return False


# Words that name the other side's advantage: said of a competitor or of nobody ("it was cheaper") they count
# against us; said of us ("you were cheaper", "you weren't the cheapest") they are about us.
RIVAL_ADVANTAGE = {"cheaper", "cheapest", "simpler", "cleaner", "easier", "better demo", "demoed better"}


def clause_score(text: str, competitors: frozenset[str], about_competitor: bool = False) -> float:
    """about_competitor: the statement names a competitor, so a clause that does not name us first is about them.
    In a comparison the subject is what comes before "than": "Clarion was easier than yours" praises Clarion."""
    tokens = _tokens(FREEZE.sub(" ", UNLESS.sub(" ", text)))
    subject = THAN.split(text)[0]
    about_competitor = (about_competitor or names_competitor(subject, competitors)) \
        and about_rival(subject, competitors)
    about_us = not about_competitor \
        and first_at(US_WORD, subject) < first_at(rival_pattern(competitors, subject), subject)
    own_past = bool(OWN_PAST.search(text))
    quality = _phrases(tokens, _quality_cues())
    starts = [at for at, _, _ in quality]
    idiom = frozenset(at + k for at, phrase, _ in quality if " " in phrase
                      for k, word in enumerate(phrase.split(" ")) if word in NEGATORS)
    score = 0.0
    for cues, flip in ((quality, about_competitor), (_phrases(tokens, _relative_cues()), about_us)):
        for at, phrase, valence in cues:
            if phrase in NEGATORS:
                # "nobody" is a complaint on its own, but before another cue it only negates that one
                if not any(at < p <= at + NEGATION_WINDOW for p in starts) and not own_past:
                    score += valence
                continue
            # a negated complaint is faint praise ("not bad"); a negated good deed is a complaint ("nobody answered")
            negated = _negated(tokens, at, idiom) or _lost(tokens, at, phrase.count(" ") + 1)
            v = (-0.74 if valence < 0 else -1.0) * valence if negated else valence
            if own_past and v < 0:
                continue
            score += -v if flip and (cues is quality or phrase in RIVAL_ADVANTAGE) else v
    return score


# The choice itself: "we went with Signal", "we switched to ADPro", "we picked you". Whom they chose is the verdict,
# with no judgement word in it; a person's choice told in passing ("our VP, who picked you, left") is not one.
CHOICE = (r"(?<!who )(?<!which )(?<!that )\b(?P<neg>(?:not|n't|never|didn't|did not)\s+(?:\w+\s+)?)?"
          r"(?:went|go|going|gone|switched|switching|moved|moving|chose|choose|picked|pick|signed|selected|ended up|"
          r"stayed|stuck|renewed|bought)"
          r"(?:\s+back|\s+over|\s+(?:going|signing))?(?:\s+(?:with|to|for|on))?\s+")
CHOICE_WEIGHT = 2.0
CHOSE_US = re.compile(CHOICE + r"(?:you|your (?:product|platform|tool|team))\b", re.IGNORECASE)


@lru_cache(maxsize=16)
def _chose_rival(competitors: frozenset[str], proper: bool) -> re.Pattern | None:
    return re.compile(CHOICE + rf"(?:{alternation(competitors, proper)})\b(?!-\w)", re.IGNORECASE) \
        if competitors else None


def choice_score(text: str, competitors: frozenset[str]) -> float:
    """+CHOICE_WEIGHT for each time the customer says they chose us, - for a competitor; "didn't go with" turns it."""
    rival = _chose_rival(competitors, cased(text))
    score = 0.0
    for pattern, sign in ((CHOSE_US, 1.0), (rival, -1.0)):
        for found in pattern.finditer(text) if pattern is not None else ():
            score += CHOICE_WEIGHT * (-sign if found.group("neg") else sign)
    return score


def change_score(text: str, competitors: frozenset[str]) -> float | None:
    """A told change scored as one, or None when the text tells none: the past is the contrast, so its complaints
    count for us and its praise against us ("we used to love it, now we just tolerate it"); a complaint about the
    present counts as it is ("now it crashes daily")."""
    before, now = BEFORE.search(text), NOW.search(text)
    if before is None or now is None:
        return None
    if before.start() < now.start():
        past, present = text[:now.start()], text[now.start():]
    else:  # "She reads every postmortem now. She never did that before."
        cut = max(text.rfind(p, 0, before.start()) for p in ".;!?")
        past, present = text[cut + 1:], text[:cut + 1]
    then, today = clause_score(past, competitors), clause_score(present, competitors)
    if today < 0:
        return today - max(then, 0.0)
    return today - CHANGE_WEIGHT if then > 0 else today + CHANGE_WEIGHT


def _judged(text: str, competitors: frozenset[str], rival: bool) -> float:
    """The clauses' cues, the clause after "but" weighing more, and the patterns, all toward whom they judge."""
    parts = CONTRAST.split(text)
    if len(parts) == 1:
        score = clause_score(text, competitors, rival)
    else:
        before, after = " but ".join(parts[:-1]), parts[-1]
        score = 0.5 * clause_score(before, competitors, rival) + 1.5 * clause_score(after, competitors, rival)
    own_past = bool(OWN_PAST.search(text))
    # the patterns judge the statement's subject too: "Gustly had us live in two days" is against us
    sign = -1.0 if rival and about_rival(text, competitors) else 1.0
    return score + sign * sum(w for pattern, w in PATTERNS if pattern.search(text) and not (own_past and w < 0))


def score_statement(text: str, competitors: frozenset[str] = frozenset(), after_competitor: bool = False,
                    after_rival: bool = False) -> float:
    """Summed valence toward us; > 0 for us, < 0 against us. after_competitor: the statement before it, in the same
    turn, named a competitor, so "their screens are real simple" is about that competitor; after_rival: that
    statement was about the competitor alone, so "it" is theirs too ("Clarion had the better demo." "My team loved
    it in the demo.")."""
    if EXONERATED.search(text):
        return 0.0
    rival = names_competitor(text, competitors) or (after_competitor and bool(THEM.search(text))) \
        or (after_rival and bool(IT.search(text)) and not US_WORD.search(text))
    change = None if rival else change_score(text, competitors)
    score = (change if change is not None else _judged(text, competitors, rival)) + choice_score(text, competitors)
    if COUNTERFACTUAL.search(text) or WISH.search(text):
        score = min(score, 0.0) - 1.5  # "if it had been close, I would have gone with you": a regret, not praise
    return score


def lexicon_stance(text: str, competitors: Iterable[str] = (), ours: Iterable[str] = ()) -> StanceCall:
    """One statement's stance from its own words only (no turn context, no example model)."""
    names = frozenset(n.lower() for n in competitors if n)
    score = score_statement(spoken_to_us(text, ours), names)
    stance = "positive" if score >= THRESHOLD else "negative" if score <= -THRESHOLD else "neutral"
    return StanceCall(stance, round(score, 3))


# An answer tends to keep one stance ("We mapped the custom stages in an afternoon." after "your connector just
# picked it up"), so each statement's log-odds gain this share of the mean of the other statements of its answer
# (same interview and turn). Chosen on the demo key's odd interviews (0.25-1.5 tried, lexicon-space and log-odds
# smoothing, neighbours and whole answer); measured on the even ones and on Amazon review sentences
# (docs/themes.md): the whole answer in log-odds space at 0.75 was best on the odd half.
ANSWER_WEIGHT = 0.75
LEXICON_WEIGHT = 0.4  # log-odds per valence unit of the lexicon score, added to the example model's log-odds


def lexicon_scores(statements, competitors: Iterable[str] = (), ours: Iterable[str] = ()) -> list[float]:
    """Each statement's own score; a statement after one that named a competitor, in the same turn, reads "they"
    as that competitor. `ours`: the names customers call us by."""
    names = frozenset(n.lower() for n in competitors if n)
    ours = tuple(ours)
    out = []
    read = [spoken_to_us(s.text, ours) for s in statements]
    for i, s in enumerate(statements):
        prev = statements[i - 1] if i else None
        after = bool(names) and prev is not None and prev.interview_id == s.interview_id \
            and prev.turn_index == s.turn_index and ends_on_competitor(prev.text, names)
        # "But the brain is better, so I accept it." turns "it" back to us; "But their approval flow..." stays theirs
        alone = after and not US_WORD.search(read[i - 1]) and not TURNS_BACK.match(s.text.lstrip(" ,.-"))
        out.append(score_statement(read[i], names, after, alone))
    return out


def with_lexicon(log_odds: np.ndarray, lexicon: np.ndarray) -> np.ndarray:
    """Lexicon evidence moves the example model's log-odds toward positive or negative."""
    z = log_odds.copy()
    z[:, 0] += LEXICON_WEIGHT * lexicon
    z[:, 1] -= LEXICON_WEIGHT * lexicon
    return z


# The interviewer's question moves its answer's log-odds this far toward the stance it asks for (stance_questions).
# Chosen on the odd interviews of the four interview keys: 0.5 and 1.0 both gained there, 1.0 more.
QUESTION_WEIGHT = 1.0


# A statement that clears us ("Not your fault.", "Nothing to do with you, really.") tells a circumstance: its neutral
# log-odds gain this much. 1 and 3 gave the same calls on the odd interviews of the four keys.
EXONERATED_WEIGHT = 1.0
# A customer's own question, a whole statement ("How does it know what to update?", "What if it doesn't work for
# us?"): it asks, it neither praises nor blames; a question inside a story ("our VP was like, who uses it?") is not
# one of these and keeps its reading.
_OWN_QUESTION = re.compile(
    r"^(?:(?:so|and|but|okay|ok|right|um|uh|well|yeah|sorry)[,.]?\s+)*(?:what|why|how|when|where|who|which|"
    r"is|are|was|were|do|does|did|can|could|would|will|should|have|has)\b[^.!?]*\?[\s\"')]*$", re.I)


def own_question(text: str) -> bool:
    return bool(_OWN_QUESTION.match(text.strip()))


def with_question(z: np.ndarray, asks: np.ndarray) -> np.ndarray:
    """asks: per statement, +1 where its question asks for praise, -1 for criticism, 0 otherwise."""
    out = z.copy()
    out[:, 0] += QUESTION_WEIGHT * asks
    out[:, 1] -= QUESTION_WEIGHT * asks
    return out


def with_answer(z: np.ndarray, statements) -> np.ndarray:
    """Each row plus ANSWER_WEIGHT x the mean row of the other statements of the same answer."""
    answers: dict[tuple[str, int], list[int]] = {}
    for i, s in enumerate(statements):
        answers.setdefault((s.interview_id, s.turn_index), []).append(i)
    out = z.copy()
    for rows in answers.values():
        if len(rows) > 1:
            total = z[rows].sum(axis=0)
            out[rows] += ANSWER_WEIGHT * (total - z[rows]) / (len(rows) - 1)
    return out


def calls(z: np.ndarray, lexicon: np.ndarray) -> list[StanceCall]:
    best = z.argmax(axis=1)
    top = np.sort(z, axis=1)
    margin = top[:, -1] - top[:, -2]
    return [StanceCall(STANCES[int(b)], round(float(x), 3), round(float(m), 3))
            for b, x, m in zip(best, lexicon, margin)]


def stance_log_odds(statements, vectors: np.ndarray, embedder, competitors: Iterable[str] = (),
                    cache_dir: Path | None = None, ours: Iterable[str] = ()) -> tuple[np.ndarray, np.ndarray]:
    """(log-odds per statement, columns STANCES; each statement's lexicon score): all the evidence before the call.
    `vectors`: the statements' own (not context-mixed) embeddings; `embedder` embeds the examples (cached like
    every other text); `ours`: the names customers call us by."""
    from winloss.themes.stance_examples import NEGATIVE, NEUTRAL, POSITIVE
    from winloss.themes.stance_questions import denial, question_prior

    competitors, ours = tuple(competitors), tuple(ours)
    examples = POSITIVE + NEGATIVE + NEUTRAL
    labels = ["positive"] * len(POSITIVE) + ["negative"] * len(NEGATIVE) + ["neutral"] * len(NEUTRAL)
    log_odds = example_log_odds(np.asarray(vectors), embedder.encode(examples), labels, cache_dir)
    lexicon = np.clip(np.asarray(lexicon_scores(statements, competitors, ours), dtype=float), -4, 4)
    asks = np.asarray([question_prior(s.question, competitors, ours) for s in statements])
    for i in np.flatnonzero(asks):  # "Anything you'd change?" "Not really." says the other side, unless more follows
        rest = denial(statements[i].text)
        if rest is not None and (not rest or lexicon_stance(rest, competitors, ours).score >= 0):
            asks[i] = -asks[i]
    z = with_answer(with_question(with_lexicon(log_odds, lexicon), asks), statements)
    cleared = np.asarray([bool(EXONERATED.search(spoken_to_us(s.text, ours))) for s in statements])
    z[cleared, 2] += EXONERATED_WEIGHT  # after the answer context: clearing us lends its neighbours nothing
    asked = np.asarray([own_question(s.text) for s in statements], dtype=bool)
    z[asked] = (0.0, 0.0, 0.5)  # neutral, and unsure enough that a configured LLM reads it
    return z, lexicon


def statement_stances(statements, vectors: np.ndarray, embedder, competitors: Iterable[str] = (),
                      cache_dir: Path | None = None, ours: Iterable[str] = ()) -> list[StanceCall]:
    """The stance of every statement (stance_log_odds' arguments)."""
    if not statements:
        return []
    return calls(*stance_log_odds(statements, vectors, embedder, competitors, cache_dir, ours))
