"""What the interviewer's question asks for: a stance prior for the answer it gets.

"So you went with Gustly. What made the difference?" asks for the rival's advantage, so its answer is against us
even where its words judge nothing ("Their setup was a checklist"). "Why did you choose Pagerly?" and "What made it
go that fast?" ask for praise. "Anything we could have done differently?" and "Is there anything that's been
frustrating?" ask for criticism. Words that ask are read only in the sentences that ask (ending "?"): "No problem."
and "I love that." are the interviewer's manners. A question about the decision ("decided not to renew", "what
happened?") asks for the story, not a verdict, and gets no prior: circumstances stay neutral. Interviewer speech is
never evidence; here it only says what kind of answer follows.

Chosen reading the odd interviews of the demo, Pagerly, Ledgerlark and Payloom (docs/themes.md).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

CHOSE = r"(?:went|go|going|gone|signed|chose|choose|picked|pick|switched|buy|bought)(?: with| to)?"
NOT_CHOSEN = re.compile(r"(?:n't|\bnot|\bnever)(?:\s+\w+){0,3}\s*$", re.IGNORECASE)  # just before the verb
FOR_CRITICISM = re.compile(
    r"frustrat|annoy|disappoint|went wrong|(?:done|do) (?:anything )?(?:differently|better)|could (?:we|you) have"
    r"|(?:would|could) you change|why did you (?:leave|cancel|switch)|struggl|worst|missing|didn't work|hardest"
    r"|\bleast\b|dislike|(?:didn't|don't|did not|do not) like", re.IGNORECASE)
FOR_PRAISE = re.compile(r"what (?:did|do) you like|\blike most|\blove\b|best (?:part|thing)|worked well|going well"
                        r"|so fast|that fast|favou?rite", re.IGNORECASE)


def _names(names: Iterable[str]) -> str:
    return "|".join(re.escape(n.strip()) for n in sorted(set(names), key=lambda n: (-len(n), n)) if n.strip())


@lru_cache(maxsize=16)
def _choices(competitors: tuple[str, ...], ours: tuple[str, ...]) -> tuple[tuple[re.Pattern, float], ...]:
    """The choice of a rival (-1) and of us (+1), compiled once per study's names: asked for every statement."""
    rivals, mine = _names(competitors), "|".join(x for x in ("us|you", _names(ours)) if x)
    return tuple((re.compile(rf"\b{CHOSE} (?:{names})\b", re.IGNORECASE), sign)
                 for names, sign in ((rivals, -1.0), (mine, 1.0)) if names)


def question_prior(question: str, competitors: Iterable[str] = (), ours: Iterable[str] = ()) -> float:
    """-1 (the question asks for criticism of us or the rival's advantage), +1 (praise of us) or 0."""
    if not question:
        return 0.0
    for pattern, sign in _choices(tuple(competitors), tuple(ours)):
        found = pattern.search(question)
        if found:  # "Why didn't you go with Clarion?" asks why we won: the other side of the choice
            return -sign if NOT_CHOSEN.search(question[:found.start()]) else sign
    asked = " ".join(re.findall(r"[^.!?]*\?", question))
    if FOR_CRITICISM.search(asked):
        return -1.0
    if FOR_PRAISE.search(asked):
        return 1.0
    return 0.0
