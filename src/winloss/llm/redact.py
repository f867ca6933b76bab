"""PII redaction before anything leaves the machine, and the local mapping back.

Replaces emails, phone numbers, URLs, the speaker and interviewer names from the transcripts and (optionally) company
names with placeholders like [PERSON_1]. Numbering restarts for every request and follows the order of first
appearance, so the same request redacts to the same text on every run (the response cache depends on it) and
placeholders never reveal anything across requests. Names are matched case-sensitively on word boundaries: the full
label ("Dana Ruiz") and each capitalised part ("Dana", "Ruiz"), so "Dana said" is caught too. `person_names` adds the
people the transcripts mention without being speakers, when their first name is a common one (US census list), and
the lowercase forms that keyword lists use ("kevin left"). A surname alone, or a rare first name, that is never a
speaker label is not caught.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from winloss.interviews.readers.common import ROLE_LABEL

_URL = re.compile(r"(?:\bhttps?://|\bwww\.)[^\s<>\"'\\]+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE_CANDIDATE = re.compile(r"(?<![\w+.])\+?\(?\d[\d ().-]{5,}\d(?![\w])")
_DATE_LIKE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")
_PLACEHOLDER = re.compile(r"\[(URL|EMAIL|PHONE|PERSON|COMPANY)_(\d+)\]")
_COMPANY_SUFFIX = re.compile(r"[,\s]+(inc|inc\.|llc|ltd|ltd\.|limited|gmbh|ag|sa|s\.a\.|plc|corp|corp\.|corporation|"
                             r"co|co\.|bv|b\.v\.|oy|ab|as|srl|pty)$", re.IGNORECASE)


def _is_phone(candidate: str) -> bool:
    digits = sum(ch.isdigit() for ch in candidate)
    if not 7 <= digits <= 15 or _DATE_LIKE.fullmatch(candidate.strip()):
        return False
    if candidate.startswith(("+", "(")) or digits >= 10:
        return True
    return re.fullmatch(r"\d{3}[-. ]\d{4}", candidate) is not None


def name_terms(names: Iterable[str]) -> set[str]:
    """The strings to redact for a set of speaker labels: each full label and its capitalised parts."""
    terms: set[str] = set()
    for raw in names:
        name = " ".join(str(raw).split())
        if not name or ROLE_LABEL.fullmatch(name):
            continue
        terms.add(name)
        for part in re.split(r"[\s,;/]+", name):
            part = part.strip(".()")
            if len(part) >= 2 and part[0].isupper() and not ROLE_LABEL.fullmatch(part):
                terms.add(part)
    return terms


MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"}


@lru_cache(maxsize=1)
def common_first_names() -> frozenset[str]:
    """About 5,500 first names from the US census (the `names` package's lists), lowercase."""
    import names

    found = set()
    for key in ("first:male", "first:female"):
        with open(names.FILES[key], encoding="ascii") as handle:
            found.update(line.split()[0].lower() for line in handle if line.strip())
    return frozenset(n for n in found if len(n) >= 3)


def person_names(speakers: Iterable[str], texts: Iterable[str]) -> set[str]:
    """Everything to redact as a person: the speaker labels; capitalised words in the texts that are common first
    names, unless the texts also use them as ordinary lowercase words ("may", "hope", "will") or they are months;
    and the lowercase form of every such name part that the texts never use as an ordinary word, because keyword
    lists and offline labels are lowercased ("kevin left")."""
    lower: set[str] = set()
    capitalised: set[str] = set()
    for text in texts:
        for word in re.findall(r"[^\W\d_]+", text):
            (lower if word.islower() else capitalised).add(word)
    first = common_first_names()
    mentioned = {w for w in capitalised if w[0].isupper() and w[1:].islower() and w.lower() in first
                 and w.lower() not in lower and w.lower() not in MONTHS}
    out = {str(s) for s in speakers} | mentioned
    parts = {p for p in name_terms(out) if " " not in p}
    out |= {p.lower() for p in parts if len(p) >= 3 and p.lower() not in lower and p.lower() not in MONTHS}
    return out


def names_to_redact(transcripts: dict, interviews: Iterable, extra: Iterable[str] = ()) -> set[str]:
    """Every speaker label of every transcript, the interviewer names given in the manifest or settings, and the
    people the transcripts mention (see redact.person_names)."""
    speakers = {turn.speaker for t in transcripts.values() for turn in t.turns if turn.speaker}
    speakers |= {n for i in interviews for n in i.interviewers} | set(extra)
    return person_names(speakers, (turn.text for t in transcripts.values() for turn in t.turns))


def company_terms(companies: Iterable[str]) -> set[str]:
    terms: set[str] = set()
    for raw in companies:
        name = " ".join(str(raw).split())
        if len(name) < 2:
            continue
        terms.add(name)
        bare = _COMPANY_SUFFIX.sub("", name).strip()
        if len(bare) >= 2:
            terms.add(bare)
    return terms


def _alternation(terms: set[str]) -> re.Pattern | None:
    if not terms:
        return None
    ordered = sorted(terms, key=lambda t: (-len(t), t))  # longest first: "Dana Ruiz" before "Dana"
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in ordered) + r")(?!\w)")


