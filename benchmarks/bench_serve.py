"""`winloss serve` and `winloss search` from the user's side: start-up, cold search, page loads on 20,000 statements.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_serve.py [--rounds 30] [--out benchmarks/results/serve.json]

1. The demo study is run once; then `winloss serve` is started 5 times (seconds until the printed URL answers its
   first page; target < 3 s) and `winloss search "..." --study` is run cold 5 times (target < 2 s).
2. A 20,000-statement study in interview shape is built once under benchmarks/.cache/serve-20k (200 interviews of
   real Banking77 / CLINC150 utterances as the customer's answers to an interviewer's questions, with a CRM export
   giving each deal a competitor and a loss reason) and analysed by `winloss run`, like a user's study; `winloss
   serve` then serves it and every page is fetched `--rounds` times over real HTTP (target < 300 ms each).
Each page's figure comes with the server's CPU milliseconds per request and the load average, because the project's
machine is shared. With benchmarks/.cache/embeddings from bench_scale.py's embedding section the run embeds only
what that did not.
"""
from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
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
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np
from measure import CACHE, machine, tree_cpu_s, utterances
from serve_study import serving

from winloss.pipeline import run

CLI = [sys.executable, "-c", "import sys\nfrom winloss.cli import main\nmain(sys.argv[1:])"]
BIG = CACHE / "serve-20k"
BUILD = "serve-20k v1"  # change to rebuild the cached study
INTERVIEWS, ANSWERS = 200, 102  # a few answers are small talk or fillers and give no statement
COHORTS = ("won", "lost", "churned")
COMPETITORS = ("Clarion", "Tallyhub", "")
LOSS_REASONS = ("Price", "Missing features", "Timing", "No decision")
QUESTIONS = ("What were you trying to get done when this came up?", "Can you walk me through what happened?",
             "How did the team react to that?", "What did you look at instead?", "How did pricing come into it?",
             "What would have changed your mind?", "Who else was involved in that decision?",
             "How did support handle it?", "What happened after that?", "What mattered most to you there?")


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
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 1), "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1),
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
        loads, cpu0, load0 = [], tree_cpu_s(), os.getloadavg()[0]
        for _ in range(rounds):
            status, size, seconds = fetch(base, path)
            assert status == 200, (path, status)
            loads.append(seconds)
        cpu_ms = (tree_cpu_s() - cpu0) * 1000 / rounds  # server and client, per request
        results[name] = {"path": path, "bytes": size, **summary(loads), "cpu_ms_per_request": round(cpu_ms, 1),
                         "load_1min": [round(load0, 2), round(os.getloadavg()[0], 2)]}
        print(f"  {name}: {results[name]}", flush=True)
    return results


def write_study(study: Path) -> None:
    """200 interviews x ~100 customer answers: distinct real utterances, shuffled so every interview touches many
    intents, each the answer to one of ten interviewer questions; a CRM export with competitor and loss reason."""
    texts = [t for t, _ in utterances()]
    order = np.random.default_rng(0).permutation(len(texts))[: INTERVIEWS * ANSWERS]
    (study / "transcripts").mkdir(parents=True)
    (study / "crm").mkdir()
    manifest, deals, accounts = [], [], []
    for k in range(INTERVIEWS):
        iid, company, cohort = f"INT-{k + 1:03d}", f"Company {k + 1:03d}", COHORTS[k % 3]
        turns, clock = [], 0.0
        for a in range(ANSWERS):
            for speaker, text, length in (("Dana Ruiz", QUESTIONS[(k + a) % len(QUESTIONS)], 4.0),
                                          (f"Customer {k + 1:03d}", texts[order[k * ANSWERS + a]], 9.0)):
                turns.append({"speaker": speaker, "start": round(clock, 2), "end": round(clock + length, 2),
                              "text": text})
                clock += length + 0.5
        (study / "transcripts" / f"{iid}.json").write_text(json.dumps(turns, indent=1), encoding="utf-8")
        manifest.append([iid, cohort, f"transcripts/{iid}.json", f"ACC-{k + 1:04d}", f"OPP-{k + 1:04d}",
                         f"2026-{7 + k % 3:02d}-{1 + k % 28:02d}", "Dana Ruiz", company])
        lost = cohort == "lost"
        deals.append([f"OPP-{k + 1:04d}", f"{company} - New Business", f"ACC-{k + 1:04d}", company,
                      "Closed Lost" if lost else "Closed Won", f"{1 + k % 12}/15/2026", f"{1 + k % 12}/1/2026",
                      20000 + 500 * (k % 60), LOSS_REASONS[k % 4] if lost else "", COMPETITORS[k % 3], "",
                      ("Logistics", "Retail", "Healthcare", "Software")[k % 4], 100 + 10 * k])
        if not lost:  # customer-success data exists for customers only
            accounts.append([f"ACC-{k + 1:04d}", company, "Churned" if cohort == "churned" else "Contracted",
                             20000 + 500 * (k % 60), 0 if cohort == "churned" else 21000 + 500 * (k % 60)])
    tables = {"interviews.csv": (["interview_id", "cohort", "file", "account_id", "deal_id", "date", "interviewer",
                                  "company"], manifest),
              "crm/deals.csv": (["Opportunity ID", "Opportunity Name", "Account ID", "Account Name", "Stage",
                                 "Close Date", "Created Date", "Amount", "Closed Lost Reason", "Competitor",
                                 "Loss Notes", "Industry", "Employees"], deals),
              "crm/accounts.csv": (["Account ID", "Account Name", "Retention Status", "Starting ARR", "Current ARR"],
                                   accounts)}
    for name, (header, rows) in tables.items():
        with (study / name).open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([header, *rows])


