"""Tell the interviewer from the customer-side speakers.

Order of evidence: the manifest's `interviewer` column, then `interviewer_names` from winloss.toml, then who asks
the questions. Interviewer speech is never evidence, so an unsure split is always reported, never hidden.
"""
from __future__ import annotations

import re
from collections import Counter

from winloss.interviews.readers.common import UNKNOWN_SPEAKER
from winloss.models import RoleResult, Transcript

_QUESTION_START = re.compile(
    r"^(?:so,? |and,? |okay,? |ok,? |right,? |got it\.? )*(?:what|why|how|when|where|who|which|did|do|does|was|were|"
    r"is|are|can|could|would|will|have|has|had|tell me|walk me|talk me|describe|help me understand)\b", re.I)


def _is_question(text: str) -> bool:
    """A turn that asks: a question mark, or (for transcripts without punctuation) a short turn opening like one."""
    return "?" in text or (len(text.split()) <= 25 and bool(_QUESTION_START.match(text.strip())))


_AFFIX = re.compile(r"\s*[(\[][^)\]]*[)\]]\s*$")  # "Dana Ruiz (Northwind)", "Ana (she/her)"


def _match(named: set[str], speakers: list[str]) -> set[str]:
    """Speakers the manifest or config names; a label's bracketed company or pronouns need not be typed."""
    wanted = {n.strip().casefold() for n in named if n.strip()}
    return {s for s in speakers if s.casefold() in wanted or _AFFIX.sub("", s).casefold() in wanted}


def detect_roles(transcript: Transcript, manifest_names: set[str] | tuple = (), config_names: set[str] | list = ()
                 ) -> RoleResult:
    speakers = sorted({t.speaker for t in transcript.turns})
    words = Counter()
    questions = Counter()  # turns that ask something: interviewers ask in most turns, customers in a few
    for turn in transcript.turns:
        words[turn.speaker] += len(turn.text.split())
        questions[turn.speaker] += _is_question(turn.text)
    stats = {"questions": dict(sorted(questions.items())), "words": dict(sorted(words.items()))}

    unmatched = ""
    if manifest_names and not _match(set(manifest_names), speakers):
        # A typo in the interviewer column must not pass silently: the guess below may be wrong.
        unmatched = (f"interviewer {', '.join(sorted(manifest_names))} is not a speaker in this transcript "
                     f"(speakers: {', '.join(speakers)}); ")
    for method, names in (("manifest", manifest_names), ("config", config_names)):
        found = _match(set(names), speakers)
        if found:
            customers = set(speakers) - found
            warning = "" if customers else "every speaker is named as interviewer; no customer speech"
            return RoleResult(found, customers, method, unmatched + warning if warning else unmatched.rstrip("; "),
                              stats)

    if speakers == [UNKNOWN_SPEAKER]:
        return RoleResult(set(), set(speakers), "speakerless",
                          unmatched + "no speaker labels in this transcript: interviewer and customer cannot be told "
                          "apart, so all its speech is treated as customer speech", stats)
    if len(speakers) == 1:
        return RoleResult(set(), set(speakers), "single-speaker",
                          f"only one speaker ({speakers[0]}); treated as customer, roles could not be told apart", stats)

    ranked = sorted(speakers, key=lambda s: (-questions[s], words[s], s))
    top, runner = ranked[0], ranked[1]
    warning = ""
    if questions[top] == 0:
        # Nobody asks: the interviewer is usually the one who talks least.
        top = min(speakers, key=lambda s: (words[s], s))
        warning = f"no questions found; guessed {top} (fewest words) as interviewer, roles could not be told apart"
    elif questions[runner] >= 0.5 * questions[top] and questions[top] - questions[runner] < 3:
        warning = (f"{top} and {runner} ask a similar number of questions ({questions[top]} vs {questions[runner]}); "
                   f"guessed {top} as interviewer, roles could not be told apart reliably")
    customers = set(speakers) - {top}
    if unmatched:
        warning = unmatched + (warning or f"guessed {top} (asks the most questions) as interviewer")
    return RoleResult({top}, customers, "questions", warning, stats)
