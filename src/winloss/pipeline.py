"""`winloss run`: the whole job, top to bottom. Each stage is a call into a module with one job."""
from __future__ import annotations

import json
import platform
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from winloss import __version__
from winloss.audio import AudioSettings, is_recording
from winloss.interviews.roles import detect_roles
from winloss.interviews.statements import extract_statements
from winloss.interviews.study import StudyError, load_interviews
from winloss.interviews.transcripts import TranscriptError, parse_transcript
from winloss.models import COHORTS, Interview, Problem, Statement, Transcript
from winloss.outputs.report import heatmap, render
from winloss.settings import ConfigError, Settings, load_settings
from winloss.themes.quotes import select_quotes
from winloss.themes.smalltalk import small_talk_themes, without_themes
from winloss.themes.stats import separation, theme_cohorts, theme_sort_key


@dataclass
class RunResult:
    out_dir: Path
    problems: list[Problem]
    warnings: list[str]
    counts: dict
    exit_code: int


@dataclass
class Timer:
    stages: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = round(self.stages.get(name, 0.0) + time.perf_counter() - t0, 3)


def default_out_dir(study_dir: Path) -> Path:
    return Path("reports") / Path(study_dir).resolve().name


def run(study_dir: Path, out_dir: Path | None = None, overrides: dict | None = None, log=print,
        embedder=None, llm_flags: dict | None = None, dry_run: bool = False) -> RunResult:
    """Run the whole study. `embedder` lets a caller that already loaded a model (a benchmark, a test) share it."""
    study_dir = Path(study_dir)
    out_dir = Path(out_dir) if out_dir else default_out_dir(study_dir)
    timer = Timer()
    warnings: list[str] = []

    with timer.stage("load"):
        settings = load_settings(study_dir, overrides)
        interviews, problems = load_interviews(study_dir)
    interviews.sort(key=lambda i: i.interview_id)  # manifest row order must not change anything

    audio_summary: dict = {}
    with timer.stage("transcribe"):
        try:
            audio_settings = AudioSettings.from_mapping(settings.audio)
        except ValueError as exc:
            raise ConfigError(f"{study_dir / 'winloss.toml'}: {exc}") from exc
        if any(is_recording(i.file) for i in interviews):  # recordings -> STUDY/transcripts/*.vtt (issue 4)
            from winloss.audio import ensure_transcripts, transcribed_interviews

            audio = ensure_transcripts(study_dir, interviews, audio_settings)
            interviews = transcribed_interviews(interviews, audio)
            problems += audio.problems
            warnings += audio.summary["warnings"]
            audio_summary = audio.summary

    with timer.stage("read"):
        transcripts, statements = read_interviews(interviews, settings, problems, warnings)
    analysed = [i for i in interviews if i.interview_id in transcripts
                and any(s.interview_id == i.interview_id for s in statements)]
    if not statements:
        raise StudyError("no customer statements in any interview; nothing to analyse"
                         + "".join(f"\n  {p}" for p in problems))
    log(f"{len(analysed)} interviews, {len(statements)} customer statements")

    with timer.stage("embed"):
        from winloss.themes.clustering import statement_vectors
        from winloss.themes.embedding import Embedder

        if embedder is None:
            embedder = Embedder(settings.embedding_model, cache_dir=settings.cache_path() / "embeddings")
        # Search and the research sections compare with what was said: the statements' own vectors, kept apart
        # from the context-mixed ones that are clustered.
        text_vectors = embedder.encode([s.text for s in statements])
        vectors = statement_vectors(embedder, statements, own=text_vectors)
    with timer.stage("themes"):
        from winloss.themes.codebook import (
            find_themes_with_codebook,
            keep_labels,
            update_codebook,
        )

        # The study's codebook (if any) fixes existing themes; only statements that fit none form new ones.
        assignment, book = find_themes_with_codebook(
            study_dir, [s.text for s in statements], [s.statement_id for s in statements],
            [s.interview_id for s in statements], vectors, embedder,
            min_size=settings.theme_size(len(statements)), seed=settings.seed)
        labels = assignment.labels
        if assignment.params.get("reason"):
            warnings.append(str(assignment.params["reason"]))
    with timer.stage("labels"):
        from winloss.themes.labeling import label_themes

        theme_labels = label_themes([s.text for s in statements], labels, vectors)
        theme_labels = keep_labels(book, theme_labels, assignment.params.get("new_themes", []))
    theme_ids = {k: theme_id(k) for k in sorted(theme_labels)}
    with timer.stage("llm_labels"):
        from winloss.llm import steps as llm_steps

        # Off (no client, no traffic) unless an LLM is configured; a codebook's existing themes keep their labels.
        llm = llm_steps.open_session(settings.llm, llm_flags, settings.cache_path(),
                                     llm_steps.names_to_redact(transcripts, interviews, settings.interviewer_names),
                                     [i.company for i in interviews if i.company], dry_run=dry_run)
        theme_labels = llm_steps.improve_labels(llm, [s.text for s in statements], vectors, labels, theme_labels,
                                                theme_ids, None if book is None else
                                                set(assignment.params.get("new_themes", [])))

    with timer.stage("counts"):
        cohort_sizes = {c: sum(1 for i in analysed if i.cohort == c) for c in COHORTS}
        cohort_sizes = {c: n for c, n in cohort_sizes.items() if n}
        statements_df = statements_table(statements, labels, theme_ids)
        themes_df = themes_table(statements_df, theme_labels, theme_ids)
        assigned = statements_df[statements_df["theme_id"] != ""]
        cohorts_df = theme_cohorts(assigned, cohort_sizes) if len(assigned) else empty_cohorts()
    with timer.stage("quotes"):
        quotes, rejected = select_quotes(statements, labels, vectors, settings.quotes_per_theme, transcripts)
        quotes_df = quotes_table(quotes, theme_ids)
        # Opening and closing chatter forms themes too; the tables keep them, findings never use them.
        chatter = small_talk_themes(statements_df)
        themes_df["kind"] = ["small talk" if t in chatter else "finding" for t in themes_df["theme_id"]]
        f_statements, f_themes, f_cohorts, f_quotes = without_themes(statements_df, themes_df, cohorts_df,
                                                                     quotes_df, chatter)
    with timer.stage("crm"):
        from winloss.crm import analyse_crm

        # CRM merge and ICP draft (issue 5): None without STUDY/crm/deals.csv; bad CRM rows become problems.
        crm = analyse_crm(study_dir, analysed, f_statements, f_themes, f_quotes, settings.crm,
                          llm_steps.note_classifier(llm))
        if crm is not None:
            problems += crm.problems

    with timer.stage("report"):
        out_dir.mkdir(parents=True, exist_ok=True)
        order = theme_order(f_cohorts)
        chart = None
        if order and len(cohort_sizes) > 0:
            chart = "heatmap.png"
            heatmap(f_cohorts, dict(zip(f_themes["theme_id"], f_themes["label"])), order, out_dir / chart)
        context = report_context(study_dir, analysed, statements_df, themes_df, f_cohorts, f_quotes, order,
                                 cohort_sizes, settings, embedder.model_id, rejected, warnings, problems, chart)
        if crm is not None:
            crm.write(out_dir)
            context["crm"] = llm_steps.improve_summary(llm, crm.context(), f_quotes, f_themes)
        context = llm_steps.annotate_report(context, llm)  # after the summary, so its status is reported too
        from winloss.outputs.research import report_sections

        # Bars of theme shares, themes new to the codebook, and the comparison with the previous quarter.
        context["research"] = report_sections(study_dir, out_dir, settings.previous, f_statements, f_themes,
                                              f_cohorts, text_vectors, embedder.model_id, order,
                                              assignment.params.get("new_themes", []), warnings)
        write_csv(statements_df, out_dir / "statements.csv")
        write_csv(themes_df, out_dir / "themes.csv")
        write_csv(cohorts_df, out_dir / "theme_cohorts.csv")
        write_csv(quotes_df, out_dir / "quotes.csv")
        (out_dir / "report.md").write_text(render(context), encoding="utf-8")
    with timer.stage("index"):
        from winloss.outputs.db import crm_extra, write_database

        # Search compares a query with what was said, so the index holds the statement text's own embedding.
        # crm_extra: each joined interview's account, competitor and loss type, for search filters.
        write_database(out_dir, analysed, statements_df, themes_df, cohorts_df, text_vectors, embedder.model_id,
                       crm_extra(crm), new_themes=assignment.params.get("new_themes"))
        update_codebook(study_dir, book, statements_df, themes_df, theme_labels, vectors)

    counts = {
        "interviews_listed": len(interviews) + sum(1 for p in problems if p.where.startswith("interviews.csv")),
        "interviews_analysed": len(analysed), "interviews_per_cohort": cohort_sizes,
        "statements": len(statements), "themes": len(themes_df),
        "unassigned": int((labels == -1).sum()), "quotes": len(quotes_df), "quotes_rejected": rejected,
        "problems": len(problems),
    }
    record = {
        "winloss": __version__, "versions": versions(), "study": str(study_dir),
        "settings": settings.to_record(), "seed": settings.seed, "embedding_model": embedder.model_id,
        "theme_engine": assignment.params, "counts": counts, "llm": llm.record(),
        "audio": {k: v for k, v in audio_summary.items() if k != "run"},
        "warnings": warnings, "problems": [str(p) for p in problems],
        "timings": {"stages_s": timer.stages, "total_s": round(sum(timer.stages.values()), 3),
                    "audio": audio_summary.get("run", {}),
                    "embeddings_computed": getattr(embedder, "computed", None), "llm_requests": llm.requests()},
    }
    (out_dir / "run.json").write_text(json.dumps(record, indent=2, sort_keys=False, default=str) + "\n",
                                      encoding="utf-8")
    if dry_run:
        log(llm.dry_run_line())
    return RunResult(out_dir, problems, warnings, counts, 1 if problems else 0)


