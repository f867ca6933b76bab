"""The four things winloss asks an LLM, each with its validation and its offline fallback.

Every function takes `client: LlmClient | None`; with None (no LLM configured) it returns the fallback at once and
nothing is sent anywhere. Each returns its result and an `LlmUse` saying how much came from the LLM and what fell
back and why, for run.json and the report.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np
from jinja2 import Environment, PackageLoader, StrictUndefined
from pydantic import BaseModel, ConfigDict

from winloss.llm.client import LlmClient, Outcome

MAX_STATEMENTS = 12  # shown per theme for labelling: at least 8 whenever the theme has 8 different statements
MAX_STATEMENT_CHARS = 500
NOTES_PER_CALL = 20
GENERIC_LABELS = {"other", "misc", "miscellaneous", "general", "general feedback", "feedback", "various", "theme",
                  "topic", "unknown", "n/a", "none", "customer feedback", "mixed feedback"}


# -- prompts -----------------------------------------------------------------------------------------------------------
def _data(value) -> str:
    """Data for a <data> block: JSON, so quotes and newlines are escaped, and '<' '>' escaped so that no text can
    close the block and pose as instructions."""
    text = json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=PackageLoader("winloss", "prompts"), undefined=StrictUndefined, autoescape=False,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["data"] = _data
    return env


def render(template: str, **context) -> list[dict]:
    """A prompt template's `system` and `user` blocks as chat messages."""
    module = _environment().get_template(template).make_module(vars=context)
    return [{"role": "system", "content": str(module.system).strip()},
            {"role": "user", "content": str(module.user).strip()}]


# -- record of use -----------------------------------------------------------------------------------------------------
@dataclass
class LlmUse:
    task: str
    items: int = 0
    from_llm: int = 0
    fell_back: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """'off' (no LLM), 'llm' (all from the LLM), 'partial', or 'fallback' (none from the LLM)."""
        if self.notes == ["no LLM configured"]:
            return "off"
        if not self.items:
            return "none"
        if self.from_llm and not self.fell_back:
            return "llm"
        return "partial" if self.from_llm else "fallback"

    def note(self, outcome_or_text: Outcome | str, where: str = "") -> None:
        text = outcome_or_text if isinstance(outcome_or_text, str) else \
            f"{outcome_or_text.status}: {outcome_or_text.detail}"
        self.notes.append(f"{where}: {text}" if where else text)

    def to_record(self) -> dict:
        return {**asdict(self), "status": self.status}


def _off(task: str, items: int) -> LlmUse:
    return LlmUse(task, items=items, fell_back=items, notes=["no LLM configured"])


# -- 1. theme labels ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ThemeInput:
    theme_id: str  # "T01"
    keywords: tuple[str, ...]
    statements: tuple[str, ...]  # most central and most diverse first; see representative_statements
    offline_label: str


@dataclass(frozen=True)
class ThemeText:
    label: str
    description: str  # "" when the label is the offline one
    source: str  # "llm" or "offline"


class LabelReply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    description: str


def representative_statements(texts: Sequence[str], vectors: np.ndarray, members: Sequence[int],
                              k: int = MAX_STATEMENTS, diversity: float = 0.5) -> list[int]:
    """Indices of up to k members, the most central first, each next one trading closeness to the theme's centre
    against distance from those already picked (maximal marginal relevance), so the prompt sees the theme's range
    rather than ten rewordings of one remark. Identical texts are taken once."""
    members = list(dict.fromkeys(members))
    seen: dict[str, int] = {}
    for i in members:
        seen.setdefault(" ".join(texts[i].split()).casefold(), i)
    pool = sorted(seen.values())
    if not pool:
        return []
    sub = vectors[pool]
    centre = sub.mean(axis=0)
    centre /= np.linalg.norm(centre) or 1.0
    relevance = sub @ centre
    chosen = [int(np.argmax(relevance))]
    while len(chosen) < min(k, len(pool)):
        redundancy = (sub @ sub[chosen].T).max(axis=1)
        score = (1 - diversity) * relevance - diversity * redundancy
        score[chosen] = -np.inf
        chosen.append(int(np.argmax(score)))
    return [pool[c] for c in chosen]


