"""Ranked chunks for a question: text → code (`search`) and code → code (`similar`).

Both are hybrid: a dense ranking (cosine of embeddings) and a lexical ranking (FTS5 BM25 over
identifier-split words) are fused by weighted, normalised scores, over every workspace folder's
store at once. Weights differ by task because the two rankings are good at different
things: the model at intent ("remove duplicates keeping order"), words at near-clones.
`similar` then re-orders its top candidates, as definitions, by how alike their tokens read
(likeness.py).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import textwrap
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..code import lexical
from ..code.likeness import Tokens, code_tokens, lexical_similarity, resemblance
from ..code.roles import IMPL, without_tests
from ..config import Settings
from ..embed.base import Embedder
from ..store.base import FileState, Filter, IndexStore, StoredChunk
from .definitions import Definition, Outline
from .fusion import fuse_scores
from .priors import body_prior, kind_prior, role_prior

log = logging.getLogger(__name__)

POOL = 50  # candidates taken from each ranking before fusion
# findSimilar ranks the best chunks of LIKENESS_POOL definitions' worth (CHUNKS_PER_HIT each),
# then re-orders the best LIKENESS_PER_HIT x limit of those definitions (at least LIKENESS_MIN)
# by how alike the code reads: for 10 hits, the best 20, 15 or 11 score alike on every package
# and stratum of bench/clones, as did all of them against 20; scoring all cost 10-15 ms a
# request at 100k chunks (bench/clones/results/sweeps.md, likeness-defs, likeness-per-hit)
LIKENESS_POOL = 20
LIKENESS_PER_HIT = 1.5
LIKENESS_MIN = 10
# findSimilar, measured leave-one-package-out on bench/clones (eight packages nobody tuned on,
# four languages; README there): how much how-alike-the-code-reads (likeness.resemblance of the
# query and each candidate DEFINITION's whole text) adds to the fused score (1.0 -> 1.5 lowered
# no package and no similarity stratum), and how many words of the code go into the lexical
# query (48 -> 96: a long function's distinctive words are not only its most frequent ones).
LIKENESS_WEIGHT = 1.5
SIMILAR_QUERY_TERMS = 96
PREVIEW_LINES = 3
MAX_QUERY_CHARS = 100_000  # a longer query is refused (input, not a document to embed)
CHUNKS_PER_HIT = 3  # chunks ranked per definition hit asked for ...
MIN_CHUNKS = 30  # ... and at least this many
OUTLINES_KEPT = 512  # files whose outline (chunks grouped into definitions) is kept

@dataclass(frozen=True)
class Weights:
    """How much each ranking counts in fusion."""

    dense: float
    lexical: float


# Measured on the shared benchmark (bench/README.md): for text -> code (task A) equal weights
# scored MRR@10 0.458 (dense alone 0.410, BM25 alone 0.334); for code -> code (task B) words
# lead, dense 0.4: 0.963 (BM25 alone 0.953, dense alone 0.870).
SEARCH_WEIGHTS = Weights(dense=1.0, lexical=1.0)
SIMILAR_WEIGHTS = Weights(dense=0.4, lexical=1.0)


@dataclass(frozen=True)
class Source:
    """One workspace folder and its index."""

    root: Path
    store: IndexStore


@dataclass(frozen=True)
class Hit:
    """A ranked definition (or chunk, before grouping). Lines are 1-based and inclusive; `path`
    is relative to `root`; `chunk_id` is the best chunk's; `role` what the file is for
    (code/roles.py)."""

    root: Path
    path: str
    start_line: int
    end_line: int
    symbol: str | None
    kind: str
    language: str
    score: float
    text: str
    chunk_id: int
    role: str = IMPL

    @property
    def preview(self) -> str:
        """The first few non-blank lines, dedented."""
        lines = [line for line in textwrap.dedent(self.text).splitlines() if line.strip()]
        return "\n".join(line[:200] for line in lines[:PREVIEW_LINES])

    @property
    def abspath(self) -> Path:
        return self.root / self.path


@dataclass(frozen=True)
class _Key:
    source: int
    chunk_id: int


class Retriever:
    """Answers queries over the stores of all workspace folders."""

    def __init__(self, sources: Sequence[Source], embedder: Embedder, settings: Settings) -> None:
        self.sources = list(sources)
        self.embedder = embedder
        self.settings = settings
        self._outlines: dict[tuple[Path, str, FileState | None], Outline] = {}
        self._outlines_lock = threading.Lock()  # queries run on several threads

    def embed_query(self, text: str) -> np.ndarray:
        vector: np.ndarray = self.embedder.embed_batch([text])[0]
        return vector

    def embed_queries(self, first: str, second: str) -> tuple[np.ndarray, np.ndarray]:
        """Two queries, each embedded alone as `embed_query` does (the same vectors), at once
        when the embedder can be called from two threads (`runs_in_parallel`): the model runs
        outside the GIL, so on two cores the pair takes ~0.65x the time of one after the other
        (25 -> 16 ms with the default model)."""
        if not getattr(self.embedder, "runs_in_parallel", False):
            return self.embed_query(first), self.embed_query(second)
        other = _MODEL_BESIDE.submit(self.embed_query, first)
        vector = self.embed_query(second)
        return other.result(), vector

    def search(
        self, query: str, limit: int = 10, languages: Sequence[str] = (),
        paths: Sequence[str] = (), chunks: bool = False,
    ) -> list[Hit]:
        """Definitions that do what the natural-language (or identifier) `query` says, one hit
        each (`chunks`: with the best chunk's lines instead of the definition's)."""
        flt = self._filter(languages, paths)
        found = self._hybrid(query, self.embed_query(query), _pool(limit), flt, SEARCH_WEIGHTS,
                             None)
        return self.definitions(found, limit, chunks, question=lexical.is_question(query))

    def similar(
        self, code: str, limit: int = 10, exclude: tuple[Path, frozenset[int]] | None = None,
        vector: np.ndarray | None = None, languages: Sequence[str] = (),
        paths: Sequence[str] = (), chunks: bool = False, window: bool = False,
    ) -> list[Hit]:
        """Definitions that look like `code`, one hit each. `exclude` is (root, chunk ids) of
        the query's own definition; `vector`, the query's stored embedding if known, saves
        running the model. `window`: `code` is a few lines around a cursor (completion
        context), not a definition: chunks are compared by how alike they read as they are,
        with a search's lexical query (what shared/bench task C was measured with)."""
        flt = self._filter(languages, paths)
        if vector is None:
            vector = self.embed_query(code)
        words = None if window else lexical.query_terms(code, SIMILAR_QUERY_TERMS)
        fused = self._hybrid(code, vector, _pool(max(limit, LIKENESS_POOL)), flt,
                             SIMILAR_WEIGHTS, exclude, words)
        if window:
            return self.definitions(by_likeness(code, fused), limit, chunks, priors=False)
        return self.definitions(fused, limit, chunks, likeness=code_tokens(code))

    def _filter(self, languages: Sequence[str], paths: Sequence[str]) -> Filter:
        if not self.settings.include_tests:
            paths = without_tests(paths)
        return Filter(tuple(languages), tuple(paths))

    def definitions(self, ranked: Sequence[Hit], limit: int, chunks: bool = False,
                    likeness: Tokens | None = None, priors: bool = True,
                    question: bool = False) -> list[Hit]:
        """Chunk hits (best first) → at most `limit` definition hits: a definition scores its
        best chunk's score times its file's role prior (implementation first), its kind's prior
        and, for a text query, its body's (`body_prior`: a one-line body; for a `question`, a
        short one); a hit never overlaps a better one of its file.

        `likeness` (findSimilar's query tokens): each definition's score first gains how alike
        its whole text reads to the query (LIKENESS_WEIGHT × resemblance). Fusion finds the
        right neighbourhood; among near-identical candidates (a function and its siblings,
        which embed almost alike) the tokens tell the edited copy apart. Whole definitions, not
        chunks: a query is a whole function, and a long function's chunks each hold only part
        of it (bench/clones: qs 0.857 -> 0.929, dateutil 0.975 -> 0.988 MRR@10).

        `priors=False` (completion context): no role or kind prior; the code a completion needs
        is often a class or a constant, and shared/bench C fell 0.540 -> 0.522 with them."""
        best: dict[tuple[Path, str, object], tuple[float, Hit, Definition]] = {}
        states: dict[Path, dict[str, FileState]] = {}  # one read per folder, not one per hit
        # the best score still to come: with priors of at most 1 and no likeness, a definition
        # never scores above its best chunk, so once `limit` chosen ones beat every chunk left,
        # the rest need no outline (the answer is the same)
        left = list(itertools.accumulate((h.score for h in reversed(ranked)), max))[::-1]
        for i, h in enumerate(ranked):
            if likeness is not None and len(best) >= max(LIKENESS_MIN,
                                                          round(LIKENESS_PER_HIT * limit)):
                break  # the likeness re-orders the best definitions, not every one
            if likeness is None and len(best) >= limit and _kth(best, limit) > left[i]:
                chosen = _chosen(best, limit, chunks)
                if len(chosen) == limit and chosen[-1][0] > left[i]:
                    break
            d = self._outline(h, states).at(h.chunk_id)
            if d is None:  # changed since it was ranked: skip it
                continue
            # a symbol's runs apart (a class's own code on both sides of its methods) are one
            ident = (h.root, h.path, d.key if isinstance(d.key, tuple) else d.chunk_ids[0])
            if ident not in best:  # its best chunk came first
                prior = (role_prior(d.role) * kind_prior(d.kind, question) if priors else 1.0)
                if priors and likeness is None and d.body is not None:
                    prior *= body_prior(d.body, question)
                score = h.score
                if likeness is not None:
                    score += LIKENESS_WEIGHT * resemblance(likeness, code_tokens(d.text))
                best[ident] = (score * prior, h, d)
        out: list[Hit] = []
        for score, h, d, start, end in _chosen(best, limit, chunks):
            own = d.whole and not chunks
            out.append(replace(h, start_line=start, end_line=end, symbol=d.name, kind=d.kind,
                               text=d.text if own else h.text, role=d.role, score=score))
        return out

    def _outline(self, h: Hit, states: dict[Path, dict[str, FileState]]) -> Outline:
        """The outline of a hit's file, kept while the file's indexed state stays the same
        (a file's chunks are rewritten whole, with a new state, when it changes). `states`:
        the file states of each folder read so far in this request."""
        store = next(s for s in self.sources if s.root == h.root).store
        if h.root not in states:
            states[h.root] = store.file_states()
        key = (h.root, h.path, states[h.root].get(h.path))
        with self._outlines_lock:
            found = self._outlines.pop(key, None)
        if found is None or found.at(h.chunk_id) is None:
            found = Outline(h.path, store.chunks_of_file(h.path))
        with self._outlines_lock:
            self._outlines[key] = found  # most recently used last
            while len(self._outlines) > OUTLINES_KEPT:
                del self._outlines[next(iter(self._outlines))]
        return found

    # -- fusion

    def _hybrid(
        self, text: str, vector: np.ndarray, limit: int, flt: Filter, weights: Weights,
        exclude: tuple[Path, frozenset[int]] | None, words: list[str] | None = None,
    ) -> list[Hit]:
        if words is None:
            words = lexical.query_terms(text)
        pool = max(POOL, limit)
        dense: list[tuple[float, _Key]] = []
        lex: list[tuple[float, _Key]] = []
        ceiling = 0.0
        for i, src in enumerate(self.sources):
            f = flt
            if exclude is not None and exclude[0] == src.root:
                f = Filter(flt.languages, flt.paths, exclude[1])
            dense += [(s, _Key(i, cid)) for cid, s in src.store.vector_candidates(vector, pool, f)]
            found = src.store.lexical_candidates(words, pool, f)
            lex += [(s, _Key(i, cid)) for cid, s in found]
            if found:
                ceiling = max(ceiling, src.store.lexical_ceiling(words))
        w_dense = weights.dense * self.settings.dense_weight
        w_lex = weights.lexical * self.settings.lexical_weight
        fused = fuse_scores(_top(dense, pool), _top(lex, pool), w_dense, w_lex, ceiling)
        ranked = sorted(fused.items(), key=lambda kv: -kv[1])
        # equal scores (the same code in two files) are ordered by place, not by chunk id:
        # ids depend on the index's history, and an answer must not
        cut = min(limit, len(ranked))
        while 0 < cut < len(ranked) and ranked[cut][1] == ranked[cut - 1][1]:
            cut += 1
        hits = sorted(self._hits(ranked[:cut]),
                      key=lambda h: (-h.score, str(h.root), h.path, h.start_line))
        return hits[:limit]

    def _hits(self, ranked: list[tuple[_Key, float]]) -> list[Hit]:
        by_source: dict[int, list[int]] = {}
        for key, _ in ranked:
            by_source.setdefault(key.source, []).append(key.chunk_id)
        chunks: dict[_Key, StoredChunk] = {}
        for i, ids in by_source.items():
            for cid, c in self.sources[i].store.chunks_by_id(ids).items():
                chunks[_Key(i, cid)] = c
        hits = []
        for key, score in ranked:
            found = chunks.get(key)
            if found is not None:  # deleted between ranking and reading: skip it
                hits.append(to_hit(self.sources[key.source].root, found, score))
        return hits


