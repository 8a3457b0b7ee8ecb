"""Every chunk's sign bits and int8 vector held in memory: the SQLite store's vector search.

The sign bits are also held in memory (48 bytes a chunk at 384 dims: ~5 MB for 100k chunks),
where numpy counts bits faster than a vec0 KNN query with a large k; so are the stored int8
vectors (388 bytes a chunk: ~39 MB for 100k), which re-scoring reads 400 at a time (from
SQLite that was 5-10 ms a query at 100k chunks, from memory ~0.3). The index's `generation`
(sqlite_db.py) tells when they are stale: a write of this process moves them on itself
(`SignBits.follow`, a `Change`), one of another process has them read again.
Coarse: the hamming distance of sign bits picks candidates; exact: `rescore` ranks them by the
cosine of their float vectors.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# While the index keeps changing (indexing), the in-memory sign bits are reloaded at most this
# often; in between, queries go to vec0 (also exact about what is committed, only slower).
RELOAD_S = 2.0
LOAD_WAIT_S = 0.05  # how long a query waits for another thread's load before asking vec0

# what a load reads, in one transaction: the generation, every chunk's (id, vec0 sign bits) and
# (id, stored vector), ids ascending
Snapshot = tuple[str | None, Sequence[tuple[int, bytes]], Sequence[tuple[int, bytes]]]


@dataclass
class Change:
    """What one write did to the chunks, so that what is held in memory for one generation can
    follow it to the next without reading every chunk again (after an edit at 100k chunks a
    reload took 1.2 s, and the vec0 search meanwhile ~80 ms a query)."""

    removed: list[int] = field(default_factory=list)  # chunk ids deleted (or rewritten)
    added: list[tuple[int, bytes, bytes]] = field(default_factory=list)  # id, bits, vector
    chunks: int = 0  # chunks written, with a vector or not
    files: int = 0  # files added (1), deleted (-1) or neither (0)
    words: set[str] = field(default_factory=set)  # the indexed words of the chunks gone and new


@dataclass(frozen=True)
class Bits:
    """Every chunk's sign bits and stored vector, in memory, as of one `generation` of the
    index: those read at the last load (ids ascending), less the chunks gone since (`live`),
    plus those written since (`extra`, a small Bits of its own). A write costs what it
    changed, not a copy of the whole index; COMPACT chunks written since fold them in."""

    generation: str | None
    ids: np.ndarray  # (n,) int64 chunk ids, ascending
    words: np.ndarray  # (dim / 64, n) uint64, or (dim / 8, n) uint8: one row per word position
    loaded_at: float
    vector_ids: np.ndarray  # (m,) int64 chunk ids, ascending
    vectors: np.ndarray  # (m, 4 + dim) uint8: each chunk's stored vector (sqlite_db.encode_vector)
    live: np.ndarray | None = None  # (n,) bool: which of `ids` are still there (None: all)
    live_vectors: np.ndarray | None = None  # (m,) bool: the same for `vector_ids`
    extra: Bits | None = None  # written since the load (ids ascending, no `live` or `extra`)

    def nearest(self, query: np.ndarray, want: int) -> list[int]:
        """Ids of the `want` chunks whose sign bits are nearest to `query`'s (hamming); of
        equal distances at the cut, the smallest ids (what a fresh load's positions give)."""
        ids = self.ids if self.live is None else self.ids[self.live]
        if self.extra is not None:
            ids = np.concatenate([ids, self.extra.ids])
        if len(ids) <= want:
            return sorted(ids.tolist())
        q = np.packbits(np.asarray(query) > 0, bitorder="little").view(self.words.dtype)
        distance = hamming(self.words, q)
        if self.live is not None:
            distance = distance[self.live]
        if self.extra is not None:
            distance = np.concatenate([distance, hamming(self.extra.words, q)])
        counts = np.cumsum(np.bincount(distance))
        cut = int(np.searchsorted(counts, want))  # the distance at which `want` is reached
        inside = ids[distance < cut]
        tied = np.sort(ids[distance == cut])[: want - len(inside)]
        nearest: list[int] = np.concatenate([inside, tied]).tolist()
        return nearest

    def changed(self, generation: str, change: Change) -> Bits:
        """These bits after `change` (a write of this process), as of `generation`."""
        removed = np.asarray(change.removed, dtype=np.int64)
        added = _rows(change.added, self.words, self.vectors.shape[1])
        extra = self._extra()
        if len(removed):
            extra = extra.without(removed)
        if len(added.ids):
            extra = Bits(None, *_merged(extra.ids, extra.words, added.ids, added.words),
                         self.loaded_at, *_merged(extra.vector_ids, extra.vectors.T,
                                                  added.vector_ids, added.vectors.T, rows=True))
        bits = Bits(generation, self.ids, self.words, self.loaded_at, self.vector_ids,
                    self.vectors, _dead(self.live, self.ids, removed),
                    _dead(self.live_vectors, self.vector_ids, removed),
                    extra if len(extra.ids) or len(extra.vector_ids) else None)
        return bits.folded() if len(extra.ids) > COMPACT else bits

    def _extra(self) -> Bits:
        """The chunks written since the load (none: an empty Bits of the same widths)."""
        if self.extra is not None:
            return self.extra
        return _rows([], self.words, self.vectors.shape[1])

    def without(self, removed: np.ndarray) -> Bits:
        """These bits (with no `live` or `extra`) less the chunks `removed`."""
        keep, keep_vectors = ~np.isin(self.ids, removed), ~np.isin(self.vector_ids, removed)
        return Bits(self.generation, self.ids[keep], self.words[:, keep], self.loaded_at,
                    self.vector_ids[keep_vectors], self.vectors[keep_vectors])

    def folded(self) -> Bits:
        """The same bits with `live` and `extra` folded into plain arrays (what a reload would
        read)."""
        live = self.live if self.live is not None else slice(None)
        live_vectors = self.live_vectors if self.live_vectors is not None else slice(None)
        extra = self._extra()
        ids, words = _merged(self.ids[live], self.words[:, live], extra.ids, extra.words)
        vector_ids, vectors = _merged(self.vector_ids[live_vectors], self.vectors[live_vectors].T,
                                      extra.vector_ids, extra.vectors.T, rows=True)
        return Bits(self.generation, ids, words, self.loaded_at, vector_ids, vectors)

    def stored_vectors(self, ids: Sequence[int]) -> tuple[list[int], np.ndarray]:
        """(the ids of `ids` held here, ascending; their stored vectors, one row each)."""
        # sorted(set()), not np.unique: a few ids, and np.unique imports numpy.ma (~17 ms of a
        # CLI call)
        wanted = np.asarray(sorted(set(ids)), dtype=np.int64)
        held, rows = _lookup(self.vector_ids, self.vectors, self.live_vectors, wanted)
        if self.extra is not None:
            more, more_rows = _lookup(self.extra.vector_ids, self.extra.vectors, None, wanted)
            order = np.argsort(np.concatenate([held, more]), kind="stable")
            held = np.concatenate([held, more])[order]
            rows = np.concatenate([rows, more_rows])[order]
        return held.tolist(), rows


COMPACT = 4096  # chunks written since the last load that are folded into the arrays


def _rows(added: list[tuple[int, bytes, bytes]], like_words: np.ndarray, width: int) -> Bits:
    """A Bits of `added` rows (id, sign bits, stored vector), ids ascending."""
    ids = np.array([a[0] for a in added], dtype=np.int64)
    size = like_words.shape[0] * like_words.dtype.itemsize  # bytes of one chunk's bits
    words = np.frombuffer(b"".join(a[1] for a in added), dtype=np.uint8)
    words = words.reshape(len(added), size).view(like_words.dtype).T
    vectors = np.frombuffer(b"".join(a[2] for a in added), dtype=np.uint8)
    vectors = vectors.reshape(len(added), width)
    order = np.argsort(ids, kind="stable")
    return Bits(None, ids[order], np.ascontiguousarray(words[:, order]), 0.0, ids[order],
                vectors[order])


def _merged(ids: np.ndarray, columns: np.ndarray, more_ids: np.ndarray, more: np.ndarray,
            rows: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Two id-sorted sets of columns as one, ids ascending (`rows`: given transposed, and
    given back as rows)."""
    merged_ids, order = _sorted(np.concatenate([ids, more_ids]))
    merged = np.concatenate([columns, more], axis=1)[:, order]
    return merged_ids, np.ascontiguousarray(merged.T if rows else merged)


def _dead(live: np.ndarray | None, ids: np.ndarray, removed: np.ndarray) -> np.ndarray | None:
    """`live` (None: all) with the positions of `removed` among the ascending `ids` cleared."""
    at = np.searchsorted(ids, removed)
    found = at[(at < len(ids)) & (ids[np.minimum(at, len(ids) - 1)] == removed)] \
        if len(ids) else at[:0]
    if not len(found):
        return live
    out = np.ones(len(ids), dtype=bool) if live is None else live.copy()
    out[found] = False
    return out


def _lookup(ids: np.ndarray, rows: np.ndarray, live: np.ndarray | None, wanted: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """(the ids of `wanted`, ascending, held among the ascending `ids` and live; their rows)."""
    if not len(ids):
        return wanted[:0], rows[:0]
    at = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
    held = ids[at] == wanted
    if live is not None:
        held &= live[at]
    return wanted[held], rows[at[held]]


class SignBits:
    """The sign bits of one index, reloaded when its generation moves (not more often than
    RELOAD_S while it keeps moving)."""

    def __init__(self) -> None:
        self._bits: Bits | None = None
        self._lock = threading.Lock()
        # set while a load is on its way on another thread (Workspace.warm_in_background): a
        # question meanwhile asks vec0 rather than loading the bits a second time itself
        self.announced = threading.Event()

    @property
    def loaded(self) -> Bits | None:
        """The bits last loaded, if any."""
        return self._bits

    def clear(self) -> None:
        self._bits = None

    def follow(self, before: str, after: str, change: Change) -> None:
        """Move the bits from generation `before` to `after` by `change` (one write of this
        process); bits of any other generation are left to be reloaded."""
        with self._lock:
            bits = self._bits
            if bits is not None and bits.generation == before and len(bits.ids):
                self._bits = bits.changed(after, change)

    def current(self, generation: str | None, load: Callable[[], Snapshot],
                loader: bool = False) -> Bits | None:
        """The bits as of `generation` (or newer), read with `load` if they changed since;
        None when they changed but the last reload is too recent, a load is `announced` on
        another thread (`loader`: this is that load), or another thread holds them for longer
        than LOAD_WAIT_S (loading them takes ~1 s at 100k chunks; following a write, ~1 ms):
        vec0 answers instead of waiting."""
        bits = self._bits
        if bits is not None and bits.generation == generation:
            return bits
        if bits is not None and time.monotonic() - bits.loaded_at < RELOAD_S:
            return None
        if self.announced.is_set() and not loader:
            return None
        if not self._lock.acquire(timeout=LOAD_WAIT_S):
            return None
        try:
            current = self._bits
            if current is not bits:  # another thread reloaded meanwhile
                return current if current is not None and current.generation == generation \
                    else None
            loaded, rows, vectors = load()
            # vec0 bit vectors are packed like numpy's little-endian packbits of (v > 0)
            width = len(rows[0][1]) if rows else 0
            words = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.uint8)
            words = words.reshape(len(rows), width)
            if width % 8 == 0:
                words = words.view(np.uint64)
            words = np.ascontiguousarray(words.T)  # a row per word: ~15x faster to count
            ids, order = _sorted(np.fromiter((r[0] for r in rows), dtype=np.int64,
                                             count=len(rows)))
            words = np.ascontiguousarray(words[:, order])
            del rows
            vector_ids = np.fromiter((r[0] for r in vectors), dtype=np.int64, count=len(vectors))
            matrix = np.frombuffer(b"".join(r[1] for r in vectors), dtype=np.uint8)
            matrix = matrix.reshape(len(vectors), -1 if vectors else 0)
            self._bits = Bits(loaded, ids, words, time.monotonic(), vector_ids, matrix)
            return self._bits
        finally:
            self._lock.release()


def _sorted(ids: np.ndarray) -> tuple[np.ndarray, Any]:
    """`ids` ascending, and the order that sorts them (a slice when they already are)."""
    if len(ids) < 2 or bool(np.all(ids[1:] > ids[:-1])):
        return ids, slice(None)
    order = np.argsort(ids, kind="stable")
    return ids[order], order


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
