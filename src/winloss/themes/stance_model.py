"""The example model under the stance scorer: a logistic regression on MiniLM vectors of the written example
sentences (stance_examples.py), whose log-odds the lexicon, the question and the answer then move (stance.py). Its
fit is cached, so a rerun needs no scikit-learn."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np

from winloss.cachefile import write_atomic

STANCES = ("positive", "negative", "neutral")
EXAMPLE_C = 0.3  # regularisation of the example model: few examples, so a smooth boundary


def example_model(example_vectors: np.ndarray, example_labels: list[str], cache_dir: Path | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(coefficients, intercepts), rows in STANCES order, of a logistic regression fitted on the examples. The fit
    is kept in the cache under a hash of what it was fitted on, so a rerun does not import scikit-learn (1-2 s)."""
    from importlib import metadata

    key = hashlib.sha256(np.ascontiguousarray(example_vectors, dtype=np.float32).tobytes()
                         + json.dumps([example_labels, EXAMPLE_C, metadata.version("scikit-learn")]).encode())
    cached = cache_dir / f"examples-{key.hexdigest()[:32]}.npz" if cache_dir is not None else None
    if cached is not None and cached.is_file():
        try:
            with np.load(cached) as fit:
                return fit["coef"], fit["intercept"]
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            pass  # a damaged entry is fitted again and rewritten
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=EXAMPLE_C, max_iter=3000).fit(example_vectors, example_labels)
    order = [list(model.classes_).index(c) for c in STANCES]
    coef, intercept = model.coef_[order], model.intercept_[order]
    if cached is not None:
        buffer = io.BytesIO()
        np.savez(buffer, coef=coef, intercept=intercept)
        write_atomic(cached, buffer.getvalue())
    return coef, intercept


def example_log_odds(vectors: np.ndarray, example_vectors: np.ndarray, example_labels: list[str],
                     cache_dir: Path | None = None) -> np.ndarray:
    """Log-probabilities (rows: statements; columns: STANCES) of the example model: the softmax scikit-learn's
    predict_proba computes, written out so a cached fit needs no scikit-learn."""
    coef, intercept = example_model(example_vectors, example_labels, cache_dir)
    z = np.asarray(vectors) @ coef.T + intercept.reshape(1, -1)
    z -= z.max(axis=1, keepdims=True)
    proba = np.exp(z)
    proba /= proba.sum(axis=1, keepdims=True)
    return np.log(proba + 1e-9)
