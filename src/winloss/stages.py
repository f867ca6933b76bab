"""The stages of `winloss run` that join modules together, one function each, in the order pipeline.run calls
them. Heavy libraries (torch, faster-whisper, hdbscan) are imported inside, so `winloss --help` and a settings
error stay fast."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from winloss.audio import is_recording
from winloss.models import Interview, Problem
from winloss.settings import Settings
from winloss.themes.themeset import ThemeSet

if TYPE_CHECKING:
    from winloss.outputs.tables import Tables


def transcribe(study_dir, interviews: list[Interview], settings: Settings, problems: list[Problem],
               warnings: list[str]) -> tuple[list[Interview], dict]:
    """Recordings -> STUDY/transcripts/*.vtt (cached); interviews then point at their transcripts."""
    if not any(is_recording(i.file) for i in interviews):
        return interviews, {}
    from winloss.audio import ensure_transcripts, transcribed_interviews

    audio = ensure_transcripts(study_dir, interviews, settings.audio)
    problems += audio.problems
    warnings += audio.summary["warnings"]
    return transcribed_interviews(interviews, audio), audio.summary


def load_embedder(settings: Settings):
    from winloss.themes.embedding import Embedder

    return Embedder(settings.embedding_model, cache_dir=settings.cache_path() / "embeddings")


def embed(embedder, statements) -> tuple[np.ndarray, np.ndarray]:
    """(the statements' own vectors, the context-mixed ones that are clustered). Search and the research sections
    compare with what was said, so they use the first."""
    from winloss.themes.clustering import statement_vectors

    text_vectors = embedder.encode([s.text for s in statements])
    return text_vectors, statement_vectors(embedder, statements, own=text_vectors)


def find_themes(study_dir, reading, text_vectors, vectors, embedder, settings: Settings, warnings: list[str]):
    """Themes honouring the study's codebook (None before the first run), labelled offline."""
    from winloss.themes import codebook
    from winloss.themes.assign import assign_themes, keep_labels
    from winloss.themes.labeling import label_themes

    book = codebook.load(study_dir)
    statements = reading.statements
    texts = [s.text for s in statements]
    found = assign_themes(book, texts, [s.statement_id for s in statements], [s.interview_id for s in statements],
                          vectors, embedder, min_size=settings.theme_size(len(statements)))
    if found.reason:
        warnings.append(found.reason)
    labels = keep_labels(book, label_themes(texts, found.theme_of, vectors))
    return book, ThemeSet(statements, text_vectors, vectors, found.theme_of, labels, found.new_themes,
                          found.reason, found.engine)


def open_llm(settings: Settings, flags: dict | None, reading, dry_run: bool):
    """Off (no client, no traffic) unless an LLM is configured."""
    from winloss.llm import steps

    names = steps.names_to_redact(reading.transcripts, reading.interviews, settings.interviewer_names)
    return steps.open_session(settings.llm, flags, settings.cache_path(), names,
                              [i.company for i in reading.interviews if i.company], dry_run=dry_run)


def improve_labels(llm, book, themes: ThemeSet) -> ThemeSet:
    """LLM labels when configured; a codebook's existing themes keep theirs."""
    from winloss.llm import steps

    return themes.relabelled(steps.improve_labels(llm, themes.texts, themes.vectors, themes.theme_of,
                                                  themes.labels, None if book is None else set(themes.new_themes)))


def pick_quotes(themes: ThemeSet, reading, settings: Settings):
    from winloss.themes.quotes import select_quotes

    return select_quotes(themes.statements, themes.theme_of, themes.vectors, settings.quotes_per_theme,
                         reading.transcripts)


def tables(themes: ThemeSet, quotes, cohort_sizes: dict[str, int]) -> Tables:
    from winloss.outputs.tables import build_tables

    return build_tables(themes, quotes, cohort_sizes)


def analyse_crm(study_dir, reading, findings: Tables, settings: Settings, llm, problems: list[Problem]):
    """CRM merge and ICP draft: None without STUDY/crm/deals.csv; bad CRM rows become problems."""
    from winloss.crm import analyse_crm as analyse
    from winloss.llm import steps

    crm = analyse(study_dir, reading.interviews, findings.statements, findings.themes, findings.quotes,
                  settings.crm, steps.note_classifier(llm))
    if crm is not None:
        problems += crm.problems
    return crm


def write_report(study_dir, out_dir, interviews, tables: Tables, findings: Tables, quotes, cohort_sizes,
                 themes: ThemeSet, settings: Settings, crm, llm, run_facts: dict, warnings, problems) -> None:
    """report.md with its charts, the four CSV tables and the CRM outputs."""
    from winloss.llm import steps
    from winloss.outputs.context import report_context, theme_order
    from winloss.outputs.report import heatmap, render
    from winloss.outputs.research import report_sections

    order = theme_order(findings.cohorts)
    chart = None
    if order and cohort_sizes:
        chart = "heatmap.png"
        heatmap(findings.cohorts, dict(zip(findings.themes["theme_id"], findings.themes["label"])), order,
                out_dir / chart)
    shown = [q for q in quotes if q.theme in set(findings.themes["theme_id"])]
    context = report_context(study_dir, interviews, tables, findings, shown, order, cohort_sizes, run_facts,
                             warnings, problems, chart)
    if crm is not None:
        crm.write(out_dir)
        context["crm"] = steps.improve_summary(llm, crm.context(), findings.quotes, findings.themes)
    context = steps.annotate_report(context, llm)  # after the summary, so its status is reported too
    # Bars of theme shares, themes new to the codebook, and the comparison with the previous quarter.
    context["research"] = report_sections(study_dir, out_dir, settings.previous, findings.statements,
                                          findings.themes, findings.cohorts, themes.text_vectors,
                                          run_facts["model"], order, list(themes.new_themes), warnings)
    tables.write(out_dir)
    (out_dir / "report.md").write_text(render(context), encoding="utf-8")


def write_index(study_dir, out_dir, interviews, tables: Tables, themes: ThemeSet, model_id: str, crm, book) -> None:
    """winloss.db for search (the statements' own vectors), then the codebook for the next run."""
    from winloss.outputs.db import crm_extra, write_database
    from winloss.themes.assign import update_codebook

    write_database(out_dir, interviews, tables.statements, tables.themes, tables.cohorts, themes.text_vectors,
                   model_id, crm_extra(crm), new_themes=list(themes.new_themes))
    update_codebook(study_dir, book, tables.statements, tables.themes, themes.labels, themes.vectors)
