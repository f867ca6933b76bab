"""Tell the interviewer from the customer-side speakers.

Order of evidence: the manifest's `interviewer` column, then `interviewer_names` from winloss.toml, then who asks
the questions. Interviewer speech is never evidence, so an unsure split is always reported, never hidden.
"""
from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise

from winloss.interviews.readers.common import ROLE_LABEL, UNKNOWN_SPEAKER
from winloss.models import RoleResult, Transcript

_QUESTION_START = re.compile(
    r"^(?:so,? |and,? |okay,? |ok,? |right,? |got it\.? )*(?:what|why|how|when|where|who|which|did|do|does|was|were|"
    r"is|are|can|could|would|will|have|has|had|tell me|walk me|talk me|describe|help me understand)\b", re.I)


def _is_question(text: str) -> bool:
    """A turn that asks: a question mark, or (for transcripts without punctuation) a short turn opening like one."""
    return "?" in text or (len(text.split()) <= 25 and bool(_QUESTION_START.match(text.strip())))


def quoted_speaker(label: str) -> str:
    """How a quote names its speaker: the person's name, or, for a seat label such as "Speaker 2", the customer with
    the label kept for finding the line in the transcript ("customer (Speaker 2)"), never the label as a name."""
    label = " ".join(str(label or "").split())
    if not label or label == UNKNOWN_SPEAKER:
        return "customer"
    return f"customer ({label})" if ROLE_LABEL.fullmatch(label) and label.lower() != "customer" else label


_AFFIX = re.compile(r"\s*[(\[][^)\]]*[)\]]\s*$")  # "Dana Ruiz (Northwind)", "Ana (she/her)"


def _plain(label: str) -> str:
    """A label as a person's name is typed: no bracketed affix, and "Last, First" (Zoom's corporate display names)
    as "First Last"."""
    label = _AFFIX.sub("", label)
    last, comma, first = label.partition(",")
    return f"{first.strip()} {last.strip()}" if comma and first.strip() else label


def _match(named: set[str], speakers: list[str]) -> set[str]:
    """Speakers the manifest or config names; a label's bracketed company or pronouns need not be typed, nor its
    "Last, First" order, and a first name alone ('Dana' for 'Dana Ruiz', or the label 'Dana' for 'Dana Ruiz')
    counts when it picks out one speaker."""
    wanted = {n.strip().casefold() for n in named if n.strip()}
    found = {s for s in speakers if s.casefold() in wanted or _AFFIX.sub("", s).casefold() in wanted
             or _plain(s).casefold() in wanted}
    for name in wanted - {_plain(s).casefold() for s in found} - {_AFFIX.sub("", s).casefold() for s in found} \
            - {s.casefold() for s in found}:
        same_first = [s for s in speakers if _plain(s).casefold().split()[:1] == name.split()[:1]
                      and (len(name.split()) == 1 or len(_plain(s).split()) == 1)]
        if len(same_first) == 1:
            found.add(same_first[0])
    return found


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
                          unmatched + "no speaker labels in this transcript: sentences that ask or prompt "
                          "(\"?\", \"tell me about\", \"the first question is\") are taken as the interviewer's, the "
                          "rest as customer speech; check its quotes", stats, sure=False)
    if len(speakers) == 1:
        return RoleResult(set(), set(speakers), "single-speaker",
                          f"only one speaker ({speakers[0]}); treated as customer, roles could not be told apart", stats,
                          sure=False)

    ranked = sorted(speakers, key=lambda s: (-questions[s], words[s], s))
    top, runner = ranked[0], ranked[1]
    warning, sure = "", False
    if questions[top] == 0:
        # Nobody asks: the interviewer is usually the one who talks least.
        top = min(speakers, key=lambda s: (words[s], s))
        warning = f"no questions found; guessed {top} (fewest words) as interviewer, roles could not be told apart"
    elif questions[runner] >= 0.5 * questions[top] and questions[top] - questions[runner] < 3:
        warning = (f"{top} and {runner} ask a similar number of questions ({questions[top]} vs {questions[runner]}); "
                   f"guessed {top} as interviewer, roles could not be told apart reliably")
    else:
        sure = True
    customers = set(speakers) - {top}
    if unmatched:
        warning = unmatched + (warning or f"guessed {top} (asks the most questions) as interviewer")
    return RoleResult({top}, customers, "questions", warning, stats, sure=sure)


_QUESTION_WORDS = re.compile(r"\b(?:what|why|how|when|where|who|which|tell me|walk me|describe)\b", re.I)
PROMPT_WORDS = 30  # a turn this short followed by a reply twice its length is a prompt


def turn_structure(transcript: Transcript) -> tuple[str | None, dict[str, int], str]:
    """The interviewer by how the conversation runs, for speech without trustworthy punctuation (ASR output).

    Points per speaker: opening the conversation (1), each short turn answered by a turn at least twice as long
    (a prompt), each turn that asks, by question words or by a question mark; a question mark alone scores half,
    so a tiny model's stray "?" cannot decide. Returns (speaker or None when tied, points, warning).
    """
    turns = [t for t in transcript.turns if t.text.strip()]
    points: Counter = Counter({t.speaker: 0.0 for t in turns})
    if not turns:
        return None, {}, "no speech"
    points[turns[0].speaker] += 1
    for turn, reply in pairwise(turns):
        n = len(turn.text.split())
        if reply.speaker != turn.speaker and n <= PROMPT_WORDS and len(reply.text.split()) >= 2 * n:
            points[turn.speaker] += 1
    for turn in turns:
        worded = bool(_QUESTION_WORDS.search(turn.text)) and len(turn.text.split()) <= PROMPT_WORDS
        points[turn.speaker] += 1.0 if worded or _QUESTION_START.match(turn.text.strip()) else (
            0.5 if "?" in turn.text else 0.0)
    ranked = sorted(points, key=lambda s: (-points[s], s))
    scores = {s: round(points[s], 1) for s in sorted(points)}
    if len(ranked) < 2:
        return ranked[0], scores, ""
    top, runner = ranked[0], ranked[1]
    if points[top] == points[runner]:
        return None, scores, f"{top} and {runner} lead the conversation equally ({points[top]:g} points each)"
    warning = ""
    if points[top] < 1.5 * points[runner]:
        warning = (f"turn structure barely separates {top} ({points[top]:g} points) from {runner} "
                   f"({points[runner]:g}); roles may be swapped")
    return top, scores, warning