def theme_inputs(texts: Sequence[str], vectors: np.ndarray, labels: np.ndarray, theme_ids: dict[int, str],
                 keywords: dict[int, Sequence[str]], offline_labels: dict[int, str]) -> list[ThemeInput]:
    """ThemeInputs from the engine's arrays: statements per theme picked by representative_statements."""
    out = []
    for theme, theme_id in sorted(theme_ids.items(), key=lambda kv: kv[1]):
        members = np.flatnonzero(labels == theme).tolist()
        picked = representative_statements(texts, vectors, members)
        out.append(ThemeInput(theme_id, tuple(keywords.get(theme, ())),
                              tuple(texts[i][:MAX_STATEMENT_CHARS] for i in picked), offline_labels[theme]))
    return out


def _label_messages(theme: ThemeInput, taken: Sequence[str] = ()) -> list[dict]:
    return render("label_theme.j2", theme_id=theme.theme_id, keywords=list(theme.keywords[:12]),
                  statements=list(theme.statements[:MAX_STATEMENTS]), taken=sorted(taken))


def _norm_label(label: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", label.casefold()).split())


def _label_problem(reply: LabelReply) -> str:
    label = " ".join(reply.label.split())
    if not label or len(label) > 60 or len(label.split()) > 8:
        return f"label {reply.label!r} is empty or longer than 8 words / 60 characters"
    if _norm_label(label) in GENERIC_LABELS or re.search(r"\bT\d{2,}\b", label) or "[" in label or '"' in label:
        return f"label {reply.label!r} is generic, names a theme id, a placeholder or has quotes"
    description = " ".join(reply.description.split())
    if not description or len(description) > 300:
        return "description empty or longer than 300 characters"
    return ""


def label_themes_llm(client: LlmClient | None, themes: Sequence[ThemeInput], reserved: Sequence[str] = ()
                     ) -> tuple[dict[str, ThemeText], LlmUse]:
    """LLM labels and descriptions, unique across themes and unlike the `reserved` labels (themes not relabelled
    here, such as a codebook's); any theme whose label is missing, invalid or still duplicated after one re-ask
    keeps its offline label."""
    offline = {t.theme_id: ThemeText(t.offline_label, "", "offline") for t in themes}
    if client is None:
        return offline, _off("labels", len(themes))
    use = LlmUse("labels", items=len(themes))
    by_id = {t.theme_id: t for t in themes}

    def ask(theme: ThemeInput, taken: Sequence[str] = ()) -> tuple[ThemeText | None, str]:
        outcome = client.chat_json(_label_messages(theme, taken), LabelReply, "theme_label")
        if outcome.value is None:
            return None, f"{outcome.status}: {outcome.detail}"
        problem = _label_problem(outcome.value)
        if problem:
            return None, problem
        return ThemeText(" ".join(outcome.value.label.split()), " ".join(outcome.value.description.split()), "llm"), ""

    def collect(ids: Sequence[str], answers: list[tuple[ThemeText | None, str]]) -> None:
        for tid, (text, problem) in zip(ids, answers):  # in id order, so run.json does not depend on thread timing
            result[tid] = text
            if problem:
                use.note(problem, tid)

    result: dict[str, ThemeText | None] = {}
    collect(list(by_id), client.map(ask, list(themes)))
    # Duplicates: the first theme (by id) keeps the label, the others are asked once more with the taken labels.
    dupes = _duplicates(result, reserved)
    if dupes:
        taken = [t.label for t in result.values() if t is not None] + list(reserved)
        collect(dupes, client.map(lambda tid: ask(by_id[tid], taken), dupes))
        for tid in _duplicates(result, reserved):
            use.note("label still duplicates another theme's after a re-ask", tid)
            result[tid] = None
    final = {tid: text or offline[tid] for tid, text in result.items()}
    # An offline fallback may collide with another theme's LLM label; offline labels are unique among themselves,
    # so demoting the LLM side of each collision ends with all labels unique.
    while True:
        owners: dict[str, list[str]] = {}
        for tid, text in final.items():
            owners.setdefault(_norm_label(text.label), []).append(tid)
        clash = next((ids for ids in owners.values() if len(ids) > 1), None)
        if not clash:
            break
        demote = next(tid for tid in clash if final[tid].source == "llm")
        use.note("LLM label equals another theme's offline label", demote)
        final[demote] = offline[demote]
    use.from_llm = sum(t.source == "llm" for t in final.values())
    use.fell_back = len(final) - use.from_llm
    return final, use


def _duplicates(result: dict[str, ThemeText | None], reserved: Sequence[str] = ()) -> list[str]:
    first: dict[str, str] = {_norm_label(label): "" for label in reserved}
    dupes = []
    for tid in sorted(result):
        text = result[tid]
        if text is None:
            continue
        key = _norm_label(text.label)
        if key in first:
            dupes.append(tid)
        else:
            first[key] = tid
    return dupes


# -- 2. merge suggestions ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MergeSuggestion:
    theme_ids: tuple[str, ...]
    label: str
    reason: str


class MergeItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    theme_ids: list[str]
    label: str
    reason: str


class MergeReply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    merges: list[MergeItem]


def _merge_messages(themes: Sequence[ThemeInput], labels: dict[str, str] | None) -> list[dict]:
    rows = [{"id": t.theme_id, "label": (labels or {}).get(t.theme_id, t.offline_label),
             "keywords": list(t.keywords[:8]), "statements": list(t.statements[:3])} for t in themes]
    return render("merge_themes.j2", themes=rows)


def suggest_merges(client: LlmClient | None, themes: Sequence[ThemeInput],
                   labels: dict[str, str] | None = None) -> tuple[list[MergeSuggestion], LlmUse]:
    """Groups of themes the LLM says are the same, for a person to review (never applied automatically). Suggestions
    naming unknown ids, fewer than two ids, or an id already used by an earlier suggestion are dropped."""
    if client is None or len(themes) < 2:
        return [], _off("merges", 1) if client is None else LlmUse("merges")
    use = LlmUse("merges", items=1)
    outcome = client.chat_json(_merge_messages(themes, labels), MergeReply, "theme_merges")
    if outcome.value is None:
        use.note(outcome)
        use.fell_back = 1
        return [], use
    known = {t.theme_id for t in themes}
    used: set[str] = set()
    out = []
    for item in outcome.value.merges:
        ids = tuple(sorted(dict.fromkeys(item.theme_ids)))
        if len(ids) < 2 or not set(ids) <= known or used & set(ids):
            use.note(f"dropped suggestion {list(item.theme_ids)}: unknown, single or overlapping ids")
            continue
        used |= set(ids)
        out.append(MergeSuggestion(ids, " ".join(item.label.split()), " ".join(item.reason.split())))
    use.from_llm = 1
    return out, use


# -- 3. loss notes -----------------------------------------------------------------------------------------------------
LOSS_TYPES = {1: "wrong-fit", 2: "right-fit lost to competitor", 3: "right-fit no decision"}


@dataclass(frozen=True)
class LossNoteClass:
    loss_type: int  # 1, 2 or 3, see LOSS_TYPES
    reason: str
    competitor: str  # as written in the note, "" when it names none


class NoteItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    deal_id: str
    loss_type: int
    reason: str
    competitor: str


class NotesReply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    deals: list[NoteItem]


def _note_batches(notes: Sequence[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    usable = sorted({(str(d), " ".join(str(t).split())[:1500]) for d, t in notes if str(t).strip()})
    return [usable[i:i + NOTES_PER_CALL] for i in range(0, len(usable), NOTES_PER_CALL)]


def _notes_messages(batch: Sequence[tuple[str, str]]) -> list[dict]:
    return render("classify_loss_notes.j2", notes=[{"deal_id": d, "note": t} for d, t in batch])


def classify_loss_notes(client: LlmClient | None, notes: Sequence[tuple[str, str]]
                        ) -> tuple[dict[str, LossNoteClass], LlmUse]:
    """Loss type and reason per deal from its free-text note. Deals missing from the result (no LLM, an invalid or
    failed reply, an empty note) keep whatever the CRM keyword rules say. A competitor the note does not name is
    dropped rather than trusted."""
    batches = _note_batches(notes)
    n_notes = sum(len(b) for b in batches)
    if client is None:
        return {}, _off("loss_notes", n_notes)
    use = LlmUse("loss_notes", items=n_notes)
    out: dict[str, LossNoteClass] = {}
    for batch, outcome in zip(batches, client.map(lambda b: client.chat_json(_notes_messages(b), NotesReply,
                                                                              "loss_notes"), batches)):
        if outcome.value is None:
            use.note(outcome, f"deals {batch[0][0]}..{batch[-1][0]}")
            continue
        texts = dict(batch)
        for item in outcome.value.deals:
            if item.deal_id not in texts or item.deal_id in out:
                continue
            if item.loss_type not in LOSS_TYPES or not item.reason.strip():
                use.note(f"loss type {item.loss_type!r} or empty reason", item.deal_id)
                continue
            competitor = " ".join(item.competitor.split())
            if competitor and competitor.casefold() not in texts[item.deal_id].casefold():
                competitor = ""
            out[item.deal_id] = LossNoteClass(item.loss_type, " ".join(item.reason.split()), competitor)
    use.from_llm = len(out)
    use.fell_back = n_notes - len(out)
    return out, use


# -- 4. executive summary ----------------------------------------------------------------------------------------------
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


def _summary_messages(tables: dict, quotes: Sequence[dict]) -> list[dict]:
    return render("draft_summary.j2", tables=tables, quotes=[dict(q) for q in quotes])


def draft_summary(client: LlmClient | None, tables: dict, quotes: Sequence[dict]) -> tuple[Summary | None, LlmUse]:
    """The executive summary and headline findings, or None (the template's section stays) when there is no LLM,
    the call fails, or any sentence breaks a rule: a number not in the tables, a quote that is not an exact substring
    of a passed quote (each quote dict needs "quote"; "theme_id" is used for citations), a missing citation. A draft
    that breaks rules is sent back once with the list of what it broke; the second draft must pass every check."""
    if client is None:
        return None, _off("summary", 1)
    use = LlmUse("summary", items=1)
    messages = _summary_messages(tables, quotes)
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


# -- dry run -----------------------------------------------------------------------------------------------------------
def plan_calls(client: LlmClient | None, *, themes: Sequence[ThemeInput] = (), notes: Sequence[tuple[str, str]] = (),
               summary: tuple[dict, Sequence[dict]] | None = None, merges: bool = True) -> tuple[int, int]:
    """(calls, estimated tokens) the LLM steps would spend now: first-round requests not already cached. Re-asks for
    invalid JSON or duplicate labels come on top, at most one per request."""
    if client is None:
        return 0, 0
    requests = [(_label_messages(t), LabelReply, "theme_label") for t in themes]
    if merges and len(themes) >= 2:
        requests.append((_merge_messages(themes, None), MergeReply, "theme_merges"))
    requests += [(_notes_messages(b), NotesReply, "loss_notes") for b in _note_batches(notes)]
    if summary is not None:
        requests.append((_summary_messages(*summary), SummaryReply, "summary"))
    calls = tokens = 0
    for messages, schema, name in requests:
        needed, estimate = client.needs_call(messages, schema, name)
        calls += needed
        tokens += estimate
    return calls, tokens
