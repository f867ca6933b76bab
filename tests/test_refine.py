"""Split and merge after the engine (themes/refine.py): the rules on crafted vectors and texts, the codebook's
themes left alone, determinism."""
from dataclasses import replace

import numpy as np
import pytest

from winloss.themes.refine import (
    FLIP,
    MERGE_COSINE,
    SAME_STORY,
    SPLIT_SILHOUETTE,
    Story,
    refine_themes,
    silhouette,
    two_means,
)
from winloss.themes.vectors import unit

DIM = 32


def blob(rng, direction: int, n: int, spread: float = 0.15, other: int | None = None, mix: float = 0.0):
    """n unit vectors around axis `direction` (optionally tilted towards axis `other`)."""
    centre = np.zeros(DIM)
    centre[direction] = 1.0
    if other is not None:
        centre[other] = mix
    return unit(centre + spread * rng.standard_normal((n, DIM)))


def story(own, texts, stances, cohorts, groups):
    keys = [f"S{i:03d}" for i in range(len(own))]
    return Story(keys, texts, own, stances, cohorts, groups)


def interviews(n: int, k: int, prefix: str = "I") -> list[str]:
    return [f"{prefix}{i % k}" for i in range(n)]


def test_two_subtopics_told_by_different_cohorts_are_split_and_the_move_recorded():
    rng = np.random.default_rng(0)
    own = np.vstack([blob(rng, 0, 12), blob(rng, 1, 12)])
    labels = np.zeros(24, dtype=np.int64)
    s = story(own, ["price was high"] * 12 + ["support was slow"] * 12, ["neutral"] * 24,
              ["lost"] * 12 + ["churned"] * 12, interviews(12, 6, "L") + interviews(12, 6, "C"))
    out = refine_themes(labels, own, s, min_size=8)
    assert sorted(np.bincount(out.labels)) == [12, 12]
    assert len(set(out.labels[:12])) == 1 and len(set(out.labels[12:])) == 1
    (move,) = out.moves
    assert move.kind == "split" and move.why == "two sub-topics" and move.figures["silhouette"] >= SPLIT_SILHOUETTE
    record = out.record()
    assert record[0]["from"] == ["engine 1"] and sorted(record[0]["into"]) == ["T01", "T02"]


def test_two_subtopics_of_one_story_are_left_to_the_engine():
    rng = np.random.default_rng(0)
    own = np.vstack([blob(rng, 0, 12), blob(rng, 1, 12)])
    s = story(own, ["price was high"] * 12 + ["price per seat"] * 12, ["negative"] * 24, ["lost"] * 24,
              interviews(24, 6))
    assert silhouette(own, two_means(own)) >= SPLIT_SILHOUETTE
    assert refine_themes(np.zeros(24, dtype=np.int64), own, s, min_size=8).moves == ()


def test_one_subject_is_not_split():
    rng = np.random.default_rng(1)
    own = blob(rng, 0, 30, spread=0.3)
    s = story(own, ["forecast"] * 30, ["neutral"] * 30, ["won"] * 30, interviews(30, 8))
    out = refine_themes(np.zeros(30, dtype=np.int64), own, s, min_size=8)
    assert out.moves == () and (out.labels == 0).all()
    assert silhouette(own, two_means(own)) < SPLIT_SILHOUETTE


def test_a_cut_whose_part_is_too_small_or_from_one_interview_is_not_made():
    rng = np.random.default_rng(2)
    own = np.vstack([blob(rng, 0, 20), blob(rng, 1, 6)])  # 6 < min size 8
    s = story(own, ["x"] * 26, ["positive"] * 20 + ["negative"] * 6, ["won"] * 26, interviews(26, 5))
    assert refine_themes(np.zeros(26, dtype=np.int64), own, s, min_size=8).moves == ()
    own = np.vstack([blob(rng, 0, 12), blob(rng, 1, 12)])
    one_voice = interviews(12, 4) + ["C9"] * 12  # the second sub-topic is one person repeating themselves
    s = story(own, ["x"] * 24, ["neutral"] * 24, ["won"] * 12 + ["churned"] * 12, one_voice)
    assert refine_themes(np.zeros(24, dtype=np.int64), own, s, min_size=8).moves == ()


