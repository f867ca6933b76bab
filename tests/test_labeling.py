import numpy as np
import pytest
from themes_data import planted_rows

from winloss.themes.embedding import Embedder
from winloss.themes.ids import ids_of, theme_id
from winloss.themes.labeling import label_themes


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    rows = planted_rows()
    texts = [r[0] for r in rows]
    names = sorted({r[1] for r in rows})
    labels = ids_of([names.index(r[1]) for r in rows])
    return texts, labels, names, Embedder(cache_dir=tmp_path_factory.mktemp("emb")).encode(texts)


def test_labels_are_unique_and_name_the_theme(planted):
    texts, labels, names, x = planted
    out = label_themes(texts, labels, x)
    assert sorted(out) == [theme_id(k + 1) for k in range(len(names))]
    assert len({t.label.lower() for t in out.values()}) == len(out)
    pricing = out[theme_id(names.index("pricing") + 1)]
    assert any(w in pricing.label for w in ("price", "pricing", "cost", "renewal", "expensive"))
    assert pricing.keywords and pricing.example


def test_central_lists_the_theme_rows_most_central_first(planted):
    texts, labels, _, x = planted
    out = label_themes(texts, labels, x)
    for t, lab in out.items():
        assert sorted(lab.central) == np.flatnonzero(labels == t).tolist()
        centroid = x[labels == t].mean(axis=0)
        sims = x[lab.central] @ centroid
        assert all(sims[i] >= sims[i + 1] - 1e-6 for i in range(len(sims) - 1))


def test_two_themes_with_the_same_words_still_get_different_labels():
    texts = ["pricing too high"] * 5 + ["pricing too high"] * 5 + ["support slow"] * 5
    labels = ids_of([0] * 5 + [1] * 5 + [2] * 5)
    x = np.eye(15, dtype=np.float32)
    out = label_themes(texts, labels, x)
    assert len({t.label for t in out.values()}) == 3


def test_no_themes_no_labels():
    assert label_themes(["a b c"], ids_of([-1]), np.ones((1, 3))) == {}


def test_keywords_do_not_repeat_a_phrase_or_its_plural():
    from winloss.themes.labeling import _pick_phrases

    assert _pick_phrases(["seat", "seats", "per seat", "reps", "price"], 3) == ["per seat", "reps", "price"]
