"""The LLM stage as `winloss run` calls it: one session per run, and each step a no-op when no LLM is configured.

In a dry run the session builds every prompt it would send, counts the ones not already cached, and sends nothing;
the run's outputs are the offline ones.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from winloss.llm.client import LlmClient, make_client
from winloss.llm.common import LlmUse
from winloss.llm.config import LlmSettings, resolve_llm_settings
from winloss.llm.redact import Redactor
from winloss.llm.stance import (
    StanceQuestion,
    StanceReply,
    batches,
    refine_stances,
    stance_messages,
)
from winloss.llm.summary import Summary, draft_summary
from winloss.llm.tasks import (
    MergeSuggestion,
    ThemeInput,
    classify_loss_notes,
    label_themes_llm,
    plan_calls,
    suggest_merges,
    theme_inputs,
)

SUMMARY_KEYS = ("scope", "loss", "critical", "churn", "win_themes", "churn_themes", "themes_by_loss_type",
                "themes_by_competitor", "criteria", "backtest", "notable")
MAX_SUMMARY_QUOTES = 40


@dataclass
class LlmSession:
    settings: LlmSettings
    client: LlmClient | None  # None when no LLM is configured: nothing is constructed, nothing is sent
    dry_run: bool = False
    uses: list[LlmUse] = field(default_factory=list)
    planned_calls: int = 0
    planned_tokens: int = 0
    themes: list[ThemeInput] = field(default_factory=list)
    merges: list[MergeSuggestion] = field(default_factory=list)
    descriptions: dict[str, str] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.client is not None and not self.dry_run

    def plan(self, **inputs) -> None:
        calls, tokens = plan_calls(self.client, **inputs)
        self.planned_calls += calls
        self.planned_tokens += tokens

    def dry_run_line(self) -> str:
        if self.client is None:
            return "LLM dry run: no LLM configured; nothing would be sent."
        return (f"LLM dry run: {self.planned_calls} call(s), about {self.planned_tokens} tokens, to "
                f"{self.settings.endpoint} ({self.settings.model}); nothing was sent. Re-asks, if any, come on top.")

    def record(self) -> dict:
        """For run.json: settings (no key) and per task whether the LLM was used or fell back. Request counts differ
        between a first run and a cached rerun, so they live apart, in `requests()`, with the timings."""
        return {
            "enabled": self.settings.enabled, "dry_run": self.dry_run,
            "settings": self.settings.to_record(),
            "planned": {"calls": self.planned_calls, "tokens": self.planned_tokens} if self.dry_run else None,
            "uses": [u.to_record() for u in self.uses],
            "merge_suggestions": [dataclasses.asdict(m) for m in self.merges],
        }

    def requests(self) -> dict | None:
        """Requests sent, cache hits, failures, re-asks and tokens of this run (None without an LLM)."""
        return dataclasses.asdict(self.client.stats) if self.active else None

    def report(self) -> dict:
        """For the report: one line per task saying what the LLM wrote and what fell back."""
        return {"enabled": self.active, "model": self.settings.model, "endpoint": self.settings.endpoint,
                "uses": [use_text(u) for u in self.uses], "merges": [dataclasses.asdict(m) for m in self.merges]}


TASK_NAMES = {"labels": "theme labels", "merges": "duplicate-theme review", "loss_notes": "loss-note types",
              "summary": "executive summary and headlines", "stance": "stance of unsure statements"}


def use_text(use: LlmUse) -> str:
    """'theme labels: 12 of 14 from the LLM, 2 offline (invalid or failed)' and the like."""
    name = TASK_NAMES.get(use.task, use.task)
    if use.status == "llm":
        return f"{name} from the LLM"
    if use.status == "partial":
        return f"{name}: {use.from_llm} of {use.items} from the LLM, {use.fell_back} offline (invalid or failed)"
    if use.status == "none":
        return f"{name}: nothing to do"
    return f"{name}: offline (the LLM's answer failed a check or the endpoint failed)"


def open_session(table: dict | None, flags: dict | None, cache_dir: Path | None, speakers: Iterable[str] = (),
                 companies: Iterable[str] = (), dry_run: bool = False, env: dict | None = None) -> LlmSession:
    """Settings from flags > environment > winloss.toml [llm]; a client only when an LLM is configured."""
    settings = resolve_llm_settings(table, env=env, **{k: v for k, v in (flags or {}).items() if v is not None})
    redactor = Redactor(speakers, companies if settings.redact_companies else (), enabled=settings.redact)
    return LlmSession(settings, make_client(settings, cache_dir, redactor), dry_run=dry_run)


def improve_labels(session: LlmSession, texts: Sequence[str], vectors: np.ndarray, theme_of: np.ndarray,
                   theme_labels: dict, eligible: set[str] | None = None) -> dict:
    """LLM labels for the themes in `eligible` (all when None; a codebook's themes the user named are not), and
    merge suggestions for review. Returns theme_labels with the labels replaced; descriptions stay on the
    session."""
    if session.client is None:
        session.uses.append(LlmUse("labels", items=len(theme_labels), fell_back=len(theme_labels),
                                   notes=["no LLM configured"]))
        return theme_labels
    ids = [tid for tid in sorted(theme_labels) if eligible is None or tid in eligible]
    if not ids:
        session.uses.append(LlmUse("labels"))
        return theme_labels
    session.themes = theme_inputs(texts, vectors, theme_of, ids, {k: theme_labels[k].keywords for k in ids},
                                  {k: theme_labels[k].label for k in ids})
    if session.dry_run:
        session.plan(themes=session.themes)
        return theme_labels
    texts_by_id, use = label_themes_llm(session.client, session.themes, reserved=[
        theme_labels[k].label for k in theme_labels if k not in ids])
    session.uses.append(use)
    session.descriptions = {tid: t.description for tid, t in texts_by_id.items() if t.description}
    merges, merge_use = suggest_merges(session.client, session.themes,
                                       labels={tid: t.label for tid, t in texts_by_id.items()})
    session.uses.append(merge_use)
    session.merges = merges
    out = dict(theme_labels)
    for tid, text in texts_by_id.items():
        out[tid] = dataclasses.replace(theme_labels[tid], label=text.label)
    return out


def refine_stance(session: LlmSession, statements: Sequence, calls: Sequence, competitors: Sequence[str] = (),
                  our_names: Sequence[str] = ()) -> list:
    """The offline stance calls, those below `stance_margin` (least certain first, at most `stance_max`) replaced by
    the LLM's reading where its answer passed the checks; a call the LLM changed or confirmed has source "llm"."""
    settings = session.settings
    unsure = sorted((i for i, c in enumerate(calls) if c.margin < settings.stance_margin),
                    key=lambda i: (calls[i].margin, statements[i].statement_id))[:settings.stance_max]
    if session.client is None or not unsure:
        session.uses.append(LlmUse("stance", items=len(unsure), fell_back=len(unsure),
                                   notes=["no LLM configured"] if session.client is None else []))
        return list(calls)
    questions = [StanceQuestion(statements[i].statement_id, statements[i].text, statements[i].question,
                                statements[i].turn_text) for i in unsure]
    if session.dry_run:
        for batch in batches(questions):
            needed, tokens = session.client.needs_call(stance_messages(batch, competitors, our_names),
                                                        StanceReply, "stance")
            session.planned_calls += needed
            session.planned_tokens += tokens
        return list(calls)
    read, use = refine_stances(session.client, questions, competitors, our_names)
    out = list(calls)
    for i in unsure:
        stance = read.get(statements[i].statement_id)
        if stance is not None:
            out[i] = dataclasses.replace(calls[i], stance=stance, source="llm")
    changed = sum(out[i].stance != calls[i].stance for i in unsure)
    use.notes.append(f"{changed} of {len(read)} statements the LLM read changed stance")
    session.uses.append(use)
    return out


def note_classifier(session: LlmSession) -> Callable[[list[tuple[str, str]]], dict[str, tuple[int, str]]] | None:
    """For the CRM stage: deal id + loss notes -> (loss type, rule text) for the deals the LLM classified. None
    without an LLM (or in a dry run, where the planned calls are counted instead), so the keyword rules apply."""
    if session.client is None:
        return None

    def classify(notes: list[tuple[str, str]]) -> dict[str, tuple[int, str]]:
        if session.dry_run:
            session.plan(notes=notes)
            return {}
        result, use = classify_loss_notes(session.client, notes)
        session.uses.append(use)
        return {deal: (c.loss_type, f"LLM reading of loss notes: {c.reason}"
                       + (f" (competitor: {c.competitor})" if c.competitor else ""))
                for deal, c in result.items()}

    return classify


def summary_inputs(crm_context: dict, quotes_df: pd.DataFrame, themes_df: pd.DataFrame) -> tuple[dict, list[dict]]:
    """The tables and verified quotes the summary may use: the ICP context's figures (quotes lifted out), the theme
    list, and the quotes the report shows, each an exact substring of its transcript."""
    quotes: list[dict] = []

    def lift(node):
        """node without its quote dicts, which go to `quotes`."""
        if isinstance(node, dict):
            if "quote" in node and "interview_id" in node:
                quotes.append({k: node[k] for k in ("quote", "theme_id", "interview_id", "speaker", "cohort")
                               if k in node})
                return None
            kept = {k: lift(v) for k, v in node.items()}
            return {k: v for k, v in kept.items() if v is not None and v != []}
        if isinstance(node, list):
            return [x for x in (lift(v) for v in node) if x is not None]
        return node

    tables = {k: lift(crm_context[k]) for k in SUMMARY_KEYS if k in crm_context}
    lift(crm_context.get("headlines", []))  # the offline headlines' quotes are verified too
    tables["themes"] = themes_df[["theme_id", "label", "n_interviews"]].to_dict("records")
    for r in quotes_df.sort_values(["theme_id", "cohort", "interview_id"], kind="mergesort").itertuples():
        quotes.append({"quote": r.quote, "theme_id": r.theme_id, "interview_id": r.interview_id,
                       "speaker": r.speaker, "cohort": r.cohort})
    unique = list({(q["quote"], q.get("interview_id")): q for q in quotes}.values())
    return tables, unique[:MAX_SUMMARY_QUOTES]


def improve_summary(session: LlmSession, crm_context: dict, quotes_df: pd.DataFrame, themes_df: pd.DataFrame
                    ) -> dict:
    """The ICP context with `summary` and `headlines` written by the LLM when its draft passes every check;
    otherwise unchanged (the template's own prose)."""
    if not crm_context.get("usable"):
        return crm_context
    if session.client is None:
        session.uses.append(LlmUse("summary", items=1, fell_back=1, notes=["no LLM configured"]))
        return crm_context
    tables, quotes = summary_inputs(crm_context, quotes_df, themes_df)
    if session.dry_run:
        session.plan(summary=(tables, quotes), merges=False)
        return crm_context
    summary, use = draft_summary(session.client, tables, quotes)
    session.uses.append(use)
    if summary is None:
        return crm_context
    # start times stay out of the prompt; provenance gets them back from quotes.csv
    starts = {(r.interview_id, r.quote): None if pd.isna(r.start) else float(r.start) for r in quotes_df.itertuples()}
    return {**crm_context, **summary_context(summary, starts)}


def summary_context(summary: Summary, starts: dict[tuple[str, str], float | None]) -> dict:
    """The ICP template's fields: a one-paragraph summary and headlines with their quotes, citations shown."""
    def cited(text: str, cites: Sequence[str]) -> str:
        return f"{text} [{'; '.join(cites)}]" if cites else text

    def quote(f) -> dict:
        source = dict(f.quote_source or {})
        start = starts.get((source.get("interview_id"), source.get("quote")))
        return {**source, "quote": f.quote, "start": start}

    return {
        "summary": " ".join(cited(s.text, s.cites) for s in summary.executive_summary),
        "headlines": [{"text": cited(f.text, f.cites),
                       "quotes": [quote(f)] if f.quote else []}
                      for f in summary.headline_findings],
        "summary_source": "llm",
    }


def annotate_report(context: dict, session: LlmSession) -> dict:
    """Theme descriptions and the LLM status line for the report."""
    for theme in context.get("themes", []):
        if theme.get("id") in session.descriptions:
            theme["description"] = session.descriptions[theme["id"]]
    context["llm"] = session.report() if session.settings.enabled and not session.dry_run else None
    return context