def test_opposite_stances_that_are_also_two_subjects_are_split():
    """"Your forecast earned the CFO's trust" (won, positive) against "the competitor's AI forecasting was better"
    (lost, negative): one shared word, two stories."""
    rng = np.random.default_rng(3)
    own = np.vstack([blob(rng, 0, 14, other=2, mix=0.5), blob(rng, 1, 14, other=2, mix=0.5)])
    stances = ["positive"] * 12 + ["neutral"] * 2 + ["negative"] * 12 + ["neutral"] * 2
    s = story(own, ["forecast"] * 28, stances, ["won"] * 14 + ["lost"] * 14, interviews(28, 7))
    out = refine_themes(np.zeros(28, dtype=np.int64), own, s, min_size=8)
    (move,) = out.moves
    assert move.kind == "split" and move.why == "opposite stances"
    assert len(set(out.labels[:14])) == 1 and len(set(out.labels[14:])) == 1 and out.labels[0] != out.labels[-1]


def test_praise_and_criticism_of_one_subject_stay_one_theme():
    """A flip ("our CSM answered the same day" / "after our CSM left, tickets sat"): stance differs, words do not;
    drivers count it by stance, so the theme is kept whole."""
    rng = np.random.default_rng(4)
    own = blob(rng, 0, 30, spread=0.3)
    stances = ["positive", "negative"] * 15
    s = story(own, ["support"] * 30, stances, ["won", "churned"] * 15, interviews(30, 10))
    out = refine_themes(np.zeros(30, dtype=np.int64), own, s, min_size=8)
    assert out.moves == ()


BUDGET_A = ["the budget freeze this year stopped the deal", "our ceo froze the budget for the year",
            "budget freeze for the rest of the year", "no new budget this year after the freeze"]
BUDGET_B = ["we had to wait for the next budget year", "the budget year starts in february",
            "budget planning for the year was done", "the new budget year pushed it out"]
SUPPORT = ["support answered the ticket the same day", "the support team fixed the ticket fast",
           "every ticket got an answer from support", "support called back about the ticket"]


def two_themes(rng, texts_a, texts_b, n=12, cos=0.7):
    """Two themes whose centres have cosine about `cos` (context vectors), each n statements."""
    a = blob(rng, 0, n, spread=0.05)
    b = blob(rng, 0, n, spread=0.05, other=1, mix=np.tan(np.arccos(cos)))
    texts = [texts_a[i % len(texts_a)] for i in range(n)] + [texts_b[i % len(texts_b)] for i in range(n)]
    return np.vstack([a, b]), texts, np.array([0] * n + [1] * n, dtype=np.int64)


def with_won_interviews(rng, x, texts, labels, stances, cohorts, groups, n=8):
    """Unassigned statements from won interviews: the study has another cohort, so a theme can lean to one."""
    extra = blob(rng, 5, n)
    return (np.vstack([x, extra]), texts + ["small talk about the weather"] * n,
            np.concatenate([labels, np.full(n, -1)]), stances + ["neutral"] * n, cohorts + ["won"] * n,
            groups + interviews(n, 4, "W"))


@pytest.mark.parametrize("cohorts_b, stances_b, texts_b, fixed, merged", [
    ("lost", "negative", BUDGET_B, frozenset(), True),  # same story: close, shared words, same stance and cohort
    ("lost", "neutral", BUDGET_B, frozenset(), True),  # neutral takes no side: it does not oppose negative
    ("lost", "positive", BUDGET_B, frozenset(), False),  # opposite stance
    ("lost", "one positive", BUDGET_B, frozenset(), True),  # one positive among neutral ones takes no side
    ("churned", "negative", BUDGET_B, frozenset(), False),  # another cohort tells it
    ("lost", "negative", SUPPORT, frozenset(), False),  # no shared key phrases
    ("lost", "negative", BUDGET_B, frozenset({1}), False),  # a codebook theme is never merged
])
def test_sibling_merge_rule(cohorts_b, stances_b, texts_b, fixed, merged):
    rng = np.random.default_rng(5)
    x, texts, labels = two_themes(rng, BUDGET_A, texts_b)
    n = len(x) // 2
    x, texts, labels, stances, cohorts, groups = with_won_interviews(
        rng, x, texts, labels, ["negative"] * n + (["positive"] + ["neutral"] * (n - 1) if stances_b == "one positive"
                                                   else [stances_b] * n), ["lost"] * n + [cohorts_b] * n,
        interviews(n, 4, "L") + interviews(n, 4, "L" if cohorts_b == "lost" else "C"))
    out = refine_themes(labels, x, story(x, texts, stances, cohorts, groups), min_size=8, fixed=fixed)
    assert (len(set(out.labels[labels >= 0])) == 1) is merged
    if merged:
        (move,) = out.moves
        assert move.kind == "merge" and move.figures["centroid_cosine"] >= MERGE_COSINE
        assert {"budget", "year"} <= set(move.figures["shared_words"]) and move.figures["cohort"] == "lost"
        assert out.record()[0]["into"] == ["T01"]


