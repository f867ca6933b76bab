"""What a model trained on public labelled sentiment adds to the shipped stance scorer (issue 12), measured.

A logistic regression on the bundled MiniLM vectors of the odd-numbered Amazon reviews' sentences
(fixtures/stance_eval/amazon_review_sentences.csv, 20 raters each) is the candidate "model that ships its weights";
it and a class-bias calibration fitted on the same sentences are scored on data none of them saw: the even reviews,
the airline tweets and both halves of the demo key. Nothing here is shipped; docs/themes.md records the figures and
why. Usage: python benchmarks/bench_stance_heads.py [--out results/bench_stance_heads.json]
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import pandas as pd
from bench_stance import (
    DEMO,
    REVIEWS,
    ROOT,
    TWEETS,
    demo_statements,
    tweet_as_statement,
)

HEAD_C = (0.3, 1.0)  # regularisation of the head
BLEND = (0.0, 0.15, 0.3, 0.5, 1.0)  # weight of the head's log-probabilities added to the shipped log-odds
BIAS_GRID = np.arange(-1.0, 1.01, 0.25)  # class offsets (positive, negative; neutral fixed at 0) tried


def shipped_log_odds(statements, vectors, embedder, competitors) -> np.ndarray:
    """The shipped scorer's log-odds (examples, lexicon, question, answer), before the argmax."""
    from winloss.themes.stance import stance_log_odds

    return stance_log_odds(statements, vectors, embedder, competitors)[0]


def answer_sets(embedder) -> dict[str, dict]:
    """Per answer key: vectors, the shipped log-odds, the truth and which rows may be used to choose (odd)."""
    from winloss.models import Statement

    sets = {}
    statements, vectors, competitors = demo_statements(embedder)
    key = pd.read_csv(DEMO / "stance_key.csv")
    at = {s.statement_id: i for i, s in enumerate(statements)}
    rows = [at[s_id] for s_id in key["statement_id"]]
    sets["demo"] = {"vec": vectors[rows], "z": shipped_log_odds(statements, vectors, embedder, competitors)[rows],
                    "y": key["stance"].to_numpy(), "odd": (key["statement_id"].str[4:7].astype(int) % 2 == 1).to_numpy()}
    tweets = pd.read_csv(TWEETS, keep_default_na=False)
    vec, z = {}, {}
    for airline, part in tweets.groupby("airline", sort=True):
        read = [tweet_as_statement(t, airline) for t in part["text"]]
        rows = [Statement(i, i, "won", "C", None, None, t, t, n) for n, (i, (t, _)) in enumerate(zip(part["id"], read))]
        v = embedder.encode([s.text for s in rows])
        rivals = sorted({name for _, names in read for name in names})
        vec.update(zip(part["id"], v))
        z.update(zip(part["id"], shipped_log_odds(rows, v, embedder, rivals)))
    sets["tweets"] = {"vec": np.array([vec[i] for i in tweets["id"]]), "z": np.array([z[i] for i in tweets["id"]]),
                      "y": tweets["stance"].to_numpy(), "odd": (tweets["id"].str[2:].astype(int) % 2 == 1).to_numpy()}
    reviews = pd.read_csv(REVIEWS, keep_default_na=False, dtype={"id": str})
    rows = [Statement(r.id, f"R{r.review}", "won", "C", None, None, r.text, r.text, 0) for r in reviews.itertuples()]
    v = embedder.encode(reviews["text"].tolist())
    sets["reviews"] = {"vec": v, "z": shipped_log_odds(rows, v, embedder, []), "y": reviews["stance"].to_numpy(),
                       "odd": (reviews["review"].astype(int) % 2 == 1).to_numpy()}
    return sets


def agreement(z: np.ndarray, truth: np.ndarray, rows: np.ndarray) -> float:
    from winloss.themes.stance import STANCES

    return round(float((np.array(STANCES)[z[rows].argmax(axis=1)] == truth[rows]).mean()), 3)


def halves(sets: dict, z_of) -> dict:
    return {name: {"odd": agreement(z_of(name, s), s["y"], s["odd"]), "even": agreement(z_of(name, s), s["y"], ~s["odd"])}
            for name, s in sets.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "bench_stance_heads.json"))
    args = ap.parse_args()
    from sklearn.linear_model import LogisticRegression

    from winloss.themes.embedding import Embedder
    from winloss.themes.stance import STANCES

    sets = answer_sets(Embedder(None))
    train = sets["reviews"]
    result = {"shipped": halves(sets, lambda name, s: s["z"])}
    for c in HEAD_C:
        head = LogisticRegression(C=c, max_iter=5000).fit(train["vec"][train["odd"]], train["y"][train["odd"]])
        order = [list(head.classes_).index(k) for k in STANCES]
        logp = {name: np.log(head.predict_proba(s["vec"])[:, order] + 1e-9) for name, s in sets.items()}
        for blend in BLEND:
            def z_of(name, s, blend=blend, logp=logp):
                return logp[name] if blend == 0 else s["z"] + blend * logp[name]
            result[f"head C={c} " + ("alone" if blend == 0 else f"+ shipped x{blend}")] = halves(sets, z_of)
    odd = train["odd"]
    bias = max((np.array([p, n, 0.0]) for p, n in itertools.product(BIAS_GRID, BIAS_GRID)),
               key=lambda b: (agreement(train["z"] + b, train["y"], odd), -float(np.abs(b).sum())))
    result[f"shipped + class bias {bias.tolist()} (fitted on odd reviews)"] = halves(sets, lambda n, s: s["z"] + bias)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"{'method':62} " + " ".join(f"{n + ' ' + h:>12}" for n in sets for h in ("odd", "even")))
    for method, r in result.items():
        print(f"{method:62} " + " ".join(f"{r[n][h]:>12.1%}" for n in sets for h in ("odd", "even")))
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
