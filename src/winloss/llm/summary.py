"""The executive summary the LLM may draft, and the checks it must pass: every number from the tables, every quote
verbatim."""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict

from winloss.llm.client import LlmClient
from winloss.llm.common import LlmUse, off_use, render


@dataclass(frozen=True)
class Sentence:
    text: str
    cites: tuple[str, ...]


@dataclass(frozen=True)
class Finding:
    text: str
    cites: tuple[str, ...]
    quote: str  # "" or an exact substring of one of the quotes passed in
    quote_source: dict | None  # the passed-in quote it comes from (theme, cohort, interview, speaker, ...)


@dataclass(frozen=True)
class Summary:
    executive_summary: tuple[Sentence, ...]
    headline_findings: tuple[Finding, ...]

    def to_record(self) -> dict:
        return asdict(self)


class SentenceItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    cites: list[str]


class FindingItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    cites: list[str]
    quote: str


class SummaryReply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    executive_summary: list[SentenceItem]
    headline_findings: list[FindingItem]


SUMMARY_FIX = ("Your draft broke these rules:\n{problems}\nWrite the whole JSON again, following every rule: numbers "
               "copied from the tables exactly, quotes copied character for character, a citation for every sentence.")
_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?%?|(?<![\w.,])\d+(?:\.\d+)?%?")
_THEME_ID = re.compile(r"\bT\d{2,}\b")
_QUOTED = re.compile(r"[\"“]([^\"”]{12,})[\"”]")


def _numbers(text: str) -> list[tuple[float, int, bool]]:
    """(value, decimals, is_percent) for each number written in text."""
    out = []
    for match in _NUMBER.finditer(text):
        token = match.group(0)
        percent = token.endswith("%")
        digits = token.rstrip("%").replace(",", "")
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        out.append((float(digits), decimals, percent))
    return out


def _table_values(tables) -> set[float]:
    values: set[float] = set()

    def walk(node):
        if isinstance(node, bool) or node is None:
            return
        if isinstance(node, (int, float, np.integer, np.floating)):
            if np.isfinite(node):
                values.add(float(node))
        elif isinstance(node, str):
            values.update(v for v, _, _ in _numbers(node))  # "T03" is an id: _NUMBER skips digits after a letter
        elif isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str):
                    walk(key)
                walk(value)
        elif isinstance(node, (list, tuple, set)):
            for value in node:
                walk(value)

    walk(tables)
    return values


def _number_allowed(value: float, decimals: int, percent: bool, table: set[float]) -> bool:
    """A written number is allowed when a table value displays as it: integers exactly, decimals rounded to the
    places written, percentages as written or from a share (0.42 -> 42%)."""
    for v in table:
        candidates = [v] + ([v * 100] if percent and 0 <= v <= 1 else [])
        for c in candidates:
            if decimals == 0 and not percent:
                if c == value:
                    return True
            elif round(c, decimals) == value:
                return True
    return False


def _summary_problems(reply: SummaryReply, tables: dict, quotes: Sequence[dict]) -> list[str]:
    table_numbers = _table_values(tables)
    quote_texts = [str(q.get("quote", "")) for q in quotes]
    known_ids = set(_THEME_ID.findall(json.dumps(tables, default=str))) | {str(q.get("theme_id", "")) for q in quotes}
    problems = []
    sentences = [(s.text, s.cites, "") for s in reply.executive_summary] + \
                [(f.text, f.cites, f.quote) for f in reply.headline_findings]
    if not reply.executive_summary or not reply.headline_findings:
        problems.append("empty executive summary or no headline findings")
    problems += [f"finding without a quote: {f.text[:60]!r}" for f in reply.headline_findings if not f.quote.strip()]
    for text, cites, quote in sentences:
        where = text[:60]
        if not [c for c in cites if c.strip()]:
            problems.append(f"sentence cites nothing: {where!r}")
        for cite in cites:
            if not (_THEME_ID.fullmatch(cite.strip()) and cite.strip() in known_ids) and not _numbers(cite):
                problems.append(f"cite {cite!r} is neither a known theme id nor a figure")
        for tid in _THEME_ID.findall(text + " " + " ".join(cites)):
            if tid not in known_ids:
                problems.append(f"unknown theme id {tid}")
        unquoted = _QUOTED.sub(" ", text)  # numbers inside a verbatim quote are the customer's, checked below
        for value, decimals, percent in _numbers(_THEME_ID.sub(" ", unquoted + " " + " ".join(cites))):
            if not _number_allowed(value, decimals, percent, table_numbers):
                problems.append(f"number {value:g}{'%' if percent else ''} is not in the tables: {where!r}")
        for span in _QUOTED.findall(text) + ([quote] if quote.strip() else []):
            if not any(span in q for q in quote_texts):
                problems.append(f"quote not verbatim: {span[:60]!r}")
    return problems


def summary_messages(tables: dict, quotes: Sequence[dict]) -> list[dict]:
    return render("draft_summary.j2", tables=tables, quotes=[dict(q) for q in quotes])


def draft_summary(client: LlmClient | None, tables: dict, quotes: Sequence[dict]) -> tuple[Summary | None, LlmUse]:
    """The executive summary and headline findings, or None (the template's section stays) when there is no LLM,
    the call fails, or any sentence breaks a rule: a number not in the tables, a quote that is not an exact substring
    of a passed quote (each quote dict needs "quote"; "theme_id" is used for citations), a missing citation. A draft
    that breaks rules is sent back once with the list of what it broke; the second draft must pass every check."""
    if client is None:
        return None, off_use("summary", 1)
    use = LlmUse("summary", items=1)
    messages = summary_messages(tables, quotes)
    reply = None
    for attempt in range(2):
        outcome = client.chat_json(messages, SummaryReply, "summary")
        if outcome.value is None:
            use.note(outcome)
            break
        problems = _summary_problems(outcome.value, tables, quotes)
        use.notes.extend(f"draft {attempt + 1} rejected: {p}" for p in problems[:10])
        if not problems:
            reply = outcome.value
            break
        # the client redacts the whole conversation again, so the draft goes back with placeholders, not names
        messages = messages + [{"role": "assistant", "content": outcome.value.model_dump_json()},
                               {"role": "user", "content": SUMMARY_FIX.format(
                                   problems="\n".join(f"- {p}" for p in problems[:10]))}]
    if reply is None:
        use.fell_back = 1
        return None, use
    quote_texts = [str(q.get("quote", "")) for q in quotes]

    def source(quote: str) -> dict | None:
        return next((dict(q) for q, text in zip(quotes, quote_texts) if quote and quote in text), None)

    summary = Summary(
        tuple(Sentence(s.text.strip(), tuple(s.cites)) for s in reply.executive_summary),
        tuple(Finding(f.text.strip(), tuple(f.cites), f.quote if f.quote.strip() else "", source(f.quote))
              for f in reply.headline_findings))
    use.from_llm = 1
    return summary, use
