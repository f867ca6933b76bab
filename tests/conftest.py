import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# A developer's configured LLM must never see test data: without a model the LLM stage is off (the LLM tests start
# their own local server).
for _name in ("WINLOSS_LLM_BASE_URL", "WINLOSS_LLM_MODEL"):
    os.environ.pop(_name, None)

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "fixtures" / "demo"
SHARED = ROOT.parent / "shared" / "data"


def pytest_configure(config):
    config.addinivalue_line("markers", "shared_data: needs the public data in ../shared/data (skipped without it)")


def pytest_collection_modifyitems(config, items):
    """Tests on real public data say so when it is not there, instead of failing on a missing path."""
    if SHARED.is_dir():
        return
    skip = pytest.mark.skip(reason=f"needs the shared public data at {SHARED} (see ../shared/data/README.md); "
                                   "not found")
    for item in items:
        if "shared_data" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Every test session gets its own cache, so tests never depend on what a developer ran before."""
    os.environ["WINLOSS_CACHE_DIR"] = str(tmp_path_factory.mktemp("winloss-cache"))
    yield


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """One real run of the bundled demo study, shared by the tests that only read its outputs."""
    from winloss.pipeline import run

    study = tmp_path_factory.mktemp("demo") / "demo"
    shutil.copytree(DEMO, study, ignore=shutil.ignore_patterns("codebook*"))
    out = study.parent / "out"
    result = run(study, out)
    return result


@pytest.fixture
def make_study(tmp_path):
    """Write a study from {relative path: text} plus interviews.csv rows."""

    def make(files: dict[str, str | bytes], rows: list[str], header: str = "interview_id,cohort,file,interviewer"):
        for rel, content in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        (tmp_path / "interviews.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        return tmp_path

    return make
