"""The bundled sentence model's forward pass in numpy, for embedding one search query without torch.

`winloss search` needs one vector; importing torch and sentence-transformers for it took ~8 s of a cold start.
all-MiniLM-L6-v2 is a 6-layer BERT with mean pooling and L2 normalisation: reading its safetensors weights with
safetensors.numpy and tokenising with `tokenizers` (the tokenizer sentence-transformers itself uses) gives the same
vectors to float32 rounding (tests/test_search.py checks 1e-5 and identical rankings) in a fraction of a second.
Only a model folder with this exact layout is accepted; anything else goes through sentence-transformers.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits


class UnsupportedModel(ValueError):
    """The folder is not a BERT mean-pooling sentence model this module reproduces."""


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to 1.2e-7 (Numerical Recipes' Chebyshev fit of erfc); scipy.special alone takes 0.6 s to import."""
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
    return np.sign(x) * (1.0 - t * np.exp(poly))


def _gelu(x: np.ndarray) -> np.ndarray:
    x64 = x.astype(np.float64)
    return (0.5 * x64 * (1.0 + _erf(x64 / np.sqrt(2.0)))).astype(np.float32)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _check(folder: Path) -> tuple[dict, int]:
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
        modules = [m["type"] for m in json.loads((folder / "modules.json").read_text(encoding="utf-8"))]
        st_config = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UnsupportedModel(f"{folder}: {exc}") from exc
    expected = ["sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
                "sentence_transformers.models.Normalize"]
    mean_only = pooling.get("pooling_mode_mean_tokens") and not any(
        v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens")
    if (config.get("model_type") != "bert" or config.get("hidden_act") != "gelu" or modules != expected
            or not mean_only or config.get("position_embedding_type", "absolute") != "absolute"
            or not (folder / "model.safetensors").is_file() or not (folder / "tokenizer.json").is_file()):
        raise UnsupportedModel(f"{folder}: not a BERT mean-pooling sentence model")
    return config, int(st_config.get("max_seq_length", config["max_position_embeddings"]))


class BertSentenceEncoder:
    """encode(texts) -> (n, d) float32 unit vectors, as SentenceTransformer(folder).encode(normalize_embeddings=True)."""

    def __init__(self, folder: Path):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = Path(folder)
        self.config, max_length = _check(folder)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.no_padding()
        self.weights = load_file(str(folder / "model.safetensors"))
        self.heads = int(self.config["num_attention_heads"])
        self.eps = float(self.config.get("layer_norm_eps", 1e-12))

    def _w(self, name: str) -> np.ndarray:
        return self.weights[name]

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self._w(f"{name}.weight").T + self._w(f"{name}.bias")

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        return _layer_norm(x, self._w(f"{name}.weight"), self._w(f"{name}.bias"), self.eps)

    def _layer(self, x: np.ndarray, n: int) -> np.ndarray:
        p = f"encoder.layer.{n}"
        tokens, width = x.shape
        size = width // self.heads

        def split(h):  # (tokens, width) -> (heads, tokens, size)
            return h.reshape(tokens, self.heads, size).transpose(1, 0, 2)

        q, k, v = (split(self._dense(x, f"{p}.attention.self.{m}")) for m in ("query", "key", "value"))
        scores = q @ k.transpose(0, 2, 1) / np.float32(np.sqrt(size))
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        context = (scores / scores.sum(axis=-1, keepdims=True)) @ v
        context = context.transpose(1, 0, 2).reshape(tokens, width)
        x = self._norm(self._dense(context, f"{p}.attention.output.dense") + x, f"{p}.attention.output.LayerNorm")
        hidden = _gelu(self._dense(x, f"{p}.intermediate.dense"))
        return self._norm(self._dense(hidden, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")

    def _one(self, text: str) -> np.ndarray:
        encoding = self.tokenizer.encode(text)
        ids = np.asarray(encoding.ids, dtype=np.int64)
        types = np.asarray(encoding.type_ids, dtype=np.int64)
        x = (self._w("embeddings.word_embeddings.weight")[ids]
             + self._w("embeddings.position_embeddings.weight")[: len(ids)]
             + self._w("embeddings.token_type_embeddings.weight")[types])
        x = self._norm(x, "embeddings.LayerNorm")
        for n in range(int(self.config["num_hidden_layers"])):
            x = self._layer(x, n)
        pooled = x.mean(axis=0)  # one unpadded text: every token counts
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.config["hidden_size"]), dtype=np.float32)
        # One text's matrices are too small to gain from BLAS threads; on a busy 2-core machine their
        # synchronisation made encoding 30 times slower.
        with threadpool_limits(1, user_api="blas"):
            return np.stack([self._one(t) for t in texts])
