"""What the interviewer's question asks for: a stance prior for the answer it gets.

"So you went with Gustly. What made the difference?" asks for the rival's advantage, so its answer is against us
even where its words judge nothing ("Their setup was a checklist"). "Why did you choose Pagerly?" and "What made it
go that fast?" ask for praise. "Anything we could have done differently?" and "Is there anything that's been
frustrating?" ask for criticism. Words that ask are read only in the sentences that ask (ending "?"): "No problem."
and "I love that." are the interviewer's manners. A question about the decision ("decided not to renew", "what
happened?") asks for the story, not a verdict, and gets no prior: circumstances stay neutral. A question about the
whole field ("What did you like most about the solutions you evaluated?") or about both sides ("strengths and
weaknesses") gets none either. Interviewer speech is never evidence; here it only says what kind of answer follows.

Chosen reading the odd interviews of the demo, Pagerly, Ledgerlark and Payloom, then the prompts of public win/loss
interview guides (tests/test_stance.py holds both; docs/themes.md).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

CHOSE = r"(?:went|go|going|gone|signed|chose|choose|picked|pick|switched|buy|bought)(?: with| to)?"
# Guides ask about the rival without its name: "Why did you choose someone else?"
UNNAMED_RIVAL = (r"someone else|somebody else|a competitor|the competitor|the competition"
                 r"|(?:another|a different|the other) (?:vendor|provider|solution|tool|option|platform|product|supplier)")
NOT_CHOSEN = re.compile(r"(?:n't|\bnot|\bnever)(?:\s+\w+){0,3}\s*$", re.IGNORECASE)  # just before the verb
ALMOST = re.compile(r"\b(?:almost|nearly)\s*$", re.IGNORECASE)  # "almost went with someone else": both sides follow
STRENGTH = r"(?:strong points?|strengths?|strongest (?:point|suit)|advantages?|edge)"
WEAKNESS = r"(?:weak points?|weaknesses|weakest (?:point|link)|shortcomings|gaps?)"
FOR_CRITICISM = re.compile(
    r"frustrat|annoy|disappoint|went wrong|(?:done|do) (?:anything )?(?:differently|better)|could (?:we|you) have"
    r"|(?:would|could) you change|why did you (?:leave|cancel|switch)|struggl|worst|missing|didn't work|hardest"
    r"|\bleast\b|dislike|(?:didn't|don't|did not|do not) like"
    r"|(?:could|should|can|would) (?:we|you|they) (?:have )?improve|improve on|(?:you'd|you would) (?:\w+ ){0,3}improve"
    r"|to see improved|room for improvement|areas? (?:for|of|to) improv|how (?:we|to) (?:could )?improve"
    r"|you'd change|(?:one|first) thing you'd change|almost stopped|held you back|hold you back|gave you pause"
    r"|hesitat|reservations|felt off|hard to believe|f[ae]ll short|let you down|dropp?(?:ed)? the ball",
    re.IGNORECASE)
FOR_PRAISE = re.compile(r"what (?:did|do) you like|\blike most|\blove\b|best (?:part|thing)|worked well|going well"
                        r"|went well|so fast|that fast|favou?rite", re.IGNORECASE)
# The whole field or both sides: the answer may praise the rival or judge both ("the strengths and weaknesses of each")
FIELD = re.compile(r"\b(?:solutions|options|vendors|alternatives|providers|tools|products|each|both|all of them"
                   r"|the others?)\b|strength.{0,20}weakness|weakness.{0,20}strength|pros and cons", re.IGNORECASE)


# An answer that says there is nothing to tell: "Anything you'd change?" "Honestly, not really." is content, and "Is
# there anything we did well?" "Not much." is criticism. The denial must end its clause ("Nothing wrong with a single
# paycheck" praises).
DENIAL = re.compile(r"^\W*(?:(?:honestly|well|um|uh|oh|so|really|i mean|to be honest|truthfully|no)[,\s]+)*"
                    r"(?:no|nope|not really|nothing(?: really)?|none(?: at all)?|not much|not at all|not a thing"
                    r"|nothing comes to mind|(?:i )?can't think of anything|i don't think so|not that i can think of"
                    r"|not off the top of my head)(?:[,\s]+(?:honestly|really|no|at all|to be honest))*\s*(?:[,.!;]|$)",
                    re.IGNORECASE)


# "Nothing comes to mind, apart from the price for those approvers": the exception is the answer
EXCEPT = re.compile(r"^\W*(?:apart from|aside from|except|other than|besides|but|beyond|bar)\b", re.IGNORECASE)


def denial(text: str) -> str | None:
    """What follows a denial that opens the statement ("" when it is all the statement says), or None (no denial,
    or one that names an exception)."""
    found = DENIAL.match(text)
    if not found:
        return None
    rest = text[found.end():].strip()
    return None if EXCEPT.match(rest) else rest


def _names(names: Iterable[str]) -> str:
    return "|".join(re.escape(n.strip()) for n in sorted(set(names), key=lambda n: (-len(n), n)) if n.strip())


@lru_cache(maxsize=16)
def _choices(competitors: tuple[str, ...], ours: tuple[str, ...]) -> tuple[tuple[re.Pattern, float], ...]:
    """The choice of a rival (-1) and of us (+1), compiled once per study's names: asked for every statement."""
    rivals = "|".join(x for x in (_names(competitors), UNNAMED_RIVAL) if x)
    mine = "|".join(x for x in ("us|you", _names(ours)) if x)
    return tuple((re.compile(rf"\b{CHOSE} (?:{names})\b", re.IGNORECASE), sign)
                 for names, sign in ((rivals, -1.0), (mine, 1.0)))


