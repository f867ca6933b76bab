import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score
from themes_data import PLANTED, planted_rows

from winloss.models import Statement
from winloss.themes.clustering import (
    DEFAULT_MIN_SIZE,
    find_themes,
    join_leftovers,
    statement_vectors,
)
from winloss.themes.embedding import Embedder
from winloss.themes.vectors import unit


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    rows = planted_rows()
    embedder = Embedder(cache_dir=tmp_path_factory.mktemp("emb"))
    texts = [r[0] for r in rows]
    return texts, [r[1] for r in rows], [r[2] for r in rows], embedder.encode(texts), embedder


def test_thirty_statements_find_the_planted_themes(planted):
    texts, truth, groups, x, _ = planted
    a = find_themes(x, groups=groups, min_size=DEFAULT_MIN_SIZE, keys=texts)
    assert "reason" not in a.params
    assert a.params["min_size_requested"] == DEFAULT_MIN_SIZE and a.params["min_size"] == 30 // 7  # small study
    assert a.n_themes >= 3
    assert (a.labels < 0).mean() <= 0.2
    assert adjusted_rand_score(truth, a.labels) >= 0.5


def test_shuffled_rows_give_identical_themes_and_ids(planted):
    texts, _, groups, x, _ = planted
    base = find_themes(x, groups=groups, min_size=4, keys=texts)
    perm = np.random.default_rng(7).permutation(len(texts))
    shuffled = find_themes(x[perm], groups=[groups[i] for i in perm], min_size=4,
                           keys=[texts[i] for i in perm])
    assert np.array_equal(shuffled.labels, base.labels[perm])
    assert shuffled.params == base.params


def test_shuffled_rows_without_keys_give_identical_themes(planted):
    texts, _, groups, x, _ = planted
    base = find_themes(x, groups=groups, min_size=4)
    perm = np.random.default_rng(3).permutation(len(texts))
    shuffled = find_themes(x[perm], groups=[groups[i] for i in perm], min_size=4)
    assert np.array_equal(shuffled.labels, base.labels[perm])


def test_the_engine_has_no_randomness(planted):
    texts, _, groups, x, _ = planted
    first, again = (find_themes(x.copy(), groups=list(groups), min_size=4, keys=list(texts)) for _ in range(2))
    assert np.array_equal(first.labels, again.labels) and first.params == again.params


def test_five_statements_give_an_empty_assignment_with_a_reason(planted):
    texts, _, groups, x, _ = planted
    a = find_themes(x[:5], groups=groups[:5], min_size=5, keys=texts[:5])
    assert (a.labels == -1).all() and a.labels.shape == (5,)
    assert "too few" in a.params["reason"]


def test_zero_statements_do_not_crash():
    a = find_themes(np.zeros((0, 384), dtype=np.float32), groups=[], min_size=5)
    assert a.labels.shape == (0,) and a.params["reason"]


def test_one_interviews_repeated_remarks_are_not_a_theme(planted):
    texts, _, groups, x, embedder = planted
    repeated = [f"Our office dog Biscuit {verb} every morning in the lobby." for verb in
                ("barks", "howls", "sleeps", "plays", "eats", "naps", "runs")]
    allx = np.vstack([x, embedder.encode(repeated)])
    a = find_themes(allx, groups=groups + ["I99"] * len(repeated), min_size=4, keys=texts + repeated)
    dog = a.labels[len(texts):]
    themed = [t for t in set(dog.tolist()) if t >= 0]
    for t in themed:  # if the remarks joined a theme, it is one made other interviews too
        assert len({g for g, lab in zip(groups + ["I99"] * 7, a.labels) if lab == t}) >= 2
    assert (dog == -1).sum() >= 4


def test_near_duplicate_themes_are_merged():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(3, 64))
    pts, groups = [], []
    # two tight blobs almost on top of each other (cosine of centres ~0.99) plus one far away
    centres = [base[0], base[0] + 0.1 * base[1], base[2]]
    for c, centre in enumerate(centres):
        for i in range(12):
            pts.append(centre + 0.02 * rng.normal(size=64))
            groups.append(f"I{i}")
    a = find_themes(np.array(pts, dtype=np.float32), groups=groups, min_size=5,
                    keys=[f"r{i:03d}" for i in range(len(pts))])
    assert a.n_themes == 2
    assert len(set(a.labels[:24].tolist())) == 1


