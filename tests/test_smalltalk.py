import csv

import pandas as pd

from winloss.themes.smalltalk import small_talk_themes


def interview(iid, themes):
    return [{"interview_id": iid, "statement_id": f"{iid}.{k:03d}", "theme_id": t} for k, t in enumerate(themes)]


def test_a_theme_at_the_edges_of_long_interviews_is_small_talk():
    rows = []
    for iid in ("A", "B", "C"):
        # 20 statements: chatter in the first two and the last one, the substance in between.
        rows += interview(iid, ["hello", "hello"] + ["pricing"] * 8 + ["sync"] * 9 + ["hello"])
    assert small_talk_themes(pd.DataFrame(rows)) == {"hello"}


def test_short_interviews_still_open_and_close_with_small_talk():
    rows = []
    for k, iid in enumerate("ABCDEFGH"):
        # 4 to 8 statements: a greeting first, a goodbye last (an 8-statement interview's last sits at 7/8 < 90 %).
        rows += interview(iid, ["hello"] + ["pricing", "sync", "support", "pricing", "sync", "support"][:2 + k % 5]
                          + ["bye"])
    assert small_talk_themes(pd.DataFrame(rows)) == {"hello", "bye"}


def test_the_first_question_of_a_guide_opens_every_interview_but_is_no_small_talk():
    """Short interviews that all answer the same first question open with it; only what reads like a pleasantry
    may be small talk."""
    rows = []
    for k, iid in enumerate("ABCDEFGH"):
        rows += interview(iid, ["pricing"] + ["sync", "support", "onboarding", "sync", "support"][:2 + k % 4] + ["bye"])
    assert small_talk_themes(pd.DataFrame(rows)) == {"pricing", "bye"}  # position alone
    likeness = {"pricing": 0.14, "bye": 0.45, "sync": 0.2, "support": 0.2, "onboarding": 0.2}
    assert small_talk_themes(pd.DataFrame(rows), likeness) == {"bye"}


def test_pleasantries_read_as_such_and_business_does_not():
    """The real model: a greeting theme sits above CHAT_LIKENESS, a price complaint far below."""
    import numpy as np

    from winloss.themes.embedding import Embedder
    from winloss.themes.smalltalk import CHAT_LIKENESS, PLEASANTRIES, chat_likeness

    said = ["Morning! Sorry, the dog was barking.", "Have a good one, take care.", "Thanks so much for your time.",
            "The price went up forty percent at renewal.", "Your connector kept dropping our custom fields.",
            "Finance wouldn't approve the per-seat quote."]
    e = Embedder()
    likeness = chat_likeness(e.encode(said), ["chat"] * 3 + ["business"] * 3, e.encode(list(PLEASANTRIES)))
    assert likeness["chat"] >= CHAT_LIKENESS > likeness["business"], likeness
    assert set(likeness) == {"chat", "business"} and all(np.isfinite(list(likeness.values())))


def test_sitting_at_the_edges_by_chance_is_not_small_talk():
    # Three interviews of four statements open with the same answer: two edges in four, so three of three is chance.
    rows = []
    for iid in "ABC":
        rows += interview(iid, ["why we bought", "pricing", "sync", "support"])
    rows += interview("D", ["pricing", "sync", "support", "pricing", "sync"])
    assert small_talk_themes(pd.DataFrame(rows)) == set()


def test_interviews_of_one_or_two_statements_are_all_edge_and_prove_nothing():
    rows = []
    for iid in "ABCDEFGHIJ":
        rows += interview(iid, ["pricing", "sync"])
    assert small_talk_themes(pd.DataFrame(rows)) == set()


def test_a_theme_in_the_middle_of_short_interviews_is_a_finding():
    rows = []
    for iid in "ABCDEFGH":
        rows += interview(iid, ["hello", "pricing", "pricing", "sync", "bye"])
    assert small_talk_themes(pd.DataFrame(rows)) == {"hello", "bye"}


def test_demo_small_talk_never_reaches_the_findings(demo_run):
    out = demo_run.out_dir
    themes = pd.read_csv(out / "themes.csv", keep_default_na=False)
    chatter = set(themes.loc[themes["kind"] == "small talk", "theme_id"])
    assert chatter, "the demo's opening and closing chatter should be recognised"
    assert set(themes["kind"]) == {"finding", "small talk"}
    report = (out / "report.md").read_text(encoding="utf-8")
    with open(out / "quotes.csv", encoding="utf-8", newline="") as fh:
        chatter_quotes = [r["quote"] for r in csv.DictReader(fh) if r["theme_id"] in chatter]
    for tid in chatter:
        assert f"| {tid} " not in report and f"({tid})" not in report
    for quote in chatter_quotes:
        assert f'"{quote}"' not in report
