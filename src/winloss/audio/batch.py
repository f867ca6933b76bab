"""ensure_transcripts: every recording in the study gets a WebVTT transcript, transcribing only what is new."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

from winloss.audio import decode
from winloss.audio.cache import TranscriptCache, bytes_sha256, cache_key
from winloss.audio.formats import is_recording
from winloss.audio.recording import RecordingJob, TranscribeTask
from winloss.audio.settings import AudioSettings
from winloss.audio.speakers import INTERVIEWER, build_turns, label_voices
from winloss.audio.transcribe import model_id
from winloss.audio.voices import choose_interviewers, enrolment_print
from winloss.interviews.transcripts import write_vtt
from winloss.models import Interview, Problem
from winloss.scale import Executor, Failed, LocalExecutor


@dataclass
class TranscriptionBatch:
    paths: dict[str, Path] = field(default_factory=dict)  # interview_id -> the .vtt to parse instead
    problems: list[Problem] = field(default_factory=list)
    summary: dict = field(default_factory=dict)


def transcript_path(study_dir: Path, interview: Interview, taken: set[Path]) -> Path:
    """STUDY/transcripts/<recording stem>.vtt; a name already taken (another recording with that stem, or a
    transcript another interview uses) gets the interview id added."""
    path = (study_dir / "transcripts" / f"{interview.file.stem}.vtt").resolve()
    if path in taken:
        path = path.with_name(f"{interview.file.stem}.{interview.interview_id}.vtt")
    taken.add(path)
    return path


def ensure_transcripts(study_dir: Path, interviews: list[Interview], settings: AudioSettings | None = None,
                       progress: bool = True, console: Console | None = None,
                       executor: Executor | None = None) -> TranscriptionBatch:
    """`executor` says where recordings are transcribed (winloss.scale); by default here, one after another."""
    study_dir = Path(study_dir).resolve()
    settings = settings or AudioSettings()
    console = console or Console(stderr=True)
    batch = TranscriptionBatch()
    recordings = [i for i in interviews if is_recording(i.file)]
    files: dict[str, dict] = {}  # what the transcripts are: the same on every run over the same inputs
    status: dict[str, str] = {}  # what this run did: transcribed, cached, kept
    warnings: list[str] = []
    if not recordings:
        batch.summary = {"recordings": 0, "warnings": [], "run": {}}
        return batch

    cache = TranscriptCache(study_dir / ".winloss")
    if cache.warning:
        warnings.append(cache.warning)
    model_name = model_id(settings)
    taken = {Path(i.file).resolve() for i in interviews if not is_recording(i.file)}
    todo: list[tuple[Interview, Path, str, decode.Probe]] = []
    ready: list[tuple[Interview, Path, str]] = []
    for interview in recordings:
        vtt = transcript_path(study_dir, interview, taken)
        rel = vtt.relative_to(study_dir).as_posix()
        if vtt.exists() and bytes_sha256(vtt.read_bytes()) != cache.written.get(rel):
            # A person wrote or corrected this file: it wins over any transcription.
            batch.paths[interview.interview_id] = vtt
            files[interview.interview_id] = {"file": _rel(study_dir, interview.file), "transcript": rel,
                                             "source": "hand-edited"}
            status[interview.interview_id] = "kept hand-edited transcript"
            continue
        try:
            if not interview.file.is_file():
                raise decode.AudioError("recording not found")
            info = decode.probe(interview.file)
            key = cache_key(decode.file_sha256(interview.file), model_name,
                            {**settings.output_key(), "speakers": interview.speakers})
        except decode.AudioError as exc:
            batch.problems.append(Problem(str(interview.file), str(exc), interview.interview_id))
            continue
        if key in cache.entries:
            ready.append((interview, vtt, key))
        else:
            todo.append((interview, vtt, key, info))

    wall = 0.0
    transcribed_seconds = 0.0
    retried = 0
    if todo:
        t0 = time.perf_counter()
        executor = executor or LocalExecutor()
        retried = executor.retried
        transcribed_seconds = _transcribe_all(todo, settings, model_name, cache, batch, study_dir, progress, console, executor)
        retried = executor.retried - retried
        wall = time.perf_counter() - t0
        ready += [(i, v, k) for i, v, k, _ in todo if k in cache.entries]

    fresh = {k for _, _, k, _ in todo}
    # Who the interviewer is, decided study-wide: the voice that recurs across recordings (or the enrolled one).
    enrolment = None
    if settings.interviewer_voice:
        try:
            enrolment = enrolment_print(study_dir / settings.interviewer_voice)
        except decode.AudioError as exc:
            warnings.append(f"[audio] interviewer_voice {settings.interviewer_voice}: {exc}; not used")
    choices = choose_interviewers({k: cache.entries[k]["meta"].get("voices", []) for _, _, k in ready}, enrolment)
    for interview, vtt, key in sorted(ready, key=lambda r: r[0].interview_id):
        entry = cache.entries[key]
        labelling = label_voices(cache.pieces(key), interview.interviewers, entry["meta"].get("channel_voice"),
                                 choices.get(key))
        turns = build_turns(cache.pieces(key), labelling.names)
        rel = vtt.relative_to(study_dir).as_posix()
        cache.written[rel] = _write_if_changed(turns, vtt)
        batch.paths[interview.interview_id] = vtt
        meta = entry["meta"]
        file_warnings = list(meta.get("warnings", [])) + ([labelling.warning] if labelling.warning else [])
        files[interview.interview_id] = {
            "file": _rel(study_dir, interview.file), "transcript": rel, "source": "audio",
            "duration_s": meta["duration_s"], "layout": meta["layout"], "speakers": meta["speakers"],
            "split_confidence": meta["confidence"], "interviewer": labelling.names.get(labelling.interviewer, ""),
            "interviewer_method": labelling.method, "interviewer_evidence": labelling.evidence,
            "unsure_words_share": round(1 - meta["confidence"], 3), "warnings": file_warnings,
        }
        status[interview.interview_id] = "transcribed" if key in fresh else "cached"
        warnings += [f"{interview.interview_id}: speaker split: {w}" for w in file_warnings]
    cache.save()
    cache.close()
    if any(f.get("source") == "audio" for f in files.values()):
        warnings.insert(0, speaker_note(files))

    done = list(status.values())
    audio_seconds = sum(f.get("duration_s", 0.0) for f in files.values())
    batch.summary = {
        "recordings": len(recordings), "failed": len(batch.problems),
        "audio_seconds": round(audio_seconds, 1), "audio_hours": round(audio_seconds / 3600, 3),
        "model": model_name, "settings": settings.output_key(), "files": dict(sorted(files.items())),
        "warnings": warnings,
        # Everything below changes from run to run (a rerun transcribes nothing): timings, not results.
        "run": {
            "transcribed": done.count("transcribed"), "cache_hits": done.count("cached"),
            "kept_hand_edited": done.count("kept hand-edited transcript"),
            "transcribed_audio_seconds": round(transcribed_seconds, 1), "transcribe_wall_s": round(wall, 2),
            "speed_x_realtime": round(transcribed_seconds / wall, 2) if wall else None,
            "engine": executor.engine if executor else "local", "workers": executor.workers if executor else 1,
            "retried": retried,
            "status": dict(sorted(status.items())),
        },
    }
    if progress:
        console.print(summary_line(batch.summary), soft_wrap=True, highlight=False)
    return batch


def transcribed_interviews(interviews: list[Interview], batch: TranscriptionBatch) -> list[Interview]:
    """The interviews with each recording replaced by its transcript, for the transcript pipeline.

    Without a manifest name the interviewer's voice is labelled "Interviewer", so role detection is told
    that label; a hand-edited file without it falls back to the question heuristic as any transcript does.
    """
    out = []
    for interview in interviews:
        vtt = batch.paths.get(interview.interview_id)
        out.append(replace(interview, file=vtt, interviewers=interview.interviewers or (INTERVIEWER,)) if vtt else interview)
    return out


def speaker_note(files: dict[str, dict]) -> str:
    """One line for the report's confidence notes: how the voices and the interviewer were found."""
    from collections import Counter

    machine = {i: f for i, f in sorted(files.items()) if f.get("source") == "audio"}
    methods = Counter(f["interviewer_method"] for f in machine.values())
    counts = Counter(f["speakers"] for f in machine.values())
    worst = max(machine, key=lambda i: (machine[i]["unsure_words_share"], i))
    return (f"audio: {len(machine)} recordings diarized; voices found: "
            + ", ".join(f"{k} in {n}" for k, n in sorted(counts.items()))
            + "; interviewer by " + ", ".join(f"{m} in {n}" for m, n in sorted(methods.items()))
            + f"; words in unsure turns: up to {machine[worst]['unsure_words_share']:.0%} ({worst}); "
            "per recording in run.json (audio.files)")