def test_statement_vectors_use_context_but_stay_normalised(planted):
    _, _, _, _, embedder = planted
    s = [Statement("S1", "I1", "lost", "C", None, None, "It dragged on for months.",
                   "Yeah. It dragged on for months.", 0, "How did the onboarding go?"),
         Statement("S2", "I1", "lost", "C", None, None, "It dragged on for months.",
                   "It dragged on for months.", 1, "")]
    v = statement_vectors(embedder, s)
    assert v.shape == (2, 384) and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    onboarding = embedder.encode(["Onboarding took too long."])[0]
    assert v[0] @ onboarding > v[1] @ onboarding  # the question moves the statement towards its subject


def test_a_study_with_one_theme_gets_one_theme(planted):
    _, _, _, _, embedder = planted
    texts = ["The price was too high for us."] * 12
    x = embedder.encode(texts)
    a = find_themes(x, groups=[f"I{i}" for i in range(12)], min_size=5, keys=[f"S{i}" for i in range(12)])
    assert a.n_themes == 1 and (a.labels == 0).all()


def test_a_generic_follow_up_question_is_not_used_as_context(planted):
    texts, _, groups, _, embedder = planted

    def statements(question):
        return [Statement(f"S{i}", groups[i], "lost", "C", None, None, t, t, i, question) for i, t in enumerate(texts)]

    generic = statement_vectors(embedder, statements("Can you tell me more about that?"))
    none = statement_vectors(embedder, statements(""))
    assert np.allclose(generic, none)  # answers on every topic: the question says nothing about the topic
    topical = statements("")
    pricing = [i for i, t in enumerate(texts) if t in PLANTED["pricing"]]
    for i in pricing:  # the same topical question before each pricing answer: its answers are alike, so it is used
        s = topical[i]
        topical[i] = Statement(s.statement_id, s.interview_id, s.cohort, s.speaker, None, None, s.text, s.turn_text,
                               s.turn_index, "And what did you think of the price?")
    v = statement_vectors(embedder, topical)
    assert not np.allclose(v[pricing], none[pricing])


def test_leftovers_join_the_theme_both_their_centre_and_their_themed_neighbours_point_to(planted):
    """Four unassigned lines of one story (each other's nearest rows, which is how they outvoted themselves in the
    neighbour vote) join the theme they tell; an aside stays out of every theme."""
    embedder = planted[4]
    pricing = ["The per-seat price was too high for us.", "Your pricing per seat did not work for our team.",
               "Paying for every seat got expensive fast.", "The seat price went up at renewal.",
               "We could not justify the cost per user.", "Price per seat was the main objection.",
               "The per-user pricing was more than our budget.", "Seats were priced above the other vendors."]
    support = ["Support answered our tickets the same day.", "Your support team was quick to reply.",
               "Every ticket got a fast answer from support.", "The support folks fixed issues within hours.",
               "We always got a quick response from support.", "Support was responsive whenever we asked.",
               "Tickets were resolved quickly by your team.", "Support replied to every question the same day."]
    leftovers = ["We'd have needed a cheaper price for the seats we don't use.",
                 "Paying full price for the light users made no sense.",
                 "Forty seats at that price was more than we could spend.",
                 "The seat cost was the thing finance pushed back on.",
                 "Sorry, my dog is barking at the mail carrier."]
    x = unit(embedder.encode(pricing + support + leftovers))
    labels = np.array([0] * 8 + [1] * 8 + [-1] * 5)
    joined, n = join_leftovers(x, labels)
    assert joined[:16].tolist() == labels[:16].tolist()  # themed rows never move
    assert joined[16:20].tolist() == [0, 0, 0, 0] and n == 4
    assert joined[20] == -1
