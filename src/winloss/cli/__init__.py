"""Command line: `winloss run STUDY` and friends, thin over the library.

Exit codes: 0 all good, 1 finished but some inputs failed (each named), 2 nothing could run. Every error the
library raises is a `WinlossError`; the group turns it into one line on stderr and its exit code, so no command
catches errors of its own.
"""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from winloss import __version__
from winloss.errors import WinlossError

# Models ship inside packages; nothing may reach a model hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Model-loading progress bars are noise in a batch tool's output; winloss prints its own progress.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


class CommandError(click.ClickException):
    """A message for the user on one line, with the exit code that says what happened."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except WinlossError as exc:
            raise CommandError(str(exc), exc.exit_code) from exc


def log_to_stderr(verbose: bool = False) -> None:
    """winloss's progress and warnings as plain lines on stderr; libraries stay quiet unless asked."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("winloss")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.propagate = False


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="winloss")
@click.option("-v", "--verbose", is_flag=True, help="Say more about what each stage does.")
def main(verbose: bool) -> None:
    """Turn win/loss/churn customer interviews into evidence: themes, honest counts, verbatim quotes."""
    log_to_stderr(verbose)


def scale_options(command):
    """--engine/--address/--workers: where transcription (and, on Ray, embedding) runs; [scale] in winloss.toml."""
    command = click.option("--workers", type=click.IntRange(min=0),
                           help="Worker processes (local) or Ray actors; each loads the model once [1; ray: 1 per CPU].")(command)
    command = click.option("--address", help="Ray cluster to join, e.g. auto or ray://head:10001 [start one here].")(command)
    return click.option("--engine", type=click.Choice(["local", "ray"]), help="Where the work runs [local].")(command)


@main.command()
@click.argument("study", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Output folder [reports/<study name>].")
@click.option("--min-theme-size", type=click.IntRange(min=2), help="Smallest theme, in statements [8; n/250 for large studies].")
@click.option("--model", "embedding_model", help="sentence-transformers model name or path [bundled all-MiniLM-L6-v2].")
@click.option("--llm-base-url", help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 "
                                     "[$WINLOSS_LLM_BASE_URL; OpenAI when only a key is set].")
@click.option("--llm-model", help="LLM model name; no model, no LLM [$WINLOSS_LLM_MODEL].")
@click.option("--no-llm", is_flag=True, help="Do not use an LLM even if one is configured.")
@click.option("--no-redact", is_flag=True, help="Send text to the LLM without PII redaction.")
@click.option("--dry-run", is_flag=True, help="Count the LLM calls and tokens the run would spend; send nothing.")
@scale_options
def run(study: Path, out_dir: Path | None, min_theme_size: int | None, embedding_model: str | None,
        llm_base_url: str | None, llm_model: str | None, no_llm: bool, no_redact: bool, dry_run: bool,
        **scale) -> None:
    """Analyse the interviews of STUDY and write the report and tables."""
    from winloss.pipeline import run as run_pipeline

    overrides = {"min_theme_size": min_theme_size, "embedding_model": embedding_model, "scale": scale}
    llm = {"base_url": llm_base_url, "model": "" if no_llm else llm_model, "redact": False if no_redact else None}
    result = run_pipeline(study, out_dir, overrides, llm_flags=llm, dry_run=dry_run)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for problem in result.problems:
        click.echo(f"problem: {problem}", err=True)
    c = result.counts
    click.echo(f"{c.interviews_analysed} interviews, {c.statements} statements, {c.themes} themes, "
               f"{c.unassigned} unassigned -> {result.out_dir / 'report.md'}", err=True)
    if result.problems:
        click.echo(f"{len(result.problems)} input(s) failed; the rest of the study was analysed (exit 1)", err=True)
    sys.exit(result.exit_code)


@main.command()
@click.argument("study", type=click.Path(path_type=Path))
@click.option("--whisper-model", "model", help="faster-whisper model name or local folder [bundled tiny.en].")
@click.option("--language", help="Spoken language code, '' to detect [en].")
@click.option("--beam-size", type=click.IntRange(min=1), help="Beam size [5].")
@click.option("--threads", type=click.IntRange(min=0), help="CPU threads, 0 = all cores [0].")
@click.option("--max-speakers", type=click.IntRange(min=1), help="Most voices to find in a mono recording [3].")
@click.option("--no-diarize", is_flag=True, default=None, help="Do not split a mono recording by voice.")
@click.option("--interviewer-channel", type=click.Choice(["left", "right"]), help="Interviewer's side of call recordings.")
@scale_options
def transcribe(study: Path, no_diarize: bool | None, engine: str | None, address: str | None, workers: int | None,
               **options) -> None:
    """Transcribe the recordings of STUDY to STUDY/transcripts/*.vtt; only what is new. Settings: [audio] in winloss.toml."""
    from winloss.audio.command import transcribe_command

    scale = {"engine": engine, "address": address, "workers": workers}
    sys.exit(transcribe_command(study, {**options, "diarize": False if no_diarize else None},
                                lambda line: click.echo(line, err=True), scale))


from winloss.cli.research import export, search, themes  # noqa: E402  (research commands)

main.add_command(search)
main.add_command(themes)
main.add_command(export)

from winloss.cli.serve import serve  # noqa: E402

main.add_command(serve)

if __name__ == "__main__":
    main()