def read_interviews(interviews: list[Interview], settings: Settings, problems: list[Problem], warnings: list[str]
                    ) -> tuple[dict[str, Transcript], list[Statement]]:
    """Parse each transcript and cut its customer speech into statements; a bad file is a Problem, not a crash."""
    transcripts: dict[str, Transcript] = {}
    statements: list[Statement] = []
    for interview in interviews:
        where = str(interview.file)
        if is_recording(interview.file):
            continue  # a recording the audio stage could not transcribe: it has reported why
        try:
            transcript = parse_transcript(interview.file)
        except TranscriptError as exc:
            problems.append(Problem(where, str(exc), interview.interview_id))
            continue
        roles = detect_roles(transcript, set(interview.interviewers), set(settings.interviewer_names))
        if roles.warning:
            warnings.append(f"{interview.interview_id}: {roles.warning}")
        found = extract_statements(interview.interview_id, interview.cohort, transcript, roles)
        if not found:
            problems.append(Problem(where, "no customer speech found (only interviewer, fillers or small talk)",
                                    interview.interview_id))
            continue
        transcripts[interview.interview_id] = transcript
        statements.extend(found)
    return transcripts, statements


def theme_id(index: int) -> str:
    return f"T{index + 1:02d}"


def statements_table(statements: list[Statement], labels: np.ndarray, theme_ids: dict[int, str]) -> pd.DataFrame:
    return pd.DataFrame({
        "statement_id": [s.statement_id for s in statements],
        "interview_id": [s.interview_id for s in statements],
        "cohort": [s.cohort for s in statements],
        "speaker": [s.speaker for s in statements],
        "start": [s.start for s in statements],
        "end": [s.end for s in statements],
        "text": [s.text for s in statements],
        "theme_id": [theme_ids.get(int(k), "") for k in labels],
    })


