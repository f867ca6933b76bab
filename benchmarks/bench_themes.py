"""Theme-engine benchmark: winloss against BERTopic 0.17.4 (defaults) on the same embeddings.

    python benchmarks/bench_themes.py            # everything (about 10 minutes on 2 cores)
    python benchmarks/bench_themes.py --quick    # Banking77 only

Prints a table per data set and writes benchmarks/results/bench_themes.json. Embedding time is excluded from the
clustering comparison (both methods get the same cached vectors); it is measured separately in the 10,000
statement timing. BERTopic needs the optional extra: pip install -e '.[bench]'.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import adjusted_rand_score, v_measure_score  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from winloss.themes.clustering import find_themes, join_leftovers, statement_vectors  # noqa: E402
from winloss.themes.embedding import Embedder  # noqa: E402
from winloss.themes.ids import ids_of  # noqa: E402
from winloss.themes.labeling import label_themes  # noqa: E402
from winloss.themes.oversize import split_oversized  # noqa: E402
from winloss.themes.vectors import unit  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
SEEDS = (0, 1, 2)


# -- data -------------------------------------------------------------------------------------------------------
def banking77(split: str = "test") -> tuple[list[str], list[str]]:
    df = pd.read_csv(DATA / "banking77" / f"{split}.csv")
    return df["text"].tolist(), df["category"].tolist()


def clinc150() -> tuple[list[str], list[str], list[str]]:
    """The in-scope test split (4,500 queries): texts, intent labels, domain labels."""
    full = json.loads((DATA / "clinc150" / "data_full.json").read_text())
    domains = json.loads((DATA / "clinc150" / "domains.json").read_text())
    domain_of = {intent: d for d, intents in domains.items() for intent in intents}
    texts = [t for t, _ in full["test"]]
    intents = [i for _, i in full["test"]]
    return texts, intents, [domain_of[i] for i in intents]


# -- methods ----------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _embedder() -> Embedder:
    return Embedder()


def engine(x, groups, min_size, keys) -> np.ndarray:
    """The engine, then the refinements that need neither stances nor cohorts: an oversized theme re-clustered
    (themes/oversize.py) and the leftovers' last chance (clustering.join_leftovers). The stance and cohort splits
    and the merges would change nothing on these data sets (tests/test_refine.py)."""
    a = find_themes(x, groups=groups, min_size=min_size, keys=keys)  # no seed: nothing in it is random
    split = split_oversized(a.labels, x, groups, keys, min_size=int(a.params.get("min_size", min_size)))[0]
    return join_leftovers(unit(np.asarray(x, dtype=np.float32)), split)[0]


def run_winloss(texts, x, groups, min_size, seed):
    """The engine and its labels."""
    t0 = time.perf_counter()
    labels = engine(x, groups, min_size, texts)
    label_themes(texts, ids_of(labels), x, encode=_embedder().encode)  # label phrases are embedded
    return labels, time.perf_counter() - t0


def run_bertopic(texts, x, min_size, seed):
    """BERTopic's defaults; only UMAP's random_state is set, as its FAQ advises for reproducible runs."""
    from bertopic import BERTopic
    from umap import UMAP

    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", low_memory=False,
                      random_state=seed)
    t0 = time.perf_counter()
    topics, _ = BERTopic(umap_model=umap_model, min_topic_size=min_size).fit_transform(texts, embeddings=x)
    return np.asarray(topics), time.perf_counter() - t0


def warm_up_bertopic(x):
    """UMAP compiles its numba kernels on first use; compile them before anything is timed."""
    run_bertopic([f"doc {i}" for i in range(300)], x[:300], 10, 0)


# -- scoring ----------------------------------------------------------------------------------------------------
def scores(truth, labels) -> dict:
    """Unassigned rows count as one extra cluster, as in the ANCHORS.md figures."""
    labels = np.asarray(labels)
    return {"v_measure": round(float(v_measure_score(truth, labels)), 4),
            "ari": round(float(adjusted_rand_score(truth, labels)), 4),
            "unassigned": round(float((labels < 0).mean()), 4),
            "themes": int(len(set(labels.tolist()) - {-1}))}


def compare(name, texts, truth_sets, x, min_size, seeds, with_bertopic, groups=None) -> dict:
    groups = groups or [str(i) for i in range(len(texts))]
    out = {"data": name, "n": len(texts), "min_size": min_size, "methods": {}}
    methods = {"winloss": lambda s: run_winloss(texts, x, groups, min_size, s)}
    if with_bertopic:
        methods["bertopic"] = lambda s: run_bertopic(texts, x, min_size, s)
    for method, fn in methods.items():
        runs = []
        for seed in seeds:
            labels, secs = fn(seed)
            runs.append((labels, secs))
        per_seed = [{level: scores(truth, labels) for level, truth in truth_sets.items()} | {"wall_s": round(secs, 2)}
                    for labels, secs in runs]
        pairs = [adjusted_rand_score(runs[i][0], runs[j][0]) for i in range(len(runs)) for j in range(i + 1, len(runs))]
        summary = {}
        for level in truth_sets:
            for key in ("v_measure", "ari", "unassigned", "themes"):
                summary[f"{level}.{key}"] = round(float(np.mean([p[level][key] for p in per_seed])), 4)
        summary["wall_s"] = round(float(np.median([p["wall_s"] for p in per_seed])), 2)
        if pairs:
            summary["seed_ari_mean"] = round(float(np.mean(pairs)), 4)
            summary["seed_ari_min"] = round(float(np.min(pairs)), 4)
        out["methods"][method] = {"per_seed": per_seed, "summary": summary}
    return out


def print_table(result: dict) -> None:
    print(f"\n## {result['data']} (n={result['n']}, min theme size {result['min_size']})")
    methods = result["methods"]
    keys = list(next(iter(methods.values()))["summary"])
    print("| metric | " + " | ".join(methods) + " |")
    print("|---|" + "---|" * len(methods))
    for key in keys:
        print(f"| {key} | " + " | ".join(str(m["summary"].get(key, "")) for m in methods.values()) + " |")


# -- interview-shaped data --------------------------------------------------------------------------------------
def demo_study(embedder, with_bertopic) -> dict | None:
    """The demo study's planted themes are lists of interviews: score each planted theme by the best Jaccard
    overlap between its interviews and the interviews of one found theme."""
    study = ROOT / "fixtures" / "demo"
    if not (study / "planted.json").exists():
        return None
    from winloss.interviews.study import load_interviews
    from winloss.pipeline import read_interviews
    from winloss.settings import load_settings

    settings = load_settings(study, {})
    interviews, problems = load_interviews(study)
    statements = read_interviews(sorted(interviews, key=lambda i: i.interview_id), settings, problems, []).statements
    planted = {k: set(v["interviews"]) for k, v in json.loads((study / "planted.json").read_text()).items()
               if isinstance(v, dict) and "interviews" in v}
    texts = [s.text for s in statements]
    groups = [s.interview_id for s in statements]
    keys = [s.statement_id for s in statements]

    def match(labels):
        found = {t: {groups[i] for i in np.flatnonzero(labels == t)} for t in set(labels.tolist()) - {-1}}
        best = {}
        for name, members in planted.items():
            j = max((len(members & f) / len(members | f) for f in found.values()), default=0.0)
            best[name] = round(j, 3)
        return {"mean_best_jaccard": round(float(np.mean(list(best.values()))), 3), "per_theme": best,
                "themes": len(found), "unassigned": round(float((labels < 0).mean()), 3)}

    out = {"data": "fixtures/demo", "n_statements": len(statements), "n_interviews": len(set(groups)),
           "planted_themes": len(planted), "methods": {}}
    size = settings.theme_size(len(statements))
    for variant, vec in (("context", statement_vectors(embedder, statements)),
                         ("text only", embedder.encode(texts))):
        t0 = time.perf_counter()
        labels = engine(vec, groups, size, keys)
        out["methods"][f"winloss ({variant})"] = match(labels) | {"wall_s": round(time.perf_counter() - t0, 2)}
        if with_bertopic:  # BERTopic changes with the seed: every seed is reported
            for seed in SEEDS:
                labels, secs = run_bertopic(texts, vec, size, seed)
                out["methods"][f"bertopic ({variant}, seed {seed})"] = match(labels) | {"wall_s": round(secs, 2)}
    return out


def interview_shaped_banking(embedder, with_bertopic, n: int = 3000) -> dict:
    """Banking77 training utterances as answers in 60 interviews, each after a generic interviewer question
    (benchmarks/bench_pipeline.py builds the study), cut into statements by winloss itself; the truth of a
    statement is the intent of the utterance it was cut from."""
    from bench_pipeline import build_study

    from winloss.interviews.study import load_interviews
    from winloss.pipeline import read_interviews
    from winloss.settings import load_settings

    intent = {" ".join(t.split()): c for t, c in zip(*banking77("train"))}
    with tempfile.TemporaryDirectory() as tmp:
        study = Path(tmp) / "study"
        build_study(study, n)
        settings = load_settings(study, {})
        interviews, problems = load_interviews(study)
        statements = read_interviews(sorted(interviews, key=lambda i: i.interview_id), settings, problems, []).statements
    truth = {"intent": [intent[" ".join(s.turn_text.split())] for s in statements]}
    texts = [s.text for s in statements]
    groups = [s.interview_id for s in statements]
    out = {"data": f"banking77 train as interviews ({n} answers)", "n": len(statements), "min_size": 8,
           "methods": {}}
    for variant, x in (("context", statement_vectors(embedder, statements)), ("text only", embedder.encode(texts))):
        t0 = time.perf_counter()
        labels = engine(x, groups, 8, [s.statement_id for s in statements])
        out["methods"][f"winloss ({variant})"] = {"summary": scores(truth["intent"], labels)
                                                  | {"wall_s": round(time.perf_counter() - t0, 2)}}
        if with_bertopic:
            labels, secs = run_bertopic(texts, x, 8, 0)
            out["methods"][f"bertopic ({variant}, seed 0)"] = {"summary": scores(truth["intent"], labels)
                                                               | {"wall_s": round(secs, 2)}}
    return out


# -- scale ------------------------------------------------------------------------------------------------------
def scale_timing() -> dict:
    """10,003 Banking77 training utterances, text -> themes + labels, model load excluded; then a cached rerun."""
    import torch

    texts, _ = banking77("train")
    groups = [str(i) for i in range(len(texts))]
    out = {"n": len(texts), "torch_threads": torch.get_num_threads()}
    with tempfile.TemporaryDirectory() as cache:
        for run in ("cold", "rerun"):
            embedder = Embedder(cache_dir=Path(cache))
            _ = embedder.model if run == "cold" else None  # load the model outside the timing
            t0 = time.perf_counter()
            x = embedder.encode(texts)
            t_embed = time.perf_counter() - t0
            a = find_themes(x, groups=groups, min_size=10, keys=texts)
            t_themes = time.perf_counter() - t0 - t_embed
            label_themes(texts, ids_of(a.labels), x, encode=embedder.encode)
            total = time.perf_counter() - t0
            out[run] = {"embed_s": round(t_embed, 2), "themes_s": round(t_themes, 2),
                        "labels_s": round(total - t_embed - t_themes, 2), "total_s": round(total, 2),
                        "computed": embedder.computed, "themes": a.n_themes,
                        "unassigned": round(float((a.labels < 0).mean()), 4)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="Banking77 only")
    parser.add_argument("--scale-only", action="store_true", help="only the 10,000 statement timing")
    parser.add_argument("--no-bertopic", action="store_true", help="skip BERTopic")
    parser.add_argument("--out", type=Path, default=RESULTS / "bench_themes.json")
    args = parser.parse_args()
    with_bertopic = not args.no_bertopic

    embedder = Embedder()
    report: dict = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                "platform": platform.platform(),
                                # other work on a shared machine slows everything: say how busy it was
                                "load_average_at_start": [round(v, 2) for v in os.getloadavg()]},
                    "versions": {p: metadata.version(p) for p in ("hdbscan", "sentence-transformers", "torch")},
                    "embedding_model": embedder.model_id, "results": []}
    if with_bertopic:
        report["versions"].update({p: metadata.version(p) for p in ("bertopic", "umap-learn")})

    if args.scale_only:
        args.out = args.out.with_name("bench_themes_scale.json") if args.out == RESULTS / "bench_themes.json" \
            else args.out
    else:
        texts, truth = banking77()
        x = embedder.encode(texts)
        if with_bertopic:
            warm_up_bertopic(x)
        res = compare("banking77 test", texts, {"intent": truth}, x, 10, SEEDS, with_bertopic)
        print_table(res)
        report["results"].append(res)

    if not args.quick and not args.scale_only:
        texts, intents, domains = clinc150()
        x = embedder.encode(texts)
        for size in (10, 50):
            res = compare("clinc150 test (in scope)", texts, {"intent": intents, "domain": domains}, x, size,
                          (0,), with_bertopic)
            print_table(res)
            report["results"].append(res)
        demo = demo_study(embedder, with_bertopic)
        if demo:
            print(f"\n## demo study: {demo['n_statements']} statements, {demo['n_interviews']} interviews, "
                  f"{demo['planted_themes']} planted themes (mean best Jaccard of interview sets)")
            for method, m in demo["methods"].items():
                print(f"| {method} | jaccard {m['mean_best_jaccard']} | themes {m['themes']} | "
                      f"unassigned {m['unassigned']} |")
            report["demo"] = demo
        res = interview_shaped_banking(embedder, with_bertopic)
        print_table(res)
        report["results"].append(res)
    if not args.quick:
        scale = scale_timing()
        print(f"\n## 10,003 statements text -> themes + labels (model load excluded, {scale['torch_threads']} threads)")
        for run in ("cold", "rerun"):
            print(f"| {run} | " + " | ".join(f"{k} {v}" for k, v in scale[run].items()) + " |")
        report["scale"] = scale

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
