"""`winloss run`: the whole job, top to bottom. Each stage is a call into a module with one job."""
from __future__ import annotations

import json
import logging
import platform
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from winloss import __version__
from winloss.audio import is_recording
from winloss.interviews.language import reads_as_english
from winloss.interviews.roles import detect_roles
from winloss.interviews.statements import extract_statements
from winloss.interviews.study import StudyError, read_manifest
from winloss.interviews.transcripts import TranscriptError, parse_transcript
from winloss.llm.redact import names_to_redact
from winloss.models import COHORTS, Coverage, Interview, Problem, Statement, Transcript
from winloss.outputs.locations import default_out_dir
from winloss.scale import open_executor
from winloss.settings import Settings, load_settings

log = logging.getLogger("winloss")


@dataclass(frozen=True)
class Counts:
    interviews_listed: int
    interviews_analysed: int
    interviews_per_cohort: dict[str, int]
    statements: int
    themes: int
    unassigned: int
    quotes: int
    quotes_rejected: int
    problems: int


@dataclass(frozen=True)
class RunResult:
    out_dir: Path
    problems: list[Problem]
    warnings: list[str]
    counts: Counts

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0


@dataclass(frozen=True)
class Reading:
    """The read stage: each usable interview's transcript and its customer statements."""

    interviews: list[Interview]  # those with customer statements, in interview id order
    transcripts: dict[str, Transcript]
    statements: list[Statement]
    people: frozenset[str]  # speakers, interviewers and the people the transcripts name: never in a label or prompt
    unsure_roles: tuple[str, ...] = ()  # interviews whose interviewer could not be told from the customer
    not_english: tuple[str, ...] = ()  # interviews whose customer speech is in another language: stances neutral


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


def run(study_dir: Path, out_dir: Path | None = None, overrides: dict | None = None, *, embedder=None,
        llm_flags: dict | None = None, dry_run: bool = False) -> RunResult:
    """Run the whole study. `overrides`: settings from the command line; `llm_flags`: the LLM options given on the
    command line, which win over the environment, which wins over winloss.toml. `embedder` lets a caller that
    already loaded a model (a benchmark, a test) share it."""
    from winloss import stages

    study_dir = Path(study_dir)
    out_dir = Path(out_dir) if out_dir else default_out_dir(study_dir)
    timer, warnings = Timer(), []
    with timer.stage("load"):
        settings = load_settings(study_dir, overrides)
        manifest = read_manifest(study_dir)
        interviews, problems = manifest.interviews, manifest.problems
        warnings += manifest.notes
        interviews.sort(key=lambda i: i.interview_id)  # manifest row order must not change anything
    with timer.stage("transcribe"):
        executor = open_executor(settings.scale)  # where transcription (and, on Ray, embedding) runs
        interviews, audio = stages.transcribe(study_dir, interviews, settings, problems, warnings, executor)
    with timer.stage("read"):
        reading = read_interviews(interviews, settings, problems, warnings)
    log.info(f"{len(reading.interviews)} interviews, {len(reading.statements)} customer statements")
    with timer.stage("embed"):
        embedder = embedder or stages.load_embedder(settings, executor)
        text_vectors, vectors = stages.embed(embedder, reading.statements)
        executor.close()
    with timer.stage("themes"):
        book, themes = stages.find_themes(study_dir, reading, text_vectors, vectors, embedder, settings, warnings)
    with timer.stage("llm_labels"):
        llm = stages.open_llm(settings, llm_flags, reading, dry_run)
        themes = stages.improve_labels(llm, book, themes)
    with timer.stage("counts"):
        cohort_sizes = {c: n for c in COHORTS if (n := sum(i.cohort == c for i in reading.interviews))}
    with timer.stage("quotes"):
        quotes, rejected = stages.pick_quotes(themes, reading, settings)
        tables = stages.tables(themes, quotes, cohort_sizes)
        findings = tables.findings()
    with timer.stage("crm"):
        crm = stages.analyse_crm(study_dir, reading, themes, findings, settings, llm, problems)
    with timer.stage("stance"):
        tables, findings, drivers = stages.stance_and_drivers(reading, themes, tables, findings, crm, cohort_sizes,
                                                              llm, settings.our_names)
    with timer.stage("report"):
        out_dir.mkdir(parents=True, exist_ok=True)
        run_facts = {"model": embedder.model_id, "min_theme_size": settings.theme_size(len(reading.statements)),
                     "quotes_rejected": rejected, "coverage": coverage(manifest.listed, reading, problems)}
        stages.write_report(study_dir, out_dir, reading.interviews, tables, findings, quotes, cohort_sizes,
                            themes, settings, crm, llm, run_facts, warnings, problems, drivers)
    with timer.stage("index"):
        stages.write_index(study_dir, out_dir, reading.interviews, tables, themes, embedder.model_id, crm, book)
    counts = Counts(
        interviews_listed=manifest.listed,
        interviews_analysed=len(reading.interviews), interviews_per_cohort=cohort_sizes,
        statements=len(reading.statements), themes=len(tables.themes), unassigned=themes.n_unassigned,
        quotes=len(tables.quotes), quotes_rejected=rejected, problems=len(problems))
    record = {
        "winloss": __version__, "versions": versions(), "study": str(study_dir),
        "settings": settings.to_record(), "embedding_model": embedder.model_id,
        "theme_engine": themes.engine, "counts": asdict(counts),
        "coverage": asdict(run_facts["coverage"]),
        "drivers": stages.driver_record(drivers), "llm": llm.record(),
        "audio": {k: v for k, v in audio.items() if k != "run"},
        # Which dialect, sheet and header row each spreadsheet was read with (winloss.tables).
        "inputs": [s.record() for s in [manifest.source, *(crm.sources if crm is not None else [])]],
        "warnings": warnings, "problems": [str(p) for p in problems],
        "timings": {"stages_s": timer.stages, "total_s": round(sum(timer.stages.values()), 3),
                    "audio": audio.get("run", {}), "scale": asdict(settings.scale),
                    "embeddings_computed": getattr(embedder, "computed", None), "llm_requests": llm.requests()},
    }
    (out_dir / "run.json").write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
    if dry_run:
        log.info(llm.dry_run_line())
    return RunResult(out_dir, problems, warnings, counts)