def summary_line(summary: dict) -> str:
    run = summary["run"]
    line = f"audio: {summary['recordings']} recordings, {summary['audio_hours']:.2f} h; transcribed {run['transcribed']}"
    if run["transcribed"]:
        line += (f" ({run['transcribed_audio_seconds'] / 3600:.2f} h in {run['transcribe_wall_s']:.0f} s, "
                 f"{run['speed_x_realtime']:.1f}x real time)")
    line += f", {run['cache_hits']} from cache, {run['kept_hand_edited']} hand-edited kept"
    if run.get("retried"):
        line += f", {run['retried']} retried after a worker failed"
    return line + (f", {summary['failed']} failed" if summary["failed"] else "")


def _transcribe_all(todo, settings, model_name, cache, batch, study_dir, progress, console, executor) -> float:
    """Run the new recordings on the executor; the driver alone caches what comes back, file by file."""
    first: dict[str, tuple[Interview, decode.Probe]] = {}
    for interview, _vtt, key, info in todo:
        first.setdefault(key, (interview, info))  # the same recording listed twice is transcribed once
    unique = list(first.items())
    jobs = [RecordingJob(str(interview.file), info, _rel(study_dir, interview.file), interview.speakers)
            for _, (interview, info) in unique]
    sizes = [info.duration or 1.0 for _, (_, info) in unique]
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn(),
               TextColumn("{task.fields[files]} files, {task.fields[hours]} h audio"))
    total = sum(sizes)
    done_seconds = 0.0
    failed: list[tuple[int, Problem]] = []
    progress_s: dict[int, float] = {}  # audio seconds done, per job: finished or in flight
    finished: set[int] = set()
    with Progress(*columns, console=console, disable=not progress) as bar:
        where = f" on {executor.workers} {executor.engine} workers" if executor.engine != "local" else ""
        overall = bar.add_task(f"transcribing {len(jobs)} recordings{where}", total=total, files="", hours="")

        def show(index: int, seconds: float) -> None:
            progress_s[index] = min(seconds, sizes[index])
            completed = sum(progress_s.values())
            bar.update(overall, completed=completed, files=f"{len(finished)}/{len(jobs)}",
                       hours=f"{completed / 3600:.2f}/{total / 3600:.2f}")

        show(0, 0.0)
        for outcome in executor.map(TranscribeTask(settings, model_name), jobs, show):
            key, (interview, _info) = unique[outcome.index]
            finished.add(outcome.index)
            show(outcome.index, sizes[outcome.index])
            if isinstance(outcome, Failed):
                failed.append((outcome.index, Problem(str(interview.file), outcome.message, interview.interview_id)))
                continue
            result = outcome.value
            cache.put(key, result.pieces, result.meta)
            cache.save()
            done_seconds += result.meta["duration_s"]
    batch.problems += [problem for _, problem in sorted(failed, key=lambda f: f[0])]  # in study order, not finish order
    return done_seconds


def _write_if_changed(turns, vtt: Path) -> str:
    """Write the transcript unless the same bytes are there already; return the sha256 of what is on disk."""
    vtt.parent.mkdir(parents=True, exist_ok=True)
    tmp = vtt.with_name(vtt.name + ".tmp")
    write_vtt(turns, tmp)
    data = tmp.read_bytes()
    if vtt.exists() and vtt.read_bytes() == data:
        tmp.unlink()
    else:
        os.replace(tmp, vtt)
    return bytes_sha256(data)


def _rel(study_dir: Path, path: Path) -> str:
    try:
        return Path(path).resolve().relative_to(study_dir.resolve()).as_posix()
    except ValueError:
        return str(path)