PRAISE = ["the salesforce connector mapped our custom fields", "salesforce was connected by day two",
          "our admin set up salesforce in an afternoon", "salesforce stages came over without a fight",
          "salesforce fields matched on the first try", "we had salesforce live before the kickoff"]
BROKE = ["the salesforce sync broke again", "salesforce deals went stale overnight",
         "we found duplicated deals from salesforce", "salesforce stopped updating the pipeline",
         "nobody noticed salesforce had failed", "salesforce numbers were wrong at the renewal"]
RIVAL = ["clarion said salesforce worked out of the box", "clarion showed their salesforce setup",
         "clarion had salesforce running in the demo", "the clarion rep walked us through salesforce",
         "clarion mapped salesforce for us", "clarion made salesforce look simple"]
PRICING = ["the price per seat was too high", "seats for every viewer cost too much", "the quote was per rep",
           "finance balked at the seat count", "per seat pricing scared us", "the annual price went up"]


def flip_study(rng, texts_b, stance_b="negative", cohort_b="churned", cos=0.7):
    """Won customers praise a subject (theme 0), another cohort's interviews criticise it (theme 1), and a third,
    distant theme (pricing, lost) gives c-TF-IDF something to compare with."""
    x, texts, labels = two_themes(rng, PRAISE, texts_b, cos=cos)
    third = blob(rng, 7, 12, spread=0.05)
    x = np.vstack([x, third])
    texts = texts + [PRICING[i % len(PRICING)] for i in range(12)]
    labels = np.concatenate([labels, np.full(12, 2)])
    stances = ["positive"] * 12 + [stance_b] * 12 + ["negative"] * 12
    cohorts = ["won"] * 12 + [cohort_b] * 12 + ["lost"] * 12
    groups = interviews(12, 4, "W") + interviews(12, 4, cohort_b[0].upper()) + interviews(12, 4, "L")
    return x, texts, labels, story(x, texts, stances, cohorts, groups)


def test_praise_and_criticism_of_one_subject_in_two_cohorts_are_one_theme():
    """The issue's flip: "the connector mapped our fields" (won) and "the sync broke" (churned) are one theme whose
    stance flips between cohorts, not two themes."""
    x, _, labels, s = flip_study(np.random.default_rng(10), BROKE)
    out = refine_themes(labels, x, s, min_size=8)
    assert len(set(out.labels[:24])) == 1 and out.labels[24] != out.labels[0]
    (move,) = out.moves
    assert move.kind == "merge" and move.why == FLIP and "salesforce" in move.figures["shared_words"]
    assert move.figures["stance_by_cohort"] == {"won": "positive", "churned": "negative"}


@pytest.mark.parametrize("texts_b, stance_b, cohort_b, cos, why", [
    (RIVAL, "negative", "lost", 0.7, "a competitor's product is another subject, though the word is shared"),
    (PRICING, "negative", "churned", 0.7, "no shared subject word"),
    (BROKE, "negative", "churned", 0.3, "centres far apart"),
    (BROKE, "positive", "churned", 0.7, "same stance, different cohorts: two stories, not a flip"),
])
def test_what_is_not_a_flip_stays_two_themes(texts_b, stance_b, cohort_b, cos, why):
    x, _, labels, s = flip_study(np.random.default_rng(10), texts_b, stance_b, cohort_b, cos)
    out = refine_themes(labels, x, s if texts_b is not RIVAL else replace(s, competitors=("Clarion",)), min_size=8)
    assert out.moves == (), why


def test_a_theme_the_split_cut_in_two_is_not_merged_back_as_a_flip():
    """Two clusters of words (silhouette well above 0.25), praised by won and criticised by churned, sharing their
    subject word: the split's evidence (two clusters) is the stronger; the flip merge joins only themes the engine
    made separately, so the run never records a split and its undoing."""
    rng = np.random.default_rng(10)
    x, _, labels, s = flip_study(rng, BROKE)
    labels = np.where(labels == 1, 0, labels)  # the engine made the praise and the complaints one theme
    out = refine_themes(labels, x, s, min_size=8)
    assert [m.kind for m in out.moves] == ["split"]
    assert out.labels[0] != out.labels[12]


def test_a_flip_needs_two_cohorts():
    """Banking77-like: one cohort, so no theme leans to one and no opposite-stance pair is merged."""
    x, texts, labels, s = flip_study(np.random.default_rng(10), BROKE)
    one = replace(s, cohorts=["all"] * len(texts))
    assert refine_themes(labels, x, one, min_size=8).moves == ()