def read_interviews(interviews: list[Interview], settings: Settings, problems: list[Problem],
                    warnings: list[str]) -> Reading:
    """Parse each transcript and cut its customer speech into statements; a bad file is a Problem, not a crash."""
    transcripts: dict[str, Transcript] = {}
    statements: list[Statement] = []
    unsure: list[str] = []
    foreign: list[str] = []
    users: dict[Path, list[str]] = {}  # several interviews may share a file: a problem with it names them all
    for interview in interviews:
        users.setdefault(interview.file, []).append(interview.interview_id)
    parsed: dict[Path, Transcript | TranscriptError] = {}
    for interview in interviews:
        where = str(interview.file)
        if is_recording(interview.file):
            continue  # a recording the audio stage could not transcribe: it has reported why
        if interview.file not in parsed:
            try:
                parsed[interview.file] = parse_transcript(interview.file)
            except TranscriptError as exc:
                parsed[interview.file] = exc
                ids = users[interview.file]
                named = f"interview{'s' if len(ids) > 1 else ''} {', '.join(ids)}"
                problems.append(Problem(f"{where} ({named})", str(exc), ", ".join(ids)))
        transcript = parsed[interview.file]
        if isinstance(transcript, TranscriptError):
            continue
        warnings.extend(f"{interview.interview_id}: {w}" for w in transcript.warnings)
        roles = detect_roles(transcript, set(interview.interviewers), set(settings.interviewer_names))
        if roles.warning:
            warnings.append(f"{interview.interview_id}: {roles.warning}")
        found = extract_statements(interview.interview_id, interview.cohort, transcript, roles)
        if not found:
            problems.append(Problem(f"{where} (interview {interview.interview_id})",
                                    "no customer speech found (only interviewer, fillers or small talk)",
                                    interview.interview_id))
            continue
        transcripts[interview.interview_id] = transcript
        statements.extend(found)
        if not roles.sure:
            unsure.append(interview.interview_id)
        if not reads_as_english(s.text for s in found):
            foreign.append(interview.interview_id)
            warnings.append(f"{interview.interview_id}: its customer speech does not read as English; themes come "
                            "from an English model and the offline stance scorer reads English, so its statements "
                            "count in themes but their stance is left neutral (an LLM, when configured, reads them)")
    if not statements:
        raise StudyError("no customer statements in any interview; nothing to analyse"
                         + "".join(f"\n  {p}" for p in problems))
    analysed = [i for i in interviews if i.interview_id in transcripts]
    people = frozenset(names_to_redact(transcripts, analysed, settings.interviewer_names))
    return Reading(analysed, transcripts, statements, people, tuple(unsure), tuple(foreign))


def coverage(listed: int, reading: Reading, problems: list[Problem]) -> Coverage:
    """Which listed interviews the counts leave out, by id where the problem names one."""
    analysed = {i.interview_id for i in reading.interviews}
    named = {i.strip() for p in problems for i in p.interview_id.split(",") if i.strip()}
    return Coverage(listed, tuple(sorted(named - analysed)), reading.unsure_roles, reading.not_english)


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for dist in ("numpy", "pandas", "scikit-learn", "hdbscan", "sentence-transformers", "torch", "faster-whisper"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = "not installed"
    return found
