"""Stance per statement on six answer keys: the demo's hand-labelled statements, real airline tweets, real Amazon
review sentences, and the Payloom, Pagerly, Ledgerlark and Wrenchline studies' keys (fixtures/*/stance_key.csv).

- fixtures/demo/stance_key.csv: 467 statements of the demo's planted themes, labelled by the people who wrote the
  scorer (odd-numbered interviews were read while cues were chosen; even-numbered ones never).
- fixtures/stance_eval/airline_tweets.csv: 237 tweets customers wrote to their airline, labelled by crowd workers
  (stance toward that airline); nobody on this project wrote or labelled them (fixtures/stance_eval/SOURCE.md).
- fixtures/stance_eval/amazon_review_sentences.csv: 3,708 sentences of 309 Amazon product reviews, each rated by 20
  people (VADER's ground truth); the stance is the raters' majority sign. Each review is read as one answer.

Only the stance stage runs (the demo's statements are read and embedded as `winloss run` does), so this takes
seconds once the embeddings are cached. Usage: python benchmarks/bench_stance.py [--out results/bench_stance.json]
"""
from __future__ import annotations

import argparse
import html
import json
import os
import re
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "fixtures" / "demo"
TWEETS = ROOT / "fixtures" / "stance_eval" / "airline_tweets.csv"
PAYLOOM = ROOT / "fixtures" / "payloom"
PAGERLY = ROOT / "fixtures" / "pagerly"
LEDGERLARK = ROOT / "fixtures" / "ledgerlark"
WRENCHLINE = ROOT / "fixtures" / "wrenchline"
QUILLSTACK = ROOT / "fixtures" / "quillstack"
TALLYBIRD = ROOT / "fixtures" / "tallybird"
REVIEWS = ROOT / "fixtures" / "stance_eval" / "amazon_review_sentences.csv"
STANCES = ("positive", "negative", "neutral")
# Each airline's handles and names as they are written in the tweets; the addressed one is "you", the rest rivals.
AIRLINES = {
    "Virgin America": ("@virginamerica", "virgin america", "virgin", "va", "vx"),
    "United": ("@united", "united", "ua"),
    "Southwest": ("@southwestair", "southwest", "swa", "sw"),
    "JetBlue": ("@jetblue", "jetblue", "jet blue", "jb"),
    "US Airways": ("@usairways", "us airways", "usair"),
    "American": ("@americanair", "american airlines", "aa"),
    "Delta": ("@delta", "delta"),
}


def scores(key: pd.DataFrame, predicted: list[str]) -> dict:
    """Agreement, per-class recall and the confusion (key rows x predicted columns)."""
    truth = key["stance"].tolist()
    agree = [t == p for t, p in zip(truth, predicted)]
    confusion = {t: {p: sum(1 for a, b in zip(truth, predicted) if a == t and b == p) for p in STANCES}
                 for t in STANCES}
    recall = {t: round(confusion[t][t] / max(1, sum(confusion[t].values())), 3) for t in STANCES}
    return {"statements": len(truth), "agreement": round(sum(agree) / max(1, len(agree)), 3),
            "macro_recall": round(sum(recall.values()) / 3, 3), "recall": recall,
            "confusion_key_rows_pred_cols": confusion}


def keyed_ids(key: pd.DataFrame, ids: list[str], texts: list[str]) -> list[str]:
    """The statement each demo key row is about now: in its interview, the statement sharing the longest run of
    characters with the key's text (at least 40 % of it), or "" if none does.

    The key names statements by id and text as the cutter first made them; a change to the cutter renumbers them
    (a split "X. But Y" becomes two statements), and matching by id would score the wrong rows. By text, a split
    key row is scored on the larger of its parts."""
    from difflib import SequenceMatcher

    by_interview: dict[str, list[tuple[str, str]]] = {}
    for i, t in zip(ids, texts):
        by_interview.setdefault(i.rsplit(".", 1)[0], []).append((i, t))
    out = []
    for sid, text in zip(key["statement_id"], key["text"]):
        candidates = by_interview.get(sid.rsplit(".", 1)[0], [])
        exact = [i for i, t in candidates if i == sid and t == text]
        if exact:
            out.append(exact[0])
            continue
        best, size = "", 0
        for i, t in candidates:
            m = SequenceMatcher(None, text, t, autojunk=False).find_longest_match(0, len(text), 0, len(t)).size
            if m > size:
                best, size = i, m
        out.append(best if size >= 0.4 * len(text) else "")
    return out


