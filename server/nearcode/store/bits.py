"""Every chunk's sign bits and int8 vector held in memory: the SQLite store's vector search.

The sign bits are also held in memory (48 bytes a chunk at 384 dims: ~5 MB for 100k chunks),
where numpy counts bits faster than a vec0 KNN query with a large k; so are the stored int8
vectors (388 bytes a chunk: ~39 MB for 100k), which re-scoring reads 400 at a time (from
SQLite that was 5-10 ms a query at 100k chunks, from memory ~0.3). The index's `generation`
(sqlite_db.py) tells when to reload them.
Coarse: the hamming distance of sign bits picks candidates; exact: `rescore` ranks them by the
cosine of their float vectors.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# While the index keeps changing (indexing), the in-memory sign bits are reloaded at most this
# often; in between, queries go to vec0 (also exact about what is committed, only slower).
RELOAD_S = 2.0


@dataclass(frozen=True)
class Bits:
    """Every chunk's sign bits, in memory, as of one `generation` of the index."""

    generation: str | None
    ids: np.ndarray  # (n,) int64 chunk ids
    words: np.ndarray  # (dim / 64, n) uint64, or (dim / 8, n) uint8: one row per word position
    loaded_at: float
    vector_ids: np.ndarray  # (m,) int64 chunk ids, ascending
    vectors: np.ndarray  # (m, 4 + dim) uint8: each chunk's stored vector (sqlite_db.encode_vector)

    def nearest(self, query: np.ndarray, want: int) -> list[int]:
        """Ids of the `want` chunks whose sign bits are nearest to `query`'s (hamming)."""
        if len(self.ids) <= want:
            return list(self.ids.tolist())
        q = np.packbits(np.asarray(query) > 0, bitorder="little").view(self.words.dtype)
        return list(self.ids[nearest_positions(hamming(self.words, q), want)].tolist())

    def stored_vectors(self, ids: Sequence[int]) -> tuple[list[int], np.ndarray]:
        """(the ids of `ids` held here, ascending; their stored vectors, one row each)."""
        wanted = np.unique(np.asarray(ids, dtype=np.int64))
        at = np.minimum(np.searchsorted(self.vector_ids, wanted), len(self.vector_ids) - 1)
        held = self.vector_ids[at] == wanted if len(self.vector_ids) else wanted < 0
        return wanted[held].tolist(), self.vectors[at[held]]


class SignBits:
    """The sign bits of one index, reloaded when its generation moves (not more often than
    RELOAD_S while it keeps moving)."""

    def __init__(self) -> None:
        self._bits: Bits | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> Bits | None:
        """The bits last loaded, if any."""
        return self._bits

    def clear(self) -> None:
        self._bits = None

    def current(self, generation: str | None, load: Callable[[], Sequence[tuple[int, bytes]]],
                load_vectors: Callable[[], Sequence[tuple[int, bytes]]]) -> Bits | None:
        """The bits as of `generation`, read with `load` (rows of chunk id and vec0 bit
        vector) and `load_vectors` (chunk id and stored vector, by id) if they changed since;
        None when they changed but the last reload is too recent (vec0 answers instead)."""
        bits = self._bits
        if bits is not None and bits.generation == generation:
            return bits
        if bits is not None and time.monotonic() - bits.loaded_at < RELOAD_S:
            return None
        with self._lock:
            current = self._bits
            if current is not bits:  # another thread reloaded meanwhile
                return current if current is not None and current.generation == generation \
                    else None
            # vec0 bit vectors are packed like numpy's little-endian packbits of (v > 0)
            rows = load()
            width = len(rows[0][1]) if rows else 0
            words = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.uint8)
            words = words.reshape(len(rows), width)
            if width % 8 == 0:
                words = words.view(np.uint64)
            words = np.ascontiguousarray(words.T)  # a row per word: ~15x faster to count
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            del rows
            vectors = load_vectors()
            vector_ids = np.fromiter((r[0] for r in vectors), dtype=np.int64, count=len(vectors))
            matrix = np.frombuffer(b"".join(r[1] for r in vectors), dtype=np.uint8)
            matrix = matrix.reshape(len(vectors), -1 if vectors else 0)
            self._bits = Bits(generation, ids, words, time.monotonic(), vector_ids, matrix)
            return self._bits


def nearest_positions(distance: np.ndarray, want: int) -> np.ndarray:
    """Positions of the `want` smallest of `distance` (small integers: bit counts), ties at
    the cut taken in position order. A count of each distance finds the cut: 3x faster than
    argpartition at 100k chunks, and which of equal candidates is kept no longer depends on
    a partition's pivots."""
    counts = np.cumsum(np.bincount(distance))
    cut = int(np.searchsorted(counts, want))  # the distance at which `want` is reached
    inside = np.flatnonzero(distance < cut)
    return np.concatenate([inside, np.flatnonzero(distance == cut)[: want - len(inside)]])


def hamming(words: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Hamming distances of the columns of `words` ((w, n) words of sign bits) to `query` (w)."""
    distance: np.ndarray = np.bitwise_count(words ^ query[:, None]).sum(axis=0, dtype=np.uint16)
    return distance


def rescore(vectors: dict[int, np.ndarray], query: np.ndarray, k: int) -> list[tuple[int, float]]:
    if not vectors:
        return []
    ids = np.fromiter(vectors.keys(), dtype=np.int64, count=len(vectors))
    matrix = np.stack(list(vectors.values()))
    # einsum, not `matrix @ query`: BLAS sums a row differently by its place in the matrix
    # (1e-7 apart), so equal chunks would score apart, in an order that depends on history
    scores = np.einsum("ij,j->i", matrix, np.asarray(query, dtype=np.float32))
    order = np.argsort(-scores, kind="stable")[:k]
    return [(int(ids[i]), float(scores[i])) for i in order]
