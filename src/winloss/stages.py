"""The stages of `winloss run` that join modules together, one function each, in the order pipeline.run calls
them. Heavy libraries (torch, faster-whisper, hdbscan) are imported inside, so `winloss --help` and a settings
error stay fast."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from winloss.audio import is_recording
from winloss.models import Interview, Problem
from winloss.settings import Settings
from winloss.themes.themeset import ThemeSet

if TYPE_CHECKING:
    from winloss.outputs.tables import Tables


def transcribe(study_dir, interviews: list[Interview], settings: Settings, problems: list[Problem],
               warnings: list[str], executor=None) -> tuple[list[Interview], dict]:
    """Recordings -> STUDY/transcripts/*.vtt (cached); interviews then point at their transcripts. `executor`
    (winloss.scale) says where the recordings are transcribed."""
    if not any(is_recording(i.file) for i in interviews):
        return interviews, {}
    from winloss.audio import ensure_transcripts, transcribed_interviews

    audio = ensure_transcripts(study_dir, interviews, settings.audio, executor=executor)
    problems += audio.problems
    warnings += audio.summary["warnings"]
    return transcribed_interviews(interviews, audio), audio.summary


def load_embedder(settings: Settings, executor=None):
    """Worker processes are for transcription; a Ray cluster embeds as well (docs/scale.md)."""
    from winloss.themes.embedding import Embedder

    remote = executor if executor is not None and executor.engine == "ray" else None
    return Embedder(settings.embedding_model, cache_dir=settings.cache_path() / "embeddings", executor=remote)


def embed(embedder, statements) -> tuple[np.ndarray, np.ndarray]:
    """(the statements' own vectors, the context-mixed ones that are clustered). Search and the research sections
    compare with what was said, so they use the first."""
    from winloss.themes.clustering import statement_vectors

    text_vectors = embedder.encode([s.text for s in statements])
    return text_vectors, statement_vectors(embedder, statements, own=text_vectors)


def competitor_names(study_dir, settings: Settings) -> list[str]:
    """The competitors [crm] competitors and STUDY/crm/deals.csv name, read before the CRM stage because stance
    needs them ("Clarion's demo was clean" is against us). The CRM stage reports the file's problems; here a bad
    file means only the configured names."""
    from winloss.crm.load import load_deals
    from winloss.tables import TableError, find_table

    named = {c.strip() for c in settings.crm.competitors if c.strip()}
    try:
        path = find_table(Path(study_dir) / "crm", "deals")
    except TableError:
        return sorted(named)
    deals = load_deals(path, settings.crm).deals if path is not None else None
    if deals is None or "competitor" not in deals:
        return sorted(named)
    return sorted(named | {str(c).strip() for c in deals["competitor"].dropna() if str(c).strip()})


def study_rivals(study_dir, settings: Settings, reading, warnings: list[str]) -> list[str]:
    """competitor_names, and the rivals the interviews name that they lack ("we signed with Dialpad" where the CRM
    knows Ruby and Weave): those are said in the warnings so the user can correct them in [crm] competitors."""
    from winloss.themes.rivals import rivals_named

    named = competitor_names(study_dir, settings)
    cohorts = {i.interview_id: i.cohort for i in reading.interviews}
    found = rivals_named([(i, cohorts[i], " ".join(turn.text for turn in t.turns))
                          for i, t in sorted(reading.transcripts.items()) if i in cohorts],
                         [*settings.our_names, *reading.people])
    # "Smith" of "Smith.ai": the interviews' reading of a name the CRM spells in full
    known = {w.casefold() for n in named for w in [n, *re.split(r"[\s.]+", n)] if w}
    new = [n for n in found if n.casefold() not in known]
    if new:
        where = "the CRM and [crm] competitors name" if named else "neither the CRM nor [crm] competitors names one"
        warnings.append(f"competitors read from the interviews ({where}{' others' if named else ''}): "
                        f"{', '.join(new)}; list the right ones in winloss.toml [crm] competitors")
    return sorted({*named, *new})


def find_themes(study_dir, reading, text_vectors, vectors, embedder, settings: Settings, warnings: list[str]):
    """Each statement's stance, then themes honouring the study's codebook (None before the first run), split and
    merged with the help of those stances (themes/refine.py), labelled offline."""
    from winloss.themes import codebook
    from winloss.themes.assign import assign_themes, keep_labels
    from winloss.themes.labeling import label_themes
    from winloss.themes.refine import Story
    from winloss.themes.smalltalk import PLEASANTRIES, chat_likeness
    from winloss.themes.stance import StanceCall, statement_stances

    book = codebook.load(study_dir)
    if book is not None and book.version < 2 and book.active():
        warnings.append(f"{book.path.name} was written before winloss recorded its own labels: the labels of "
                        f"{len(book.active())} theme(s) are kept as yours; `winloss themes relabel --study "
                        f"{study_dir}` lets winloss label them again")
    statements = reading.statements
    texts = [s.text for s in statements]
    keys, groups = [s.statement_id for s in statements], [s.interview_id for s in statements]
    competitors = tuple(study_rivals(study_dir, settings, reading, warnings))
    stances = tuple(statement_stances(statements, text_vectors, embedder, list(competitors),
                                      settings.cache_path() / "stance", settings.our_names))
    foreign = set(reading.not_english)  # an English scorer's call on other speech is noise; margin 0: the LLM's first
    stances = tuple(StanceCall("neutral", 0.0) if s.interview_id in foreign else c for s, c in zip(statements, stances))
    story = Story(keys, texts, text_vectors, [c.stance for c in stances], [s.cohort for s in statements], groups,
                  competitors)
    found = assign_themes(book, texts, keys, groups, vectors, embedder,
                          min_size=settings.theme_size(len(statements)), story=story)
    if found.reason:
        warnings.append(found.reason)
    labels = keep_labels(book, label_themes(texts, found.theme_of, vectors, encode=embedder.encode, own=text_vectors,
                                            names=set(reading.people), groups=groups,
                                            stances=[c.stance for c in stances], ours=settings.our_names,
                                            rivals=competitors))
    likeness = chat_likeness(text_vectors, found.theme_of, embedder.encode(list(PLEASANTRIES)))
    return book, ThemeSet(statements, text_vectors, vectors, found.theme_of, labels, found.new_themes,
                          found.reason, found.engine, stances, competitors, likeness)


def open_llm(settings: Settings, flags: dict | None, reading, dry_run: bool):
    """Off (no client, no traffic) unless an LLM is configured."""
    from winloss.llm import steps

    return steps.open_session(settings.llm, flags, settings.cache_path(), reading.people,
                              [i.company for i in reading.interviews if i.company], dry_run=dry_run)


def improve_labels(llm, book, themes: ThemeSet) -> ThemeSet:
    """LLM labels when configured, for every theme but those the user named in the codebook."""
    from winloss.llm import steps

    users = set() if book is None else {t.id for t in book.active() if t.named_by_user}
    return themes.relabelled(steps.improve_labels(llm, themes.texts, themes.vectors, themes.theme_of,
                                                  themes.labels, set(themes.labels) - users))


def pick_quotes(themes: ThemeSet, reading, settings: Settings):
    from winloss.themes.quotes import select_quotes

    return select_quotes(themes.statements, themes.theme_of, themes.vectors, settings.quotes_per_theme,
                         reading.transcripts)


def tables(themes: ThemeSet, quotes, cohort_sizes: dict[str, int]) -> Tables:
    from winloss.outputs.tables import build_tables

    return build_tables(themes, quotes, cohort_sizes)


def analyse_crm(study_dir, reading, themes: ThemeSet, findings: Tables, settings: Settings, llm,
                problems: list[Problem]):
    """CRM merge and ICP draft: None without STUDY/crm/deals.csv; bad CRM rows become problems. The statements carry
    their offline stance (the LLM's refinement needs the CRM's competitors, so it comes after)."""
    from winloss.crm import analyse_crm as analyse
    from winloss.llm import steps

    statements = findings.statements.assign(stance=[c.stance for c in themes.stances]) \
        if len(themes.stances) == len(findings.statements) else findings.statements
    # the rivals the interviews name, where neither the CRM nor the settings did, are the CRM stage's too
    known = replace(settings.crm, competitors=sorted({*settings.crm.competitors, *themes.competitors}))
    crm = analyse(study_dir, reading.interviews, statements, findings.themes, findings.quotes,
                  known, steps.note_classifier(llm))
    if crm is not None:
        problems += crm.problems
    return crm


def stance_and_drivers(reading, themes: ThemeSet, tables: Tables, findings: Tables, crm,
                       cohort_sizes: dict[str, int], llm, our_names: list[str]) -> tuple[Tables, Tables, dict]:
    """Each statement's stance toward us (`stance`, and `stance_source`: offline or llm), stance counts per theme and
    cohort, and the drivers (why we win / lose / churn) with verbatim quotes of their stance. The offline stance was
    computed before the themes (they are split and merged with its help); with an LLM, the statements the offline
    call is unsure of are read by it here. Competitors the CRM names are "them", `our_names` "you"."""

    from winloss.llm import steps
    from winloss.outputs.db import crm_extra
    from winloss.themes.drivers import (
        find_drivers,
        related_themes,
        stance_counts,
        with_quotes,
    )
    from winloss.themes.quotes import verify
    from winloss.themes.vectors import centres

    extra = crm_extra(crm)
    calls = steps.refine_stance(llm, themes.statements, list(themes.stances), list(themes.competitors),
                                our_names)
    stance = [c.stance for c in calls]  # statements tables are in reading.statements order
    out = []
    for t in (tables, findings):
        statements = t.statements.assign(stance=stance, stance_source=[c.source for c in calls])
        cohorts = t.cohorts.merge(stance_counts(statements, cohort_sizes), on=["theme_id", "cohort"], how="left") \
            if len(t.cohorts) else t.cohorts
        out.append(replace(t, statements=statements, cohorts=cohorts))
    tables, findings = out
    rows = findings.statements.assign(row=range(len(stance)), stance_score=[c.score for c in calls])
    ok = [verify(s.text, s, reading.transcripts) for s in themes.statements]
    keywords = {r.theme_id: [k for k in r.keywords.split("; ") if k] for r in findings.themes.itertuples()}
    found = find_drivers(rows, cohort_sizes, dict(zip(findings.themes["theme_id"], findings.themes["label"])),
                         extra, related_themes(keywords, centres(themes.text_vectors, rows["theme_id"].tolist())))
    return tables, findings, with_quotes(found, rows[ok], themes.vectors, themes.statements, keywords)


def driver_record(drivers: dict) -> list[dict]:
    """The drivers for run.json."""
    return [{"cohort": d.cohort, "theme_id": d.theme_id, "label": d.label, "stance": d.stance, "kind": d.kind,
             "n": d.evidence.n, "N": d.evidence.N, "n_other": d.evidence.n_other, "N_other": d.evidence.N_other,
             "p": round(d.evidence.p, 6), "q": round(d.evidence.q, 6), "flip": d.flip, "against": d.against_text,
             "quotes": [q.statement.statement_id for q in d.quotes]}
            for ds in drivers.values() for d in ds]


def write_report(study_dir, out_dir, interviews, tables: Tables, findings: Tables, quotes, cohort_sizes,
                 themes: ThemeSet, settings: Settings, crm, llm, run_facts: dict, warnings, problems,
                 drivers: dict | None = None) -> None:
    """report.md with its charts, the four CSV tables and the CRM outputs."""
    from winloss.llm import steps
    from winloss.outputs.charts import draw_charts
    from winloss.outputs.context import no_driver_texts, report_context, theme_order
    from winloss.outputs.front import stance_basis
    from winloss.outputs.measurable import why_none
    from winloss.outputs.report import render
    from winloss.outputs.research import report_sections

    order = theme_order(findings.cohorts)
    labels = dict(zip(findings.themes["theme_id"], findings.themes["label"]))
    chart, share_chart = draw_charts(findings.cohorts, labels, order if cohort_sizes else [], out_dir,
                                     settings.cache_path() / "charts")
    shown = [q for q in quotes if q.theme in set(findings.themes["theme_id"])]
    context = report_context(study_dir, interviews, tables, findings, shown, order, cohort_sizes, run_facts,
                             warnings, problems, chart)
    if settings.title.strip():
        context["study"]["name"] = settings.title.strip()
    if crm is not None:
        from winloss.crm.files import write_crm
        from winloss.crm.narrative import context as crm_context

        write_crm(crm, out_dir)
        context["crm"] = steps.improve_summary(llm, crm_context(crm, findings.statements, findings.themes,
                                                                findings.quotes, drivers), findings.quotes,
                                               findings.themes)
    context["drivers"] = drivers or {}
    context["stance_basis"] = stance_basis(findings.statements)
    context["no_drivers"] = why_none(no_driver_texts(context["themes"]), cohort_sizes)
    context = steps.annotate_report(context, llm)  # after the summary, so its status is reported too
    # Bars of theme shares, themes new to the codebook, and the comparison with the previous quarter.
    context["research"] = report_sections(study_dir, settings.previous, findings.statements, findings.themes,
                                          findings.cohorts, themes.text_vectors, run_facts["model"],
                                          list(themes.new_themes), share_chart, warnings)
    since = since_last_quarter(study_dir, settings.previous, context["research"]["compare"], drivers or {}, crm,
                               cohort_sizes, warnings)
    unassigned = (context["study"]["n_unassigned"], context["study"]["n_statements"])  # as the Scope counts them
    context["front"] = front_of(findings, drivers or {}, crm, cohort_sizes, since, warnings, run_facts.get("coverage"),
                                unassigned)
    tables.write(out_dir)
    (out_dir / "report.md").write_text(render(context), encoding="utf-8")


def since_last_quarter(study_dir, previous: str | None, comparison, drivers: dict, crm,
                       cohort_sizes: dict[str, int], warnings: list[str]) -> tuple:
    """The front's quarter-over-quarter lines, from the previous quarter's run.json and icp.json; () without one."""
    from winloss.outputs.compare import CompareError, load_previous, previous_folder
    from winloss.outputs.front_since import since_lines

    if not previous or comparison is None:  # no previous quarter, or report_sections said why it compared nothing
        return ()
    try:
        before = load_previous(previous_folder(study_dir, previous), previous)
    except CompareError as exc:
        warnings.append(f"quarter over quarter in the front skipped: {exc}")
        return ()
    return since_lines(before, comparison.matches, drivers, crm, cohort_sizes)


def front_of(findings: Tables, drivers: dict, crm, cohort_sizes: dict[str, int], since: tuple,
             warnings: list[str], coverage=None, unassigned: tuple[int, int] = (0, 0)):
    """The report's front; a claim the appendix contradicts is dropped, and named under the front's Confidence
    and in run.json's warnings."""
    from winloss.outputs.front import build_front

    front, dropped = build_front(findings.statements, findings.themes, findings.quotes, drivers, crm, cohort_sizes,
                                 since, coverage, unassigned)
    warnings.extend(f"front: {v}" for v in dropped)
    return front


def write_index(study_dir, out_dir, interviews, tables: Tables, themes: ThemeSet, model_id: str, crm, book) -> None:
    """winloss.db for search (the statements' own vectors), then the codebook for the next run."""
    from winloss.outputs.db import crm_extra, write_database
    from winloss.themes.assign import update_codebook

    write_database(out_dir, interviews, tables.statements, tables.themes, tables.cohorts, themes.text_vectors,
                   model_id, crm_extra(crm), new_themes=list(themes.new_themes))
    update_codebook(study_dir, book, tables.statements, tables.themes, themes.labels, themes.vectors)