@dataclass
class Mapping:
    """Placeholder -> original for one request."""

    originals: dict[str, str] = field(default_factory=dict)
    _by_value: dict[tuple[str, str], str] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)

    def placeholder(self, kind: str, value: str) -> str:
        key = (kind, value)
        if key not in self._by_value:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            token = f"[{kind}_{self._counts[kind]}]"
            self._by_value[key] = token
            self.originals[token] = value
        return self._by_value[key]


class Redactor:
    def __init__(self, names: Iterable[str] = (), companies: Iterable[str] = (), enabled: bool = True):
        self.enabled = enabled
        self._names = _alternation(name_terms(names))
        self._companies = _alternation(company_terms(companies))

    def redact(self, texts: list[str]) -> tuple[list[str], Mapping]:
        """Redact several texts (one request's messages) with one shared, deterministic numbering."""
        mapping = Mapping()
        if not self.enabled:
            return list(texts), mapping
        return [self._redact_one(text, mapping) for text in texts], mapping

    def _redact_one(self, text: str, mapping: Mapping) -> str:
        # URLs first: they can contain emails and names; names last: they can occur inside emails.
        text = _URL.sub(lambda m: self._url(m.group(0), mapping), text)
        text = _EMAIL.sub(lambda m: mapping.placeholder("EMAIL", m.group(0)), text)
        text = _PHONE_CANDIDATE.sub(
            lambda m: mapping.placeholder("PHONE", m.group(0)) if _is_phone(m.group(0)) else m.group(0), text)
        if self._names:
            text = self._names.sub(lambda m: mapping.placeholder("PERSON", m.group(0)), text)
        if self._companies:
            text = self._companies.sub(lambda m: mapping.placeholder("COMPANY", m.group(0)), text)
        return text

    @staticmethod
    def _url(url: str, mapping: Mapping) -> str:
        trail = len(url) - len(url.rstrip(".,;:!?)]}"))
        core, rest = (url[:-trail], url[-trail:]) if trail else (url, "")
        return mapping.placeholder("URL", core) + rest


def restore(text: str, mapping: Mapping) -> str:
    """Put the originals back; placeholders the model invented stay as they are (and fail later checks)."""
    if not mapping.originals:
        return text
    return _PLACEHOLDER.sub(lambda m: mapping.originals.get(m.group(0), m.group(0)), text)


def restore_all(value, mapping: Mapping):
    """Restore every string inside parsed JSON."""
    if isinstance(value, str):
        return restore(value, mapping)
    if isinstance(value, list):
        return [restore_all(v, mapping) for v in value]
    if isinstance(value, dict):
        return {k: restore_all(v, mapping) for k, v in value.items()}
    return value