def demo_statements(embedder, study: Path = DEMO):
    """A study's statements, their own-text vectors and the CRM's competitors, as `winloss run` has them."""
    from winloss.interviews.study import read_manifest
    from winloss.pipeline import read_interviews
    from winloss.settings import load_settings
    from winloss.stages import competitor_names

    settings = load_settings(study)
    manifest = read_manifest(study)
    reading = read_interviews(sorted(manifest.interviews, key=lambda i: i.interview_id), settings, [], [])
    competitors = competitor_names(study, settings)
    return reading.statements, embedder.encode([s.text for s in reading.statements]), competitors


def substring_rows(key: pd.DataFrame, interviews: list[str], texts: list[str]) -> list[int]:
    """For each row of a key that names its statement by interview and a substring (`text_contains`, any case), the
    index of the first statement that holds it, or -1."""
    out = []
    for r in key.itertuples():
        needle = r.text_contains.lower()
        out.append(next((i for i, (iid, t) in enumerate(zip(interviews, texts))
                         if iid == r.interview_id and needle in t.lower()), -1))
    return out


def keyed_study(embedder, study: Path) -> dict:
    """A study's keyed statements (fixtures/payloom: 58, fixtures/pagerly: 93, fixtures/ledgerlark: 100, fixtures/wrenchline:
    135); each key
    row names its statement by interview and a substring. Agreement is also given on odd- and even-numbered interviews: Pagerly's odd ones may
    be read while rules are chosen, its even ones never (the held-out half)."""
    from winloss.settings import load_settings
    from winloss.themes.stance import statement_stances

    statements, vectors, competitors = demo_statements(embedder, study)
    calls = statement_stances(statements, vectors, embedder, competitors, ours=load_settings(study).our_names)
    key = pd.read_csv(study / "stance_key.csv", keep_default_na=False)
    rows = substring_rows(key, [s.interview_id for s in statements], [s.text for s in statements])
    predicted = [calls[i].stance if i >= 0 else "missing" for i in rows]
    odd = key["interview_id"].str.extract(r"(\d+)$")[0].astype(int) % 2 == 1
    halves = {name: scores(key[rows].reset_index(drop=True), [p for p, r in zip(predicted, rows) if r])["agreement"]
              for name, rows in (("odd_interviews", odd), ("even_interviews", ~odd))}
    return scores(key, predicted) | {"missing": predicted.count("missing")} | halves


def tweet_as_statement(text: str, airline: str) -> tuple[str, list[str]]:
    """A tweet as a customer's sentence to its vendor: the addressed handle removed (it is "you"), the other
    airlines named as competitors."""
    text = html.unescape(text)
    text = re.sub(r"https?://\S+", "", text)
    text = re.sub(re.escape(AIRLINES[airline][0]) + r"\b:?", "", text, flags=re.IGNORECASE)
    rivals = [name.lstrip("@") for a, names in AIRLINES.items() if a != airline for name in names]
    return " ".join(text.split()), rivals


def tweet_stances(key: pd.DataFrame, embedder) -> list[str]:
    """Each airline's tweets as one study: the other airlines are its competitors."""
    from winloss.models import Statement

    out = {}
    for airline, part in key.groupby("airline", sort=True):
        rows, rivals = [], set()
        for i, r in enumerate(part.itertuples()):
            text, names = tweet_as_statement(r.text, airline)
            rivals.update(names)
            rows.append(Statement(r.id, r.id, "won", "C", None, None, text, text, i))
        vectors = embedder.encode([s.text for s in rows])
        out.update(zip(part["id"], stance_of(rows, vectors, embedder, sorted(rivals))))
    return [out[i] for i in key["id"]]


def review_stances(key: pd.DataFrame, embedder) -> list:
    """Each review as one answer of one interview (its sentences are statements of one turn); no competitors."""
    from winloss.models import Statement

    rows = [Statement(r.id, f"R{r.review}", "won", "C", None, None, r.text, r.text, 0) for r in key.itertuples()]
    return stance_of(rows, embedder.encode(key["text"].tolist()), embedder, [])


def stance_of(statements, vectors, embedder, competitors) -> list:
    from winloss.themes.stance import statement_stances

    return statement_stances(statements, vectors, embedder, competitors)


