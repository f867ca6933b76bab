"""Transcript imports end to end: the mixed-format study in fixtures/imports (one file per export style) through
`winloss run`, then per file: the reader chosen, speakers, turns, and how many turns and customer statements carry a
timestamp; plus the parse time of every file (best of 5 repeats) and the wall time of the whole run.

Usage: python benchmarks/bench_imports.py
Writes benchmarks/results/imports.json and prints the Markdown table of docs/imports.md.
"""
from __future__ import annotations

import csv
import json
import platform
import tempfile
import time
from collections import Counter
from pathlib import Path

from winloss.interviews.study import load_interviews
from winloss.interviews.transcripts import parse_transcript
from winloss.pipeline import run

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "fixtures" / "imports"
OUT = ROOT / "benchmarks" / "results" / "imports.json"


def _parse_ms(path: Path, repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        parse_transcript(path)
        best = min(best, time.perf_counter() - t0)
    return round(best * 1000, 2)


def main() -> None:
    interviews, _ = load_interviews(STUDY)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = run(STUDY, Path(tmp) / "out")
        wall = time.perf_counter() - t0
        with open(Path(tmp) / "out" / "statements.csv", encoding="utf-8") as f:
            statements = list(csv.DictReader(f))
    per_interview = Counter(s["interview_id"] for s in statements)
    timed_statements = Counter(s["interview_id"] for s in statements if s.get("start"))
    rows = []
    for interview in interviews:
        t = parse_transcript(interview.file)
        rows.append({
            "file": interview.file.name, "interview_id": interview.interview_id, "reader": t.format,
            "speakers": len({turn.speaker for turn in t.turns}), "turns": len(t.turns),
            "timed_turns": sum(turn.start is not None for turn in t.turns),
            "statements": per_interview[interview.interview_id],
            "timed_statements": timed_statements[interview.interview_id],
            "parse_ms": _parse_ms(interview.file),
        })
    record = {
        "study": "fixtures/imports", "files": len(rows), "exit_code": result.exit_code,
        "problems": [str(p) for p in result.problems], "warnings": result.warnings,
        "imported": sum(r["statements"] > 0 for r in rows), "run_wall_s": round(wall, 1),
        "parse_ms_total": round(sum(r["parse_ms"] for r in rows), 1),
        "machine": f"{platform.machine()}, {platform.python_version()}", "rows": rows,
    }
    OUT.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print("| file | reader | speakers | turns | turns timed | statements | statements timed | parse ms |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['file']} | {r['reader']} | {r['speakers']} | {r['turns']} | {r['timed_turns']}/{r['turns']} | "
              f"{r['statements']} | {r['timed_statements']}/{r['statements']} | {r['parse_ms']} |")
    print(f"\n{record['imported']}/{record['files']} imported, exit {record['exit_code']}, "
          f"run {record['run_wall_s']} s, parsing all files {record['parse_ms_total']} ms")


if __name__ == "__main__":
    main()
