"""Offline theme labels on data nobody here wrote or named: each gold intent of Banking77 and CLINC150 is one theme.

Every intent's utterances become one theme; winloss labels all themes together (each against the others, as in a
study) and each label is scored by its MiniLM cosine to the intent's own name ("lost_or_stolen_card" -> "lost or
stolen card"). Two baselines get the same score: the theme's three top keywords joined ("card, arrive, new", the
labels winloss printed before issue 12) and its most central statement (what a reader would otherwise quote).

Which set is which: the label rules and weights are chosen on `banking77-dev` (the first 40 training utterances of
each intent); `banking77-test` (the 3,080 test utterances) and `clinc150-test` (4,500 in-scope test queries) are held
out and are the figures that count. The demo's planted names are scored by bench_findings.py.

`banking77-test-interviews` is the test set shaped like interviews (answers of 50 per interview, cut into statements
by winloss, so a phrase's interviews count), also held out.

    python benchmarks/bench_labels.py [--sets banking77-test clinc150-test] [--out benchmarks/results/labels.json]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from measure import DATA
from measure import load as load_average

from winloss.themes.embedding import Embedder
from winloss.themes.ids import ids_of, theme_id
from winloss.themes.labeling import label_themes

SETS = ("banking77-dev", "banking77-test", "banking77-test-interviews", "clinc150-test")
PER_INTENT_DEV = 40


def interviews(source: Path) -> tuple[list[str], list[str], list[str]]:
    """The utterances as answers in interviews of 50, each after a generic question (bench_pipeline.build_study),
    cut into statements by winloss: (statement texts, intent of the answer each was cut from, interview)."""
    import tempfile

    from bench_pipeline import build_study

    from winloss.interviews.study import load_interviews
    from winloss.pipeline import read_interviews
    from winloss.settings import load_settings

    said = pd.read_csv(source)
    intent = {" ".join(t.split()): c for t, c in zip(said["text"], said["category"])}
    with tempfile.TemporaryDirectory() as tmp:
        study = Path(tmp) / "study"
        build_study(study, len(said), source=source)
        interviews_, problems = load_interviews(study)
        statements = read_interviews(sorted(interviews_, key=lambda i: i.interview_id), load_settings(study, {}),
                                     problems, []).statements
    return ([s.text for s in statements], [intent[" ".join(s.turn_text.split())] for s in statements],
            [s.interview_id for s in statements])


def load_set(name: str) -> tuple[list[str], list[str], list[str] | None]:
    """(texts, intent per text, interview per text or None) of one set, in file order."""
    if name.endswith("interviews"):
        return interviews(DATA / "banking77" / "test.csv")
    if name.startswith("banking77"):
        split = "train" if name.endswith("dev") else "test"
        df = pd.read_csv(DATA / "banking77" / f"{split}.csv")
        if split == "train":
            df = df.groupby("category", sort=False).head(PER_INTENT_DEV)
        return df["text"].tolist(), df["category"].tolist(), None
    full = json.loads((DATA / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    return [t for t, _ in full["test"]], [i for _, i in full["test"]], None


def score_set(name: str, embedder: Embedder, show: int) -> dict:
    texts, intents, groups = load_set(name)
    names = sorted(set(intents))
    theme_of = ids_of([names.index(i) for i in intents])
    x = embedder.encode(texts)
    t0 = time.perf_counter()
    labels = label_themes(texts, theme_of, x, encode=embedder.encode, groups=groups)
    secs = time.perf_counter() - t0
    gold = {theme_id(k + 1): n for k, n in enumerate(names)}
    rows = sorted(labels, key=lambda t: gold[t])
    methods = {
        "winloss label": [labels[t].label for t in rows],
        "three keywords": [", ".join(labels[t].keywords[:3]) for t in rows],
        "most central statement": [texts[labels[t].central[0]] for t in rows],
    }
    truth = embedder.encode([gold[t].replace("_", " ") for t in rows])
    sims = {m: (embedder.encode(v) * truth).sum(axis=1) for m, v in methods.items()}
    lengths = [len(v.split()) for v in methods["winloss label"]]
    out = {"set": name, "statements": len(texts), "themes": len(rows), "label_s": round(secs, 2),
           "mean_similarity": {m: round(float(s.mean()), 3) for m, s in sims.items()},
           "label_words": {"min": min(lengths), "max": max(lengths), "mean": round(float(np.mean(lengths)), 2)},
           "unique": len({v.lower() for v in methods["winloss label"]}) == len(rows),
           "examples": [{"intent": gold[t], **{m: methods[m][k] for m in methods},
                         "similarity": round(float(sims["winloss label"][k]), 3)}
                        for k, t in enumerate(rows) if k % max(1, len(rows) // show) == 0][:show]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    ap.add_argument("--show", type=int, default=10, help="labels listed per set")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "labels.json"))
    args = ap.parse_args()
    if not DATA.exists():
        sys.exit(f"needs the shared data at {DATA}")
    embedder = Embedder()
    result = {"load_average_at_start": load_average(), "sets": [score_set(s, embedder, args.show) for s in args.sets]}
    result["load_average_at_end"] = load_average()
    for s in result["sets"]:
        m = s["mean_similarity"]
        print(f"{s['set']:26} {s['themes']:3} themes  label {m['winloss label']:.3f}  keywords "
              f"{m['three keywords']:.3f}  central {m['most central statement']:.3f}  ({s['label_s']} s, "
              f"{s['label_words']['mean']} words, unique {s['unique']})")
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"load average {result['load_average_at_start']} .. {result['load_average_at_end']} -> {args.out}")


if __name__ == "__main__":
    main()
