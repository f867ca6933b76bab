"""Hybrid quote search over winloss.db: keyword (FTS5 BM25) and meaning (embedding cosine), fused.

Fusion is a convex combination of the cosine similarity and the BM25 score scaled by its ceiling for the query
(Bruch et al. 2023, "An Analysis of Fusion Functions for Hybrid Retrieval", found it more robust than
reciprocal-rank fusion). Everything but the FTS5 query runs on in-memory numpy arrays, so a query on 20,000
statements takes milliseconds once the index is open.
"""
from __future__ import annotations

import re
import sqlite3
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from winloss.errors import WinlossError
from winloss.interviews.study import normalise_cohort
from winloss.outputs import db
from winloss.themes.bert_numpy import BertSentenceEncoder, UnsupportedModel
from winloss.themes.embedding import Embedder
from winloss.themes.vectors import centre

SEMANTIC_WEIGHT = 0.8  # the rest goes to the keyword score; benchmarks/bench_search.py picks it
KEYWORD_CANDIDATES = 2000  # BM25 matches considered per query
# Words that carry no meaning for BM25's OR query; removed unless nothing else is left.
STOP_WORDS = frozenset(
    ["a", "about", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by", "can", "could", "did", "do", "does", "for", "from", "had", "has", "have", "he", "her", "how", "i", "if", "in", "into", "is", "it", "its", "just", "me", "more", "my", "no", "not", "of", "on", "or", "our", "out", "so", "than", "that", "the", "their", "them", "then", "there", "they", "this", "to", "too", "up", "us", "very", "was", "we", "were", "what", "when", "which", "who", "why", "will", "with", "would", "you", "your"]
)


class SearchError(WinlossError):
    pass


@dataclass(frozen=True)
class Hit:
    statement_id: str
    interview_id: str
    cohort: str
    speaker: str
    start: float | None
    end: float | None
    theme_id: str | None
    theme_label: str | None
    quote: str
    score: float
    similarity: float  # cosine between query and statement
    keyword: float  # BM25 scaled to 0..1 by the best match; 0 = no keyword match
    account: str | None = None
    competitor: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def query_terms(query: str) -> list[str]:
    """"Quoted phrases" stay phrases, other words are single terms; stop words are dropped unless nothing is left."""
    phrases = re.findall(r'"([^"]+)"', query)
    rest = re.sub(r'"[^"]*"', " ", query)
    words = re.findall(r"\w+", rest.lower())
    content = [w for w in words if w not in STOP_WORDS] or words
    terms = [" ".join(re.findall(r"\w+", p)) for p in phrases] + content
    return [t for t in dict.fromkeys(terms) if t]


def fts_query(query: str) -> str:
    """User text -> an FTS5 query: its terms OR-ed, each double-quoted so FTS5 syntax (AND, NEAR, *, -) stays text."""
    return " OR ".join(f'"{t}"' for t in query_terms(query))


class SearchIndex:
    """Statement metadata and vectors of one winloss.db, held in memory."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.meta = db.meta(conn)
        rows = conn.execute(
            "SELECT s.id, s.statement_id, s.interview_id, s.cohort, s.speaker, s.start, s.end, s.text, s.theme_id, "
            "t.label, s.account, s.competitor FROM statements s LEFT JOIN themes t USING (theme_id) ORDER BY s.id"
        ).fetchall()
        self.rows = [tuple(r) for r in rows]
        self.vectors = db.load_vectors(conn)
        self.themes = {r["theme_id"]: r["label"] for r in conn.execute("SELECT theme_id, label FROM themes")}
        self._interview = np.array([r[2] for r in self.rows], dtype=object)
        self._cohort = np.array([r[3] for r in self.rows], dtype=object)
        self.theme_ids = np.array([r[8] or "" for r in self.rows], dtype=object)
        self._competitor = np.array([(r[11] or "").lower() for r in self.rows], dtype=object)

    @classmethod
    def open(cls, path: Path) -> SearchIndex:
        return cls(db.connect(path))

    @property
    def model_id(self) -> str:
        return self.meta["model_id"]

    def resolve_theme(self, theme: str) -> str:
        """A theme id (T03, t3) or a label (case-insensitive, exact or a unique part) -> theme id."""
        wanted = theme.strip()
        if wanted.lower() == "unassigned":
            return ""
        by_id = {tid.lower(): tid for tid in self.themes}
        match = re.fullmatch(r"[tT]0*(\d+)", wanted)
        if wanted.lower() in by_id:
            return by_id[wanted.lower()]
        if match:
            for tid in self.themes:
                if int(tid[1:]) == int(match.group(1)):
                    return tid
        exact = [tid for tid, label in self.themes.items() if label.lower() == wanted.lower()]
        if exact:
            return exact[0]
        partial = sorted(tid for tid, label in self.themes.items() if wanted.lower() in label.lower())
        if len(partial) == 1:
            return partial[0]
        known = ", ".join(f"{tid} ({label})" for tid, label in sorted(self.themes.items()))
        raise SearchError(
            f"theme {theme!r} {'is ambiguous' if partial else 'not found'}; known themes: {known or 'none'}"
        )

    def mask(self, theme=None, cohort=None, competitor=None, interview=None) -> np.ndarray:
        keep = np.ones(len(self.rows), dtype=bool)
        if theme is not None:
            keep &= self.theme_ids == self.resolve_theme(theme)
        if cohort is not None:
            name = normalise_cohort(cohort)
            if name is None:
                raise SearchError(f"unknown cohort {cohort!r}; use won, lost or churned")
            keep &= self._cohort == name
        if competitor is not None:
            keep &= self._competitor == competitor.strip().lower()
        if interview is not None:
            keep &= self._interview == interview.strip()
        return keep

    def keyword_scores(self, query: str) -> np.ndarray:
        """BM25 per statement over the most it could be (every query term present); 0 without a match.

        Scaling by the best score among the matches would give a statement with one common query word the same
        weight as one with all of them; scaling by the query's own ceiling keeps "how much of the query is here".
        """
        scores = np.zeros(len(self.rows), dtype=np.float32)
        terms = query_terms(query)
        if not terms:
            return scores
        matches = self.conn.execute(
            "SELECT rowid, -bm25(statements_fts) FROM statements_fts WHERE statements_fts MATCH ? "
            "ORDER BY rank LIMIT ?",
            (fts_query(query), KEYWORD_CANDIDATES),
        ).fetchall()
        if matches:
            ids = np.array([m[0] for m in matches]) - 1
            values = np.array([m[1] for m in matches], dtype=np.float32)
            scores[ids] = np.clip(values / self._bm25_ceiling(terms), 0.0, 1.0)
        return scores

    def _bm25_ceiling(self, terms: list[str]) -> float:
        """Sum over the terms of FTS5's idf times BM25's saturation limit k1 + 1 (k1 = 1.2, FTS5's default)."""
        n = len(self.rows)
        total = 0.0
        for term in terms:
            df = self.conn.execute("SELECT count(*) FROM statements_fts WHERE statements_fts MATCH ?",
                                   (f'"{term}"',)).fetchone()[0]
            total += max(np.log((n - df + 0.5) / (df + 0.5)), 1e-6) * 2.2
        return total or 1.0

    def search(
        self,
        query: str,
        query_vector: np.ndarray,
        *,
        theme: str | None = None,
        cohort: str | None = None,
        competitor: str | None = None,
        interview: str | None = None,
        limit: int = 10,
    ) -> list[Hit]:
        if not query.strip():
            raise SearchError("empty query")
        keep = self.mask(theme=theme, cohort=cohort, competitor=competitor, interview=interview)
        # One matrix-vector product is too small to gain from BLAS threads; on a busy machine their
        # synchronisation made it three times slower.
        with threadpool_limits(1, user_api="blas"):
            similarity = self.vectors @ np.asarray(query_vector, dtype=np.float32)
        keyword = self.keyword_scores(query)
        score = SEMANTIC_WEIGHT * similarity + (1 - SEMANTIC_WEIGHT) * keyword
        candidates = np.flatnonzero(keep)
        if candidates.size > limit:  # keep the top `limit` scores and everything tied with the last of them
            kth = np.partition(score[candidates], candidates.size - limit)[candidates.size - limit]
            candidates = candidates[score[candidates] >= kth]
        # Best score first, ties in statement order: stable and deterministic.
        order = candidates[np.lexsort((candidates, -score[candidates]))][:limit]
        return [self._hit(i, score[i], similarity[i], keyword[i]) for i in order]

    def typical(self, theme_id: str, limit: int = 5) -> list[Hit]:
        """A theme's most typical statements: closest to its centre first (score = that similarity)."""
        members = np.flatnonzero(self.theme_ids == theme_id)
        if not members.size:
            return []
        similarity = self.vectors[members] @ centre(self.vectors[members])
        order = np.lexsort((members, -similarity))[:limit]
        return [self._hit(members[j], similarity[j], similarity[j], 0.0) for j in order]

    def _hit(self, i: int, score: float, similarity: float, keyword: float) -> Hit:
        _, sid, iid, cohort, speaker, start, end, text, tid, label, account, competitor = self.rows[i]
        return Hit(
            statement_id=sid, interview_id=iid, cohort=cohort, speaker=speaker, start=start, end=end,
            theme_id=tid, theme_label=label, quote=text, score=round(float(score), 4),
            similarity=round(float(similarity), 4), keyword=round(float(keyword), 4),
            account=account, competitor=competitor,
        )



def query_embedder(model_id: str):
    """The model that built the index: the bundled one, or the name/path recorded in the database."""
    default = Embedder(None)
    if default.model_id == model_id:
        return default
    other = Embedder(model_id.split("@")[0])
    if other.model_id != model_id:
        raise db.DatabaseError(f"the index was built with {model_id}, which is not available here; rerun the study")
    return other


@lru_cache(maxsize=4)
def _numpy_encoder(folder: str) -> BertSentenceEncoder | None:
    try:
        return BertSentenceEncoder(Path(folder)) if Path(folder).is_dir() else None
    except UnsupportedModel:
        return None


def encode_query(embedder, query: str) -> np.ndarray:
    """The query's vector from the model that built the index.

    The bundled model (and any local BERT mean-pooling folder) runs as a numpy forward pass: the same vector as
    sentence-transformers without importing torch, which was most of a cold `winloss search`. One short text gains
    nothing from intra-op threads, and on a busy 2-core machine their synchronisation cost seconds per query."""
    fast = _numpy_encoder(embedder.source)
    if fast is not None:
        return fast.encode([query])[0]
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return embedder.encode([query])[0]
    finally:
        torch.set_num_threads(before)
