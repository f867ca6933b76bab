"""Time `winloss run` from text to report on an interview-shaped study of about 10,000 statements.

The study is built from Banking77's training utterances (real customer wording): 200 interviews of 50 customer
answers, each after an interviewer question. Model load is timed apart; then a first run on an empty cache and a
rerun. Usage: python benchmarks/bench_pipeline.py [--n 10000]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
BANKING = ROOT.parent / "shared" / "data" / "banking77" / "train.csv"
QUESTIONS = ["Can you tell me more about that?", "What happened next?", "How did that affect you?",
             "Why was that important?", "What else came up?"]


def build_study(folder: Path, n: int, per_interview: int = 50, seed: int = 0, source: Path = BANKING) -> int:
    with open(source, encoding="utf-8") as fh:
        texts = [row["text"].strip() for row in csv.DictReader(fh)][:n]
    rng = random.Random(seed)
    (folder / "transcripts").mkdir(parents=True)
    rows = ["interview_id,cohort,file,interviewer"]
    for k in range(0, len(texts), per_interview):
        iid = f"B{k // per_interview:04d}"
        turns, t = [], 0.0
        for text in texts[k:k + per_interview]:
            turns.append({"speaker": "Interviewer", "start": t, "end": t + 3, "text": rng.choice(QUESTIONS)})
            turns.append({"speaker": "Customer", "start": t + 3, "end": t + 10, "text": text})
            t += 10
        (folder / "transcripts" / f"{iid}.json").write_text(json.dumps(turns), encoding="utf-8")
        rows.append(f"{iid},{rng.choice(['won', 'lost', 'churned'])},transcripts/{iid}.json,Interviewer")
    (folder / "interviews.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return len(texts)


def cpu_seconds() -> float:
    """User + system CPU time of this process so far."""
    t = os.times()
    return t.user + t.system


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()

    from winloss.pipeline import run
    from winloss.themes.embedding import Embedder

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["WINLOSS_CACHE_DIR"] = str(tmp / "cache")
        build_study(tmp / "study", args.n)
        t0 = time.perf_counter()
        embedder = Embedder(cache_dir=tmp / "cache" / "embeddings")
        embedder.model.encode(["warm up"])
        load_s = time.perf_counter() - t0

        t0, c0 = time.perf_counter(), cpu_seconds()
        first = run(tmp / "study", tmp / "out1", embedder=embedder)
        first_s, first_cpu = time.perf_counter() - t0, cpu_seconds() - c0
        t0, c0 = time.perf_counter(), cpu_seconds()
        rerun_embedder = Embedder(cache_dir=tmp / "cache" / "embeddings")
        second = run(tmp / "study", tmp / "out2", embedder=rerun_embedder)
        second_s, second_cpu = time.perf_counter() - t0, cpu_seconds() - c0
        stages = json.loads((first.out_dir / "run.json").read_text())["timings"]["stages_s"]
        rerun_stages = json.loads((second.out_dir / "run.json").read_text())["timings"]["stages_s"]

    result = {
        "statements": first.counts.statements, "interviews": first.counts.interviews_analysed,
        "themes": first.counts.themes, "unassigned": first.counts.unassigned,
        "model_load_s": round(load_s, 2), "first_run_s": round(first_s, 2), "rerun_s": round(second_s, 2),
        # the machine is shared: CPU seconds (all threads of this process) say what the run itself cost
        "first_run_cpu_s": round(first_cpu, 2), "rerun_cpu_s": round(second_cpu, 2),
        "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
        "first_run_stages_s": stages, "rerun_stages_s": rerun_stages,
        "rerun_embeddings_computed": rerun_embedder.computed, "cpu_count": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "benchmarks" / "results" / "pipeline.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
