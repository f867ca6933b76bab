"""`winloss serve` and `winloss search` from the user's side: start-up, cold search, page loads on 20,000 statements.

    .venv/bin/python benchmarks/bench_serve.py [--rounds 20] [--out benchmarks/results/bench_serve.json]

1. The demo study is run once; then `winloss serve` is started 5 times (seconds until the printed URL answers its
   first page; target < 3 s) and `winloss search "..." --study` is run cold 5 times (target < 2 s).
2. The 20,000-statement database of bench_search.py (Banking77 + CLINC150 utterances in 200 synthetic interviews)
   is served and every page is fetched `--rounds` times over real HTTP (target < 300 ms each).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

from bench_search import DATA, build_db, corpus  # noqa: E402
from serve_study import serving  # noqa: E402

from winloss.pipeline import run  # noqa: E402
from winloss.themes.embedding import Embedder  # noqa: E402

CLI = [sys.executable, "-c", "import sys\nfrom winloss.cli import main\nmain(sys.argv[1:])"]


def fetch(base: str, path: str) -> tuple[int, int, float]:
    parts = urlsplit(base)
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    conn.request("GET", path)
    response = conn.getresponse()
    size = len(response.read())
    conn.close()
    return response.status, size, time.perf_counter() - t0


def summary(seconds: list[float]) -> dict:
    ms = sorted(s * 1000 for s in seconds)
    return {"median_ms": round(statistics.median(ms), 1), "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1),
            "max_ms": round(ms[-1], 1)}


def startup(out: Path, times: int = 5) -> list[float]:
    seconds = []
    for _ in range(times):
        t0 = time.perf_counter()
        with serving(out) as (url, _):
            status, _, _ = fetch(url, "/")
            assert status == 200
            seconds.append(time.perf_counter() - t0)
    return seconds


def cold_search(study: Path, out: Path, times: int = 5) -> list[float]:
    seconds = []
    for n in range(times):
        t0 = time.perf_counter()
        subprocess.run([*CLI, "search", f"too expensive for us {n}", "--study", str(study), "--out", str(out)],
                       check=True, capture_output=True)
        seconds.append(time.perf_counter() - t0)
    return seconds


def page_loads(base: str, paths: dict[str, str], rounds: int) -> dict:
    results = {}
    for name, path in paths.items():
        fetch(base, path)  # the first request of a page pays for nothing the user would not pay once
        loads = []
        for _ in range(rounds):
            status, size, seconds = fetch(base, path)
            assert status == 200, (path, status)
            loads.append(seconds)
        results[name] = {"path": path, "bytes": size, **summary(loads)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench_serve.json")
    args = parser.parse_args()
    record: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        study = tmp / "demo"
        shutil.copytree(ROOT / "fixtures" / "demo", study, ignore=shutil.ignore_patterns("codebook*"))
        run(study, tmp / "demo-out")
        record["serve_startup_demo"] = summary(startup(tmp / "demo-out"))
        record["search_cold_start_demo"] = summary(cold_search(study, tmp / "demo-out"))

        if not (DATA / "banking77").is_dir():
            print(f"{DATA} not found: page loads on 20,000 statements skipped", file=sys.stderr)
        else:
            texts, labels = corpus()
            embedder = Embedder()
            vectors = embedder.encode(texts)
            big = tmp / "big"
            big.mkdir()
            build_db(big, texts, labels, vectors, embedder.model_id)
            conn = sqlite3.connect(big / "winloss.db")
            tid = conn.execute("SELECT theme_id FROM statements GROUP BY theme_id ORDER BY count(*) DESC").fetchone()[0]
            sid = conn.execute("SELECT statement_id FROM statements WHERE id = 12345").fetchone()[0]
            n_theme = conn.execute("SELECT count(*) FROM statements WHERE theme_id = ?", (tid,)).fetchone()[0]
            conn.close()
            paths = {"themes list": "/", "themes list sorted": "/?sort=statements&desc=1",
                     f"largest theme ({n_theme} statements)": f"/themes/{tid}",
                     "theme filtered": f"/themes/{tid}?cohort=lost&competitor=Clarion",
                     "statement in context": f"/statements/{sid}",
                     "search": "/search?" + urlencode({"q": "my card was declined at the shop"}),
                     "search filtered": "/search?" + urlencode({"q": "card declined", "cohort": "won"}),
                     "theme CSV": f"/themes/{tid}.csv", "codebook": "/codebook"}
            with serving(big) as (url, started):
                record["serve_startup_20k_s"] = round(started, 2)
                record["page_loads_20k"] = page_loads(url, paths, args.rounds)
                record["statements"] = len(texts)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
