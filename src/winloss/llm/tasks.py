"""Three of the five things winloss asks an LLM (the summary is in summary.py, stance in stance.py), each with its validation and its offline fallback.

Every function takes `client: LlmClient | None`; with None (no LLM configured) it returns the fallback at once and
nothing is sent anywhere. Each returns its result and an `LlmUse` saying how much came from the LLM and what fell
back and why, for run.json and the report.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict

from winloss.llm.client import LlmClient
from winloss.llm.common import LlmUse, off_use, render
from winloss.llm.summary import SummaryReply, summary_messages
from winloss.themes.vectors import centre, mmr

MAX_STATEMENTS = 12  # shown per theme for labelling: at least 8 whenever the theme has 8 different statements
MAX_STATEMENT_CHARS = 500
NOTES_PER_CALL = 20
GENERIC_LABELS = {"other", "misc", "miscellaneous", "general", "general feedback", "feedback", "various", "theme",
                  "topic", "unknown", "n/a", "none", "customer feedback", "mixed feedback"}


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
    return [pool[c] for c in mmr(sub, sub @ centre(sub), k, diversity)]


def theme_inputs(texts: Sequence[str], vectors: np.ndarray, theme_of: np.ndarray, theme_ids: Sequence[str],
                 keywords: dict[str, Sequence[str]], offline_labels: dict[str, str]) -> list[ThemeInput]:
    """ThemeInputs for `theme_ids`: statements per theme picked by representative_statements."""
    out = []
    for theme_id in sorted(theme_ids):
        members = np.flatnonzero(theme_of == theme_id).tolist()
        picked = representative_statements(texts, vectors, members)
        out.append(ThemeInput(theme_id, tuple(keywords.get(theme_id, ())),
                              tuple(texts[i][:MAX_STATEMENT_CHARS] for i in picked), offline_labels[theme_id]))
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
        return offline, off_use("labels", len(themes))
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
        return [], off_use("merges", 1) if client is None else LlmUse("merges")
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
        return {}, off_use("loss_notes", n_notes)
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
        requests.append((summary_messages(*summary), SummaryReply, "summary"))
    calls = tokens = 0
    for messages, schema, name in requests:
        needed, estimate = client.needs_call(messages, schema, name)
        calls += needed
        tokens += estimate
    return calls, tokens