def test_without_cohorts_nothing_is_merged():
    """Banking77-like data: one cohort, no stance. Close themes with shared words are still different intents."""
    rng = np.random.default_rng(6)
    x, texts, labels = two_themes(rng, BUDGET_A, BUDGET_B)
    s = story(x, texts, ["neutral"] * 24, ["all"] * 24, interviews(24, 6))
    assert refine_themes(labels, x, s, min_size=8).moves == ()


def test_distant_themes_are_not_merged():
    rng = np.random.default_rng(6)
    x, texts, labels = two_themes(rng, BUDGET_A, BUDGET_B, cos=0.3)
    x, texts, labels, stances, cohorts, groups = with_won_interviews(
        rng, x, texts, labels, ["negative"] * 24, ["lost"] * 24, interviews(24, 6, "L"))
    assert refine_themes(labels, x, story(x, texts, stances, cohorts, groups), min_size=8).moves == ()


def test_a_codebook_theme_is_never_split():
    rng = np.random.default_rng(7)
    own = np.vstack([blob(rng, 0, 12), blob(rng, 1, 12)])
    s = story(own, ["x"] * 24, ["positive"] * 12 + ["negative"] * 12, ["won"] * 24, interviews(24, 6))
    out = refine_themes(np.zeros(24, dtype=np.int64), own, s, min_size=8, fixed=frozenset({0}))
    assert out.moves == () and (out.labels == 0).all()


def test_row_order_does_not_change_the_result():
    rng = np.random.default_rng(8)
    x, texts, labels = two_themes(rng, BUDGET_A, BUDGET_B)
    split_me = np.vstack([blob(rng, 2, 10), blob(rng, 3, 10)])  # lost praise against churned criticism
    x = np.vstack([x, split_me])
    texts = texts + ["pricing was fair"] * 10 + ["the sync broke"] * 10
    labels = np.concatenate([labels, np.full(20, 2)])
    stances = ["negative"] * 24 + ["positive"] * 10 + ["negative"] * 10
    cohorts = ["lost"] * 34 + ["churned"] * 10
    groups = interviews(34, 6, "L") + interviews(10, 4, "C")
    x, texts, labels, stances, cohorts, groups = with_won_interviews(rng, x, texts, labels, stances, cohorts, groups)
    n = len(x)
    s = story(x, texts, stances, cohorts, groups)
    base = refine_themes(labels, x, s, min_size=8)
    assert [m.kind for m in base.moves] == ["split", "merge"]
    perm = np.random.default_rng(9).permutation(n)
    shuffled = Story([s.keys[i] for i in perm], [texts[i] for i in perm], x[perm], [stances[i] for i in perm],
                     [cohorts[i] for i in perm], [groups[i] for i in perm])
    again = refine_themes(labels[perm], x[perm], shuffled, min_size=8)
    assert np.array_equal(again.labels, base.labels[perm])
    assert again.record() == base.record()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The demo study run once, on a copy (a run writes the study's codebook)."""
    import shutil
    from pathlib import Path

    from research_study import shared_embedder

    from winloss.pipeline import run

    tmp = tmp_path_factory.mktemp("demo")
    study = tmp / "demo"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "demo", study,
                    ignore=shutil.ignore_patterns("codebook*"))
    run(study, tmp / "out", embedder=shared_embedder())
    return study, tmp / "out"


def test_the_demo_run_records_its_moves_and_the_codebook_holds_the_refined_themes(demo_run):
    import json

    import pandas as pd

    from winloss.themes import codebook

    study, out = demo_run
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    moves = record["theme_engine"]["refine"]
    themes = pd.read_csv(out / "themes.csv", keep_default_na=False)
    ids = set(themes["theme_id"])
    assert any(m["move"] == "merge" and m["why"] == SAME_STORY for m in moves)
    # the planted CRM flip (won praise the connector, churned say the sync broke) is merged into one theme
    assert any(m["why"] == FLIP and "salesforce" in m["shared_words"] for m in moves)
    for m in moves:
        assert m["why"] and set(m["into"]) <= ids
        if m["move"] == "split":
            assert m["silhouette"] >= SPLIT_SILHOUETTE
        elif m["why"] == SAME_STORY:
            assert m["centroid_cosine"] >= MERGE_COSINE and len(m["shared_words"]) >= 2
        else:
            assert m["centroid_cosine"] >= MERGE_COSINE and m["shared_words"]
            assert sorted(m["stance_by_cohort"].values()) == ["negative", "positive"]
    assert [t.id for t in codebook.load(study).active()] == themes["theme_id"].tolist()
    statements = pd.read_csv(out / "statements.csv", keep_default_na=False)
    assert (statements["theme_id"] == "").mean() <= 0.15  # the engine leaves the demo's small talk unassigned
