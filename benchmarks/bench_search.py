"""Search latency and quality on 20,000 real statements (Banking77 train+test plus CLINC150 train).

    .venv/bin/python benchmarks/bench_search.py [--queries 200] [--out benchmarks/results/bench_search.json]

Builds a real winloss.db (same writer as `winloss run`) from the utterances, grouped into 200 synthetic interviews
with their intent as the theme, then times `SearchIndex.search` (target: under 1 s per query once the model is
loaded) with and without filters, and measures paraphrase retrieval quality: precision@10 of hits that share the
query's Banking77 intent, for keyword-only, meaning-only and hybrid weights.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
DATA = ROOT.parent / "shared" / "data"
N_STATEMENTS = 20_000
PER_INTERVIEW = 100

from winloss.models import COHORTS, Interview  # noqa: E402
from winloss.outputs import search as search_module  # noqa: E402
from winloss.outputs.db import write_database  # noqa: E402
from winloss.outputs.search import SearchIndex, encode_query  # noqa: E402
from winloss.themes.embedding import Embedder  # noqa: E402


def corpus() -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for name in ("train.csv", "test.csv"):
        with (DATA / "banking77" / name).open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                texts.append(row["text"])
                labels.append("b77:" + row["category"])
    clinc = json.loads((DATA / "clinc150" / "data_full.json").read_text(encoding="utf-8"))["train"]
    for text, intent in clinc[: N_STATEMENTS - len(texts)]:
        texts.append(text)
        labels.append("clinc:" + intent)
    return texts, labels


def build_db(out: Path, texts: list[str], labels: list[str], vectors: np.ndarray, model_id: str) -> None:
    theme_of = {lab: f"T{i + 1:03d}" for i, lab in enumerate(sorted(set(labels)))}
    n = len(texts)
    iids = [f"B{i // PER_INTERVIEW:03d}" for i in range(n)]
    cohorts = [COHORTS[(i // PER_INTERVIEW) % 3] for i in range(n)]
    interviews = [Interview(f"B{k:03d}", COHORTS[k % 3], Path(f"transcripts/B{k:03d}.txt"), row=k + 2)
                  for k in range((n + PER_INTERVIEW - 1) // PER_INTERVIEW)]
    statements = pd.DataFrame({
        "statement_id": [f"{iid}.{i % PER_INTERVIEW + 1:03d}" for i, iid in enumerate(iids)], "interview_id": iids,
        "cohort": cohorts, "speaker": "Customer", "start": [float(i % PER_INTERVIEW) * 10 for i in range(n)],
        "end": [float(i % PER_INTERVIEW) * 10 + 8 for i in range(n)], "text": texts,
        "theme_id": [theme_of[lab] for lab in labels],
    })
    themes = pd.DataFrame({"theme_id": list(theme_of.values()), "label": list(theme_of.keys()), "keywords": "",
                           "n_statements": 0, "n_interviews": 0})
    cohorts_df = pd.DataFrame(columns=["theme_id", "cohort", "interviews_with_theme", "interviews_in_cohort",
                                       "share"])
    extra = {iv.interview_id: {"competitor": ["Clarion", "Northwind", ""][k % 3]} for k, iv in enumerate(interviews)}
    write_database(out, interviews, statements, themes, cohorts_df, vectors, model_id, extra)


def percentiles(values: list[float]) -> dict:
    ms = sorted(v * 1000 for v in values)
    return {"median_ms": round(statistics.median(ms), 2), "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 2),
            "max_ms": round(ms[-1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench_search.json")
    args = parser.parse_args()

    texts, labels = corpus()
    t0 = time.perf_counter()
    embedder = Embedder()
    embedder.model  # load now, so it is not timed with the queries
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    vectors = embedder.encode(texts)
    embed_s = time.perf_counter() - t0

    rng = np.random.default_rng(0)
    b77 = [i for i, lab in enumerate(labels) if lab.startswith("b77:")]
    queries = [int(i) for i in rng.choice(b77, size=args.queries, replace=False)]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        build_db(Path(tmp), texts, labels, vectors, embedder.model_id)
        write_s = time.perf_counter() - t0
        size_mb = (Path(tmp) / "winloss.db").stat().st_size / 2**20
        t0 = time.perf_counter()
        index = SearchIndex.open(Path(tmp) / "winloss.db")
        open_s = time.perf_counter() - t0

        # Query embedding as `winloss search` does it, with the loaded model; new text, so never from the cache.
        encode_times = []
        for n, i in enumerate(queries[:50]):
            t0 = time.perf_counter()
            encode_query(embedder, f"{texts[i]} (query {n} {time.time_ns()})")
            encode_times.append(time.perf_counter() - t0)

        timings = {}
        end_to_end = []
        for n, i in enumerate(queries[:50]):
            t0 = time.perf_counter()
            index.search(texts[i], encode_query(embedder, f"{texts[i]} #{n} {time.time_ns()}"), limit=10)
            end_to_end.append(time.perf_counter() - t0)
        timings["query embedding + search"] = percentiles(end_to_end)
        for name, filters in {"no filter": {}, "cohort=lost": {"cohort": "lost"},
                              "theme + cohort": {"cohort": "won", "theme": "T001"},
                              "competitor=Clarion": {"competitor": "Clarion"}}.items():
            times = []
            for i in queries:
                t0 = time.perf_counter()
                index.search(texts[i], vectors[i], limit=10, **filters)
                times.append(time.perf_counter() - t0)
            timings[name] = percentiles(times)

        quality = {}
        for weight in (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
            search_module.SEMANTIC_WEIGHT = weight
            precisions = []
            for i in queries:
                hits = index.search(texts[i], vectors[i], limit=11)
                same = [h for h in hits if h.statement_id != index.rows[i][1]][:10]
                precisions.append(sum(index.themes[h.theme_id] == labels[i] for h in same) / 10)
            quality[f"{weight:.1f}"] = round(float(np.mean(precisions)), 4)

    result = {
        "statements": len(texts), "queries": len(queries), "model_load_s": round(load_s, 2),
        "embed_corpus_s": round(embed_s, 1), "write_db_s": round(write_s, 2), "db_size_mb": round(size_mb, 1),
        "open_index_s": round(open_s, 3), "query_embedding": percentiles(encode_times), "search": timings,
        "precision_at_10_by_semantic_weight": quality,
        "note": "precision@10: share of the 10 best hits (query itself excluded) with the query's Banking77 intent; "
                "semantic weight 0 = keyword (BM25) only, 1 = embedding only",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