def themes_table(statements_df: pd.DataFrame, theme_labels: dict, theme_ids: dict[int, str]) -> pd.DataFrame:
    rows = []
    for key, tid in theme_ids.items():
        members = statements_df[statements_df["theme_id"] == tid]
        rows.append({"theme_id": tid, "label": theme_labels[key].label,
                     "keywords": "; ".join(theme_labels[key].keywords),
                     "n_statements": len(members), "n_interviews": members["interview_id"].nunique()})
    return pd.DataFrame(rows, columns=["theme_id", "label", "keywords", "n_statements", "n_interviews"])


def empty_cohorts() -> pd.DataFrame:
    return pd.DataFrame(columns=["theme_id", "cohort", "interviews_with_theme", "interviews_in_cohort", "share",
                                 "lift", "p_value", "q_value", "small_sample"])


def quotes_table(quotes, theme_ids: dict[int, str]) -> pd.DataFrame:
    rows = [{"theme_id": theme_ids[q.theme], "cohort": q.cohort, "interview_id": q.statement.interview_id,
             "speaker": q.statement.speaker, "start": q.statement.start, "end": q.statement.end,
             "quote": q.statement.text, "statement_id": q.statement.statement_id} for q in quotes]
    return pd.DataFrame(rows, columns=["theme_id", "cohort", "interview_id", "speaker", "start", "end", "quote",
                                       "statement_id"])