def llm_share(key: pd.DataFrame, calls: list) -> dict:
    """How many keyed statements an LLM would read at the default [llm] stance_margin, and the agreement if it read
    every one of them right: the ceiling of the refinement, not a measurement of any model."""
    from winloss.llm.config import LlmSettings

    margin = LlmSettings().stance_margin
    unsure = [c.margin < margin for c in calls]
    right = [c.stance == t for c, t in zip(calls, key["stance"])]
    return {"stance_margin": margin, "share_read": round(sum(unsure) / len(calls), 3),
            "offline_agreement_on_those": round(sum(r for r, u in zip(right, unsure) if u) / max(1, sum(unsure)), 3),
            "ceiling": round(sum(r or u for r, u in zip(right, unsure)) / len(calls), 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "bench_stance.json"))
    args = ap.parse_args()
    from winloss.themes.embedding import Embedder

    embedder = Embedder(None)
    result = {}
    statements, vectors, competitors = demo_statements(embedder)
    t0 = time.perf_counter()
    by_id = dict(zip([s.statement_id for s in statements], stance_of(statements, vectors, embedder, competitors)))
    demo_s = time.perf_counter() - t0
    key = pd.read_csv(DEMO / "stance_key.csv")
    now = keyed_ids(key, [s.statement_id for s in statements], [s.text for s in statements])
    key, now = key[[bool(i) for i in now]].reset_index(drop=True), [i for i in now if i]
    keyed = [by_id[i] for i in now]
    demo = scores(key, [c.stance for c in keyed])
    tuned = key["statement_id"].str[4:7].astype(int) % 2 == 1
    for name, part in (("tuned_half", tuned), ("held_out_half", ~tuned)):
        demo[name] = scores(key[part], [c.stance for c, p in zip(keyed, part) if p])["agreement"]
    result["demo"] = demo | {"all_statements": len(statements), "stance_s": round(demo_s, 2),
                             "key_rows_matched_by_text": int(sum(a != b for a, b in zip(key["statement_id"], now))),
                             "llm_refinement": llm_share(key, keyed)}

    tweets = pd.read_csv(TWEETS, keep_default_na=False)
    calls = tweet_stances(tweets, embedder)
    result["airline_tweets"] = scores(tweets, [c.stance for c in calls]) | {"llm_refinement": llm_share(tweets, calls)}
    dev = tweets["id"].str[2:].astype(int) % 2 == 1
    for name, part in (("dev_half", dev), ("held_out_half", ~dev)):
        result["airline_tweets"][name] = scores(tweets[part], [c.stance for c, d in zip(calls, dev) if d == (
            name == "dev_half")])["agreement"]
    reviews = pd.read_csv(REVIEWS, keep_default_na=False, dtype={"id": str})
    calls = review_stances(reviews, embedder)
    result["amazon_reviews"] = scores(reviews, [c.stance for c in calls])
    result["payloom"] = keyed_study(embedder, PAYLOOM)
    result["pagerly"] = keyed_study(embedder, PAGERLY)
    result["ledgerlark"] = keyed_study(embedder, LEDGERLARK)
    result["wrenchline"] = keyed_study(embedder, WRENCHLINE)
    result["quillstack"] = keyed_study(embedder, QUILLSTACK)
    result["tallybird"] = keyed_study(embedder, TALLYBIRD)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    d, t = result["demo"], result["airline_tweets"]
    print(f"demo key: {d['agreement']:.1%} of {d['statements']} ({d['key_rows_matched_by_text']} rows found by text; tuned half {d['tuned_half']:.1%}, held-out half "
          f"{d['held_out_half']:.1%}; macro recall {d['macro_recall']:.1%}) in {d['stance_s']} s for "
          f"{d['all_statements']} statements")
    print(f"airline tweets: {t['agreement']:.1%} of {t['statements']} (dev half {t['dev_half']:.1%}, held-out half "
          f"{t['held_out_half']:.1%}; macro recall {t['macro_recall']:.1%}; "
          f"recall {t['recall']})")
    a = result["amazon_reviews"]
    print(f"amazon review sentences: {a['agreement']:.1%} of {a['statements']} (macro recall {a['macro_recall']:.1%}; "
          f"recall {a['recall']})")
    for name in ("payloom", "pagerly", "ledgerlark", "wrenchline", "quillstack", "tallybird"):
        p = result[name]
        print(f"{name} key: {p['agreement']:.1%} of {p['statements']} (odd interviews {p['odd_interviews']:.1%}, even "
              f"{p['even_interviews']:.1%}; {p['missing']} statements not found; recall {p['recall']})")
    for name, r in (("demo key", d), ("airline tweets", t)):
        x = r["llm_refinement"]
        print(f"{name}: an LLM would read {x['share_read']:.0%} (offline right on {x['offline_agreement_on_those']:.0%} "
              f"of those); if it read them all right: {x['ceiling']:.1%}")
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