_MODEL_BESIDE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nearcode-embed")


def by_likeness(code: str, hits: Sequence[Hit]) -> list[Hit]:
    """`hits` (chunks) re-scored by how alike their code reads to `code` (token shingles,
    0..1, added to the fused score), best first: findSimilar's order for a window of lines."""
    query = code_tokens(code)
    rescored = [replace(h, score=h.score + lexical_similarity(query, code_tokens(h.text)))
                for h in hits]
    return sorted(rescored, key=lambda h: (-h.score, str(h.root), h.path, h.start_line))


_Scored = tuple[float, Hit, Definition]


def _chosen(best: dict[Any, _Scored], limit: int, chunks: bool
            ) -> list[tuple[float, Hit, Definition, int, int]]:
    """The definitions that make the answer, with their lines: by score (equal scores, copies of
    one text, in file order: not by chunk ids, which depend on the index's history), none
    overlapping a better one of its file, at most `limit`."""
    out: list[tuple[float, Hit, Definition, int, int]] = []
    for score, h, d in sorted(best.values(),
                              key=lambda x: (-x[0], str(x[1].root), x[1].path, x[1].start_line)):
        own = d.whole and not chunks
        start, end = (d.start_line, d.end_line) if own else (h.start_line, h.end_line)
        if not any(o[3] <= end and start <= o[4] and o[1].path == h.path and o[1].root == h.root
                   for o in out):
            out.append((score, h, d, start, end))
        if len(out) == limit:
            break
    return out


def _kth(best: dict[Any, _Scored], k: int) -> float:
    """The k-th best score of `best` (before overlaps are taken out: an upper bound)."""
    return heapq.nlargest(k, (v[0] for v in best.values()))[-1]


def _pool(limit: int) -> int:
    """Chunks ranked to fill `limit` definition hits: several chunks of one definition, and
    overlapping windows, collapse into one."""
    return max(limit * CHUNKS_PER_HIT, MIN_CHUNKS)


def to_hit(root: Path, c: StoredChunk, score: float) -> Hit:
    return Hit(root, c.path, c.start_line, c.end_line, c.symbol, c.kind, c.language, score,
               c.text, c.id)


def _top(scored: list[tuple[float, _Key]], n: int) -> list[tuple[float, _Key]]:
    return sorted(scored, key=lambda sk: -sk[0])[:n]