def theme_order(cohorts_df: pd.DataFrame) -> list[str]:
    if cohorts_df.empty:
        return []
    sep = separation(cohorts_df)
    return sorted(sep.index, key=lambda t: (round(sep.loc[t, "q"], 12), -round(sep.loc[t, "gap"], 12),
                                            theme_sort_key(t)))


def report_context(study_dir, interviews, statements_df, themes_df, cohorts_df, quotes_df, order, cohort_sizes,
                   settings, model_id, rejected, warnings, problems, chart) -> dict:
    dates = sorted(i.date for i in interviews if i.date)
    themes_by_id = themes_df.set_index("theme_id")
    n_unassigned = int((statements_df["theme_id"] == "").sum())
    chatter = themes_df[themes_df["kind"] == "small talk"]
    themes = []
    for tid in order:
        rows = cohorts_df[cohorts_df["theme_id"] == tid]
        cohorts = [{"name": r.cohort, "n": int(r.interviews_with_theme), "N": int(r.interviews_in_cohort),
                    "share": float(r.share), "lift": float(r.lift), "p": float(r.p_value), "q": float(r.q_value),
                    "small": bool(r.small_sample)} for r in rows.itertuples()]
        top = min(cohorts, key=lambda c: (c["q"], -c["share"], c["name"]))
        contrast = (f"more often in {top['name']} (lift {top['lift']:.1f}×, q {top['q']:.3f})"
                    if top["q"] < 0.25 and top["lift"] > 1 else "no clear difference")
        themes.append({
            "id": tid, "label": themes_by_id.loc[tid, "label"],
            "keywords": [k for k in themes_by_id.loc[tid, "keywords"].split("; ") if k],
            "n_statements": int(themes_by_id.loc[tid, "n_statements"]),
            "n_interviews": int(themes_by_id.loc[tid, "n_interviews"]),
            "cohorts": cohorts, "contrast": contrast, "quotes": report_quotes(quotes_df, tid),
        })
    return {
        "study": {
            "name": Path(study_dir).resolve().name, "n_interviews": len(interviews),
            "date_range": f"{dates[0]} to {dates[-1]}" if dates else "",
            "cohorts": [{"name": c, "n": n} for c, n in cohort_sizes.items()],
            "n_statements": len(statements_df), "n_themes": len(themes_df) - len(chatter),
            "n_unassigned": n_unassigned,
            "small_talk": [{"id": r.theme_id, "label": r.label, "n_statements": int(r.n_statements)}
                           for r in chatter.itertuples()],
            "share_unassigned": n_unassigned / len(statements_df) if len(statements_df) else 0.0,
        },
        "themes": themes, "heatmap": chart, "warnings": warnings, "problems": [str(p) for p in problems],
        "run": {"model": model_id, "seed": settings.seed, "min_theme_size": settings.theme_size(len(statements_df)),
                "quotes_rejected": rejected},
    }


def report_quotes(quotes_df: pd.DataFrame, tid: str, limit: int = 3) -> list[dict]:
    """The best quote of each cohort first, then the next best, so the reader sees every side."""
    rows = quotes_df[quotes_df["theme_id"] == tid]
    ranked = rows.assign(rank=rows.groupby("cohort").cumcount()).sort_values(["rank", "cohort"], kind="mergesort")
    ranked = ranked.drop_duplicates("quote")  # the same words twice add nothing, whoever said them
    return [{"quote": r.quote, "interview_id": r.interview_id, "speaker": r.speaker, "cohort": r.cohort,
             "start": None if pd.isna(r.start) else float(r.start)} for r in ranked.head(limit).itertuples()]


def write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n", float_format="%.6g")


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for dist in ("numpy", "pandas", "scikit-learn", "hdbscan", "sentence-transformers", "torch", "faster-whisper"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = "not installed"
    return found
