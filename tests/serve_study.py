"""A study for the workspace tests: the demo, one real recording (fixtures/audio/two_voices.ogg, known turns) and one
interview whose transcript tries to inject markup; plus a running `winloss serve` over it on a free port."""
from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = [
    "Honestly the pricing page said <script>alert('pwned')</script> and nobody on our team could explain the seat price.",
    "Their portal had a reset link to javascript:alert(1) for the seat price and an <img src=x onerror=alert(2)> that broke.",
]


def write_served_study(root: Path) -> Path:
    study = root / "study"
    shutil.copytree(ROOT / "fixtures" / "demo", study, ignore=shutil.ignore_patterns("codebook*"))
    (study / "recordings").mkdir()
    shutil.copy(ROOT / "fixtures" / "audio" / "two_voices.ogg", study / "recordings" / "call-a.ogg")
    # Written as entities, which the transcript parsers decode (as WebVTT requires): the statements hold the markup.
    lines = ["Dana Ruiz: Thanks for making time. What made you look at pricing so closely?",
             f"Mallory Price: {html.escape(HOSTILE[0], quote=False)}",
             "Dana Ruiz: And the self-serve portal, how was that?",
             f"Mallory Price: {html.escape(HOSTILE[1], quote=False)}",
             "Dana Ruiz: Thanks, that's all I had."]
    (study / "transcripts" / "hostile.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with open(study / "interviews.csv", "a", encoding="utf-8") as f:
        f.write("REC-1,lost,recordings/call-a.ogg,,,,Dana Ruiz,Recorded Co\n")
        f.write("XSS-1,lost,transcripts/hostile.txt,,,,Dana Ruiz,<b>Hostile</b> Inc\n")
    return study


@lru_cache(maxsize=1)
def served_run(base: Path):
    """One real `winloss run` of the served study (the recording transcribed by the bundled whisper), shared by the
    workspace tests of a session; returns (study, out)."""
    from winloss.pipeline import run

    study = write_served_study(base)
    result = run(study, base / "out")
    # Neither added company is in the demo CRM: those two are reported (exit 1) and the rest is analysed.
    assert all("not joined to the CRM" in p.message for p in result.problems), result.problems
    return study, base / "out"


def known_turns() -> list[dict]:
    return json.loads((ROOT / "fixtures" / "audio" / "two_voices.json").read_text())["turns"]


@contextmanager
def serving(folder: Path, *args: str, timeout: float = 60.0):
    """`winloss serve FOLDER --port 0 ARGS` in a subprocess; yields (base URL with any token, startup seconds)."""
    code = "import sys\nfrom winloss.cli import main\nmain(sys.argv[1:])"
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, "serve", str(folder), "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url, seen = None, []
        while url is None:
            line = proc.stdout.readline()
            if not line:
                raise AssertionError(f"winloss serve exited:\n{''.join(seen)}")
            seen.append(line)
            match = re.search(r"open (http://\S+)", line)
            if match:
                url = match.group(1)
            if time.perf_counter() - started > timeout:
                raise AssertionError(f"no URL after {timeout} s:\n{''.join(seen)}")
        yield url, time.perf_counter() - started
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
