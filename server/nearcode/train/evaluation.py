"""Retrieval quality on held-out pairs: MRR@10, recall@1 and recall@5.

Each query is a pair's text; the candidates are the code of every held-out pair; the right
answer is its own pair's code. Scores go through the same pure functions whatever ranks them:
an embedder (cosine similarity) or BM25 over identifier-split words (`lexical.terms`).
A tie with the right answer counts against it, so a ranker that scores everything 0 gets no
credit.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from ..code import lexical
from ..embed.base import Embedder
from .pairs import Pair

log = logging.getLogger(__name__)

MRR_DEPTH = 10


@dataclass(frozen=True)
class Metrics:
    """Mean reciprocal rank within the top 10, recall at 1 and 5, over `n` queries."""

    mrr10: float
    r1: float
    r5: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def ranks(scores: np.ndarray, gold: Sequence[int]) -> list[int]:
    """1-based rank of each query's right answer: 1 + the number of other candidates that
    score at least as high (ties count against it).

    Args:
        scores: (queries, candidates) similarity matrix, higher is better.
        gold: for each query, the column of its right answer.
    """
    scores = np.asarray(scores, dtype=np.float64)
    out = []
    for i, g in enumerate(gold):
        row = scores[i]
        out.append(int(np.count_nonzero(row >= row[g])))  # includes the answer itself
    return out


def metrics(rank_list: Sequence[int]) -> Metrics:
    """MRR@10 (1/rank when rank ≤ 10, else 0), recall@1 and recall@5 of 1-based ranks."""
    n = len(rank_list)
    if n == 0:
        return Metrics(0.0, 0.0, 0.0, 0)
    mrr = sum(1.0 / r for r in rank_list if r <= MRR_DEPTH) / n
    return Metrics(mrr, sum(r <= 1 for r in rank_list) / n, sum(r <= 5 for r in rank_list) / n, n)


# ----------------------------------------------------------------------------- rankers


def dense_scores(embedder: Embedder, queries: Sequence[str], codes: Sequence[str]) -> np.ndarray:
    """Cosine similarities (queries × codes) under `embedder`."""
    q = embedder.embed_batch(list(queries))
    c = embedder.embed_batch(list(codes))
    scores: np.ndarray = q @ c.T  # (queries, dim) @ (dim, codes)
    return scores


class BM25:
    """Okapi BM25 over identifier-split words (k1 = 1.2, b = 0.75, idf never below 0)."""

    def __init__(self, documents: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.docs = [Counter(lexical.terms(d)) for d in documents]
        self.lengths = np.array([sum(d.values()) for d in self.docs], dtype=np.float64)
        self.avg = float(self.lengths.mean()) if len(self.docs) else 0.0
        df: Counter[str] = Counter()
        for d in self.docs:
            df.update(d.keys())
        n = len(self.docs)
        self.idf = {t: max(0.0, math.log((n - f + 0.5) / (f + 0.5) + 1.0)) for t, f in df.items()}

    def scores(self, query: str) -> np.ndarray:
        """Score of every document for `query` (its distinct non-stopword terms)."""
        out = np.zeros(len(self.docs))
        norm = self.k1 * (1 - self.b + self.b * self.lengths / max(self.avg, 1e-9))
        for term in lexical.query_terms(query):
            idf = self.idf.get(term)
            if not idf:
                continue
            tf = np.array([d.get(term, 0) for d in self.docs], dtype=np.float64)
            out += idf * tf * (self.k1 + 1) / (tf + norm)
        return out


def bm25_scores(queries: Sequence[str], codes: Sequence[str]) -> np.ndarray:
    index = BM25(codes)
    return np.stack([index.scores(q) for q in queries]) if queries else np.zeros((0, len(codes)))


# ----------------------------------------------------------------------------- held-out pairs


def evaluate(pairs: Sequence[Pair], embedder: Embedder | None) -> Metrics:
    """Metrics of `embedder` (BM25 when None) on `pairs`: each query against all pairs' code."""
    queries = [p.query for p in pairs]
    codes = [p.code for p in pairs]
    start = time.monotonic()
    scores = bm25_scores(queries, codes) if embedder is None else \
        dense_scores(embedder, queries, codes)
    out = metrics(ranks(scores, range(len(pairs))))
    log.info("evaluated %s on %d pairs in %.1fs: MRR@10 %.3f",
             "bm25" if embedder is None else embedder.model_id, len(pairs),
             time.monotonic() - start, out.mrr10)
    return out
