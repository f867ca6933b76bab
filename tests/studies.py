"""One real run of a bundled study, for the tests that read its outputs: copied without its codebook, since a run
writes one and the next run would keep its themes."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def run_copy(tmp_path_factory, name: str, overrides: dict | None = None):
    from winloss.pipeline import run

    study = tmp_path_factory.mktemp(name) / name
    shutil.copytree(FIXTURES / name, study, ignore=shutil.ignore_patterns("codebook*"))
    return run(study, study.parent / "out", overrides)


def front_and_appendix(result) -> tuple[str, str]:
    """A run's report.md cut at "# Appendix": the leadership front, then the analysis behind it."""
    report = (result.out_dir / "report.md").read_text(encoding="utf-8")
    front, _, appendix = report.partition("\n# Appendix")
    return front, appendix


def rows(result, name: str) -> list[dict]:
    """One of the run's CSV files, as dicts."""
    with open(result.out_dir / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))