@lru_cache(maxsize=16)
def _sides(competitors: tuple[str, ...], ours: tuple[str, ...]) -> tuple[tuple[re.Pattern, float], ...]:
    """Questions about one side's merits: "What were our strong points?" (+1), "What made Gustly the right choice?"
    and "What did they see as competitor strengths?" (-1)."""
    named = _names(competitors)
    rival = "|".join(x for x in (named, r"(?:the )?competitor'?s?|(?:the )?competition'?s?|their|they") if x)
    mine = "|".join(x for x in (_names(ours), "us|our|your|we") if x)
    out = [(rf"\b(?:{mine})(?:'s)? (?:\w+ )?{STRENGTH}", 1.0), (rf"\b(?:{mine})(?:'s)? (?:\w+ )?{WEAKNESS}", -1.0),
           (rf"\b(?:{rival})(?:'s)? (?:\w+ )?{STRENGTH}", -1.0), (rf"\b(?:{rival})(?:'s)? (?:\w+ )?{WEAKNESS}", 1.0),
           (r"\b(?:we|you guys) (?:do|did|doing|done) (?:\w+ )?(?:well|right)\b", 1.0)]
    if named:  # the rival's advantage asked by its name; "Why did Gustly lose?" is the other side
        out += [(rf"\b(?:what made|why(?: did)?) (?:{named})\b(?!\s+(?:lose|lost|fail|fall|miss))", -1.0),
                (rf"\b(?:{named})(?:'s)? (?:do|did|does|doing|done) (?:\w+ )?(?:better|well|right)\b", -1.0)]
    return tuple((re.compile(p, re.IGNORECASE), sign) for p, sign in out)


def question_prior(question: str, competitors: Iterable[str] = (), ours: Iterable[str] = ()) -> float:
    """-1 (the question asks for criticism of us or the rival's advantage), +1 (praise of us) or 0."""
    return _prior(question, tuple(competitors), tuple(ours)) if question else 0.0


@lru_cache(maxsize=4096)
def _prior(question: str, competitors: tuple[str, ...], ours: tuple[str, ...]) -> float:
    """Cached: every statement of an answer shares its question."""
    for pattern, sign in _choices(competitors, ours):
        found = pattern.search(question)
        if found:  # "Why didn't you go with Clarion?" asks why we won: the other side of the choice
            before = question[:found.start()]
            if ALMOST.search(before):
                return 0.0
            return -sign if NOT_CHOSEN.search(before) else sign
    signs = set()
    for asked in re.findall(r"[^.!?]*\?", question):
        sided = {sign for pattern, sign in _sides(competitors, ours) if pattern.search(asked)}
        if sided:
            signs |= sided
        elif not FIELD.search(asked):
            signs |= {-1.0} if FOR_CRITICISM.search(asked) else {1.0} if FOR_PRAISE.search(asked) else set()
    return signs.pop() if len(signs) == 1 else 0.0
