"""One real run of a bundled study, for the tests that read its outputs: copied without its codebook, since a run
writes one and the next run would keep its themes."""
from __future__ import annotations

import shutil
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def run_copy(tmp_path_factory, name: str, overrides: dict | None = None):
    from winloss.pipeline import run

    study = tmp_path_factory.mktemp(name) / name
    shutil.copytree(FIXTURES / name, study, ignore=shutil.ignore_patterns("codebook*"))
    return run(study, study.parent / "out", overrides)
