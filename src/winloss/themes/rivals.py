"""Competitors the customers name: all of them for a study whose CRM and settings name none (an interview-only
study, or an export without a Competitor column such as Maven's CRM dataset), the others beside those the CRM names
(a buyer who "signed with Dialpad" where the CRM only ever recorded Ruby and Weave). Without them "Clarion's demo
was better" reads as praise of us and every competitive loss as no decision.

A rival is a proper name the customer says they chose or weighed us against: "we went with Clarion", "we ended up
with Tallyhub", "we looked at Clarion, Tallyhub and Northwind". A choice in one lost or churned interview names it
(what a won customer chose is us); a weaker cue (looked at, evaluated, up against) needs two interviews. Never our own names, a person the transcripts name, a
month, or the status quo (Excel, spreadsheets, email)."""
from __future__ import annotations

import re
from collections.abc import Iterable

_ONE = r"(?-i:[A-Z][A-Za-z0-9&+]*[a-z][A-Za-z0-9&+]*)"
_NAME = rf"({_ONE}(?:\s{_ONE})?)"
_CHOSE = re.compile(r"\b(?:(?P<left>went with|gone with|going with|go with|signed with|switched to|moved to|"
                    r"end(?:ed|ing)? up with|(?:deal|contract|business) went to)|chose|picked|selected|decided on|"
                    r"settled on)\s+(?:the\s+)?" + _NAME, re.IGNORECASE)
# a weighing cue opens a list: "we looked at Clarion, Tallyhub, and Northwind"
_WEIGHED = re.compile(r"\b(?:looked at|evaluated|trialled|trialed|demoed|shortlisted|compared (?:you|it|them|us) "
                      r"(?:to|with|against)|up against|versus|vs\.?)\s+((?:the\s+)?" + _ONE +
                      r"(?:(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)" + _ONE + r")*)", re.IGNORECASE)
_LISTED = re.compile(_NAME)
# "You chose Wrenchline over JobRoute": whoever was chosen, the other is a rival
_OVER = re.compile(r"\b(?:chose|picked|selected|went with)\s+(?:the\s+)?" + _ONE + r"\s+over\s+(?:the\s+)?" + _NAME,
                   re.IGNORECASE)
# Capitalised words that follow such a cue and are no vendor: the status quo, pronouns and time.
_NOT_RIVALS = {
    "excel", "sheets", "google sheets", "word", "outlook", "gmail", "email", "paper", "spreadsheets", "i", "we",
    "you", "they", "it", "them", "us", "our", "their", "the", "a", "an", "another", "someone", "nobody", "nothing",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
    "april", "may", "june", "july", "august", "september", "october", "november", "december", "christmas",
    "q1", "q2", "q3", "q4", "ok", "okay", "yeah", "yes", "no", "so", "and", "but", "um", "uh",
}
MIN_WEAK = 2  # interviews that must weigh us against a name before it is read as a rival
# "I'd go with Spotify", "we would probably go with X", "we'd have gone with X": a choice not made ("decided to go
# with X" is one, and so is "we'd already signed with X": that 'd is "had")
_UNMADE = re.compile(r"(?:'d|\b(?:would|should|could|might|may|will|'ll|wouldn't|won't))\s+"
                     r"(?:(?:probably|just|have|rather|definitely|likely|maybe|still|then)\s+)*$", re.IGNORECASE)


def rivals_named(interviews: Iterable[tuple[str, str, str]], exclude: Iterable[str] = ()) -> list[str]:
    """The rivals a study's customers name, sorted. interviews: (interview_id, cohort, customer text); exclude: our
    names and the people the transcripts name (their words, in any case, never make a rival)."""
    banned = {w.casefold() for name in exclude for w in [name, *str(name).split()] if w}
    chose: dict[str, set[str]] = {}
    weighed: dict[str, set[str]] = {}
    ours: set[str] = set()
    for interview, cohort, text in interviews:
        for m in _CHOSE.finditer(text):
            if _UNMADE.search(text[max(0, m.start() - 30):m.start()]):
                continue
            name = _trim(m.group(2), banned)
            # what a won customer chose is us, and what a churned one once chose ("the person who chose Northwind
            # left"); only a churned customer's move away ("we switched to Papertrail") names a rival
            if name and (cohort == "won" or (cohort == "churned" and not m.group("left"))):
                ours.add(name)
            elif name:
                chose.setdefault(name, set()).add(interview)
        for m in _OVER.finditer(text):
            name = _trim(m.group(1), banned)
            if name:
                chose.setdefault(name, set()).add(interview)
        for m in _WEIGHED.finditer(text):
            for listed in _LISTED.finditer(m.group(1)):
                name = _trim(listed.group(1), banned)
                if name:
                    weighed.setdefault(name, set()).add(interview)
    named = set(chose) | {n for n, ids in weighed.items() if len(ids | chose.get(n, set())) >= MIN_WEAK}
    return sorted(named - ours)


def _trim(name: str, banned: set[str]) -> str:
    """The name without a trailing common word ("Clarion Because"), or '' when it is no rival's."""
    words = name.split()
    while words and (words[-1].casefold() in _NOT_RIVALS or words[-1].casefold() in banned):
        words.pop()
    if not words or words[0].casefold() in _NOT_RIVALS or words[0].casefold() in banned:
        return ""
    return " ".join(words)
