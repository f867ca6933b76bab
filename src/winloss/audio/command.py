"""`winloss transcribe STUDY`: only the audio stage, with the same settings `winloss run` uses."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def transcribe_command(study: Path, overrides: dict, echo: Callable[[str], None], scale: dict | None = None) -> int:
    """Exit code: 0 all recordings have transcripts, 1 some failed (named), 2 nothing could run.

    `overrides` are [audio] flags, `scale` the --engine/--address/--workers flags over [scale]."""
    from winloss.audio.batch import ensure_transcripts
    from winloss.interviews.study import StudyError, load_interviews
    from winloss.scale import open_executor
    from winloss.settings import ConfigError, load_settings

    try:
        settings = load_settings(study, {"audio": overrides, "scale": scale or {}})
        interviews, manifest_problems = load_interviews(study)  # a missing recording is one of these
        executor = open_executor(settings.scale)
    except (StudyError, ConfigError) as exc:  # an unreachable engine is a ConfigError too
        echo(f"error: {exc}")
        return 2
    try:
        batch = ensure_transcripts(study, interviews, settings.audio, executor=executor)
    finally:
        executor.close()
    if not batch.summary["recordings"]:
        echo("no recordings in interviews.csv; nothing to transcribe")
    for warning in batch.summary["warnings"]:
        echo(f"warning: {warning}")
    problems = manifest_problems + batch.problems
    for problem in problems:
        echo(f"skipped: {problem}")
    if problems:
        echo(f"{len(problems)} input(s) failed; the other recordings have transcripts (exit 1)")
    return 1 if problems else 0
