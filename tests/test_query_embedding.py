"""`winloss search` embeds its query with a numpy forward pass of the bundled model: same vectors as
sentence-transformers, same rankings, and no torch import on the way."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from research_study import shared_embedder

from winloss.outputs.db import DB_NAME
from winloss.outputs.search import SearchIndex, _numpy_encoder, encode_query
from winloss.themes.bert_numpy import BertSentenceEncoder, UnsupportedModel

ODD = ["", "a", "OK.", "Pricing!!! $$$ 40% off?", "naïve café — résumé, 日本語のテキスト, emoji 🚀🔥",
       "security review SOC 2 " * 200]  # the last one is truncated at the model's 256 tokens


@pytest.fixture(scope="module")
def encoder():
    return _numpy_encoder(shared_embedder().source)


def test_vectors_match_sentence_transformers(encoder, demo_run):
    texts = pd.read_csv(demo_run.out_dir / "statements.csv")["text"].astype(str).tolist()[::6] + ODD
    ours = encoder.encode(texts)
    theirs = shared_embedder().model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    assert ours.dtype == np.float32 and ours.shape == theirs.shape == (len(texts), 384)
    assert float(np.abs(ours - theirs).max()) < 1e-5


QUERIES = ["too expensive", "it cost more than we could afford", "the Salesforce integration broke",
           "support never answered our tickets", "\"security review\"", "onboarding took months", "why did we lose",
           "competitor was cheaper"]


@pytest.mark.parametrize("cohort", [None, "lost"])
def test_rankings_are_identical(demo_run, cohort):
    index = SearchIndex.open(demo_run.out_dir / DB_NAME)
    for query in QUERIES:
        fast = index.search(query, encode_query(shared_embedder(), query), cohort=cohort, limit=20)
        slow = index.search(query, shared_embedder().model.encode([query], normalize_embeddings=True)[0],
                            cohort=cohort, limit=20)
        assert [h.statement_id for h in fast] == [h.statement_id for h in slow], query
        assert [h.score for h in fast] == pytest.approx([h.score for h in slow], abs=1e-4)


def test_search_command_does_not_import_torch(demo_run):
    code = ("import sys\nfrom winloss.cli import main\n"
            "try:\n    main(['search', 'too expensive', '--db', sys.argv[1], '--limit', '2'])\n"
            "except SystemExit as exc:\n    assert exc.code in (0, None), exc.code\n"
            "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')\n")
    out = subprocess.run([sys.executable, "-c", code, str(demo_run.out_dir / DB_NAME)], capture_output=True,
                         text=True, timeout=120, check=True).stdout
    assert out.strip().splitlines()[-1] == "NO-TORCH" and out.startswith("1. \"")


def test_other_models_are_refused_not_guessed(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "roberta", "hidden_act": "gelu"}')
    with pytest.raises(UnsupportedModel):
        BertSentenceEncoder(folder)
    assert _numpy_encoder(str(folder)) is None and _numpy_encoder(str(Path(tmp_path) / "absent")) is None