def big_study() -> dict:
    """The 20k study and its `winloss run` output, built once (reused while BUILD is unchanged)."""
    stamp = BIG / "build.json"
    if stamp.is_file() and json.loads(stamp.read_text()).get("build") == BUILD and (BIG / "out" / "winloss.db").is_file():
        return json.loads(stamp.read_text())
    shutil.rmtree(BIG, ignore_errors=True)
    write_study(BIG / "study")
    env = {**os.environ, "WINLOSS_CACHE_DIR": str(CACHE)}
    t0, cpu0 = time.perf_counter(), tree_cpu_s()
    done = subprocess.run([*CLI, "run", str(BIG / "study"), "--out", str(BIG / "out")], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode == 2 or not (BIG / "out" / "winloss.db").is_file():
        raise SystemExit(f"winloss run failed on the 20k study:\n{done.stderr[-3000:]}")
    facts = json.loads((BIG / "out" / "run.json").read_text())
    record = {"build": BUILD, "winloss_run_exit_code": done.returncode, "winloss_run_wall_s": round(time.perf_counter() - t0, 1),
              "winloss_run_cpu_s": round(tree_cpu_s() - cpu0, 1), "counts": facts["counts"],
              "stages_s": facts["timings"]["stages_s"]}
    stamp.write_text(json.dumps(record, indent=2) + "\n")
    return record


def big_paths(db_path: Path) -> dict[str, str]:
    conn = sqlite3.connect(db_path)
    tid, n_theme = conn.execute("SELECT theme_id, count(*) FROM statements WHERE theme_id IS NOT NULL "
                                "GROUP BY theme_id ORDER BY count(*) DESC, theme_id").fetchone()
    lost = conn.execute("SELECT competitor, loss_type FROM statements WHERE theme_id = ? AND cohort = 'lost' "
                        "AND competitor != '' GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2", (tid,)).fetchone()
    sid = conn.execute("SELECT statement_id FROM statements ORDER BY id LIMIT 1 OFFSET 12345").fetchone()[0]
    conn.close()
    return {"themes list": "/", "themes list sorted by lost share": "/?sort=lost&desc=1",
            f"largest theme ({n_theme} statements)": f"/themes/{tid}",
            "largest theme, page 2": f"/themes/{tid}?offset=200",
            "largest theme filtered (cohort, competitor, loss type)":
                f"/themes/{tid}?" + urlencode({"cohort": "lost", "competitor": lost[0], "loss_type": lost[1]}),
            "statement in context": f"/statements/{sid}",
            "search": "/search?" + urlencode({"q": "my card was declined at the shop"}),
            "search filtered": "/search?" + urlencode({"q": "card declined", "cohort": "won",
                                                       "competitor": "Clarion"}),
            "theme CSV (all its statements)": f"/themes/{tid}.csv", "search CSV": "/search.csv?q=refund",
            "report": "/report", "codebook": "/codebook"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "serve.json")
    args = parser.parse_args()
    record: dict = {"machine": machine()}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        study = tmp / "demo"
        shutil.copytree(ROOT / "fixtures" / "demo", study, ignore=shutil.ignore_patterns("codebook*"))
        run(study, tmp / "demo-out")
        record["serve_startup_demo"] = summary(startup(tmp / "demo-out"))
        record["search_cold_start_demo"] = summary(cold_search(study, tmp / "demo-out"))
        print(json.dumps(record, indent=2), flush=True)

    record["study_20k"] = big_study()
    print(json.dumps(record["study_20k"], indent=2), flush=True)
    with serving(BIG / "out") as (url, started):
        record["serve_startup_20k_s"] = round(started, 2)
        record["page_loads_20k"] = page_loads(url, big_paths(BIG / "out" / "winloss.db"), args.rounds)
    record["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    record["measured_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
