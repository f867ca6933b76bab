"""Where a study's outputs live, and how a folder given on the command line is read as a study or a run's outputs.

Kept free of heavy imports: `winloss search` and `winloss serve` resolve paths before anything else starts.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from winloss.errors import WinlossError

DB_FILE = "winloss.db"
RUN_FILE = "run.json"
STUDY_FILE = "interviews.csv"


class LocationError(WinlossError):
    """The folder given is neither a run's outputs nor a study with results."""


def default_out_dir(study_dir: Path) -> Path:
    return Path("reports") / Path(study_dir).resolve().name


@dataclass(frozen=True)
class RunFolders:
    out_dir: Path  # holds winloss.db, report.md and the tables
    study_dir: Path | None  # holds interviews.csv, codebook.toml and the recordings; None when it cannot be found


def resolve(folder: Path) -> RunFolders:
    """OUT_DIR (has winloss.db; its run.json names the study) or STUDY (has interviews.csv; outputs in reports/)."""
    folder = Path(folder)
    if (folder / DB_FILE).is_file():
        return RunFolders(folder.resolve(), _study_of_run(folder))
    if (folder / STUDY_FILE).is_file():
        out = default_out_dir(folder)
        if not (out / DB_FILE).is_file():
            raise LocationError(f"{folder} is a study without results in {out}; run `winloss run {folder}` first")
        return RunFolders(out.resolve(), folder.resolve())
    raise LocationError(f"{folder}: neither a run's output folder (no {DB_FILE}) nor a study (no {STUDY_FILE})")


def _study_of_run(out_dir: Path) -> Path | None:
    try:
        study = json.loads((out_dir / RUN_FILE).read_text(encoding="utf-8")).get("study")
    except (OSError, ValueError):
        return None
    if not study:
        return None
    path = Path(study)
    return path.resolve() if (path / STUDY_FILE).is_file() else None
