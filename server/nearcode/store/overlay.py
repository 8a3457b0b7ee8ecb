"""A shared index with the user's own changes on top.

A team's index lives in PostgreSQL, built by CI from some commit. A developer's checkout
differs from it by uncommitted edits, new and deleted files, and commits not yet indexed. The
`OverlayStore` reads the shared index but *shadows* every path that differs: those paths are
answered from a local SQLite index that holds only them. Which paths differ is what the
indexer finds as usual (a file whose content hash differs from the shared index's is indexed
again, a file gone from disk is deleted), and what the editor and the watcher report as the
user works; everything the indexer writes goes to the local index, never to the shared one.

Chunk ids of the two indexes are told apart by sign: local ids as they are, shared ids negated.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Iterable, Sequence

import numpy as np

from ..code.chunking import Chunk
from .base import NO_FILTER, FileState, Filter, StoredChunk
from .pg import PgStore
from .sqlite import Store

log = logging.getLogger(__name__)


def _shared_id(cid: int) -> int:
    return -cid


class OverlayStore:
    """The store interface over a shared PgStore and a local SQLite Store of changed paths."""

    def __init__(self, shared: PgStore, local: Store) -> None:
        self.shared = shared
        self.local = local
        self.path = f"{shared.path} + {local.path}"
        self._shadowed: set[str] = set(local.file_states()) | set(
            (local.meta("overlay_deleted") or "").split("\n")) - {""}
        self._lock = threading.Lock()

    @property
    def read_only(self) -> bool:
        return self.local.read_only

    # -- which paths are ours

    @property
    def shadowed(self) -> set[str]:
        with self._lock:
            return set(self._shadowed)

    def shadow(self, paths: Iterable[str]) -> None:
        with self._lock:
            self._shadowed |= set(paths)

    def unshadow(self, paths: Iterable[str]) -> None:
        """Paths that match the shared index again: their local rows go."""
        for p in paths:
            self.local.delete_file(p)
        with self._lock:
            self._shadowed -= set(paths)
        self._save_deleted()

    def _save_deleted(self) -> None:
        deleted = self.shadowed - set(self.local.file_states())
        self.local.set_meta("overlay_deleted", "\n".join(sorted(deleted)))

    def _visible_shared(self, ids: Sequence[int]) -> list[int]:
        chunks = self.shared.chunks_by_id(ids)
        hidden = self.shadowed
        return [i for i in ids if i in chunks and chunks[i].path not in hidden]

    # -- meta and model

    def meta(self, key: str) -> str | None:
        """The local index's value, else the shared one's (revision and branch: always the
        shared index's, the commit the overlay is relative to)."""
        if key in ("revision", "branch"):
            return self.shared.meta(key)
        return self.local.meta(key) or self.shared.meta(key)

    def set_meta(self, key: str, value: str) -> None:
        self.local.set_meta(key, value)

    @property
    def model_id(self) -> str | None:
        return self.local.model_id

    @property
    def dim(self) -> int | None:
        return self.local.dim

    def ensure_model(self, model_id: str, dim: int, rebuild: bool = False) -> bool:
        if self.shared.model_id != model_id:
            log.warning("the shared index holds %s, not %s: its results are left out",
                        self.shared.model_id, model_id)
        return self.local.ensure_model(model_id, dim, rebuild)

    def _shared_usable(self) -> bool:
        return self.shared.model_id == self.local.model_id

    # -- files (writes go to the local index)

    def file_states(self) -> dict[str, FileState]:
        hidden = self.shadowed
        states = {p: s for p, s in self.shared.file_states().items() if p not in hidden}
        states.update(self.local.file_states())
        return states

    def file_state(self, path: str) -> FileState | None:
        if path in self.shadowed:
            return self.local.file_state(path)
        return self.shared.file_state(path)

    def touch_file(self, path: str, size: int, mtime_ns: int) -> None:
        self.local.touch_file(path, size, mtime_ns)

    def replace_file(self, state: FileState, language: str, chunks: Sequence[Chunk],
                     vectors: dict[str, np.ndarray]) -> None:
        self.shadow([state.path])
        self.local.replace_file(state, language, chunks, vectors)

    def delete_file(self, path: str) -> None:
        self.shadow([path])  # deleted here, maybe still in the shared index: hide it
        self.local.delete_file(path)
        self._save_deleted()

    def cached_vectors(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        wanted = list(hashes)
        found = self.local.cached_vectors(wanted)
        missing = [h for h in wanted if h not in found]
        if missing and self._shared_usable():
            borrowed = self.shared.cached_vectors(missing)
            if borrowed:  # the local index keeps its own copy: its chunks need them
                self.local.put_vectors(borrowed)
                found.update(borrowed)
        return found

    def put_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        self.local.put_vectors(vectors)

    def prune_cache(self, keep_orphans: int | None = None) -> int:
        return self.local.prune_cache(keep_orphans)

    def unembedded(self, limit: int) -> list[StoredChunk]:
        return self.local.unembedded(limit)  # the shared index is written whole, by CI

    def unembedded_count(self) -> int:
        return self.local.unembedded_count()

    # -- reading

    def chunks_by_id(self, ids: Sequence[int]) -> dict[int, StoredChunk]:
        out = self.local.chunks_by_id([i for i in ids if i > 0])
        shared = self.shared.chunks_by_id([_shared_id(i) for i in ids if i < 0])
        out.update((_shared_id(i), _renumber(c)) for i, c in shared.items())
        return out

    def _store_for(self, path: str) -> Store | PgStore:
        return self.local if path in self.shadowed else self.shared

    def chunks_of_file(self, path: str) -> list[StoredChunk]:
        store = self._store_for(path)
        chunks = store.chunks_of_file(path)
        return chunks if store is self.local else [_renumber(c) for c in chunks]

    def chunk_at(self, path: str, line: int) -> StoredChunk | None:
        store = self._store_for(path)
        c = store.chunk_at(path, line)
        return c if c is None or store is self.local else _renumber(c)

    def chunks_by_symbol(self, names: Sequence[str], limit: int = 50) -> list[StoredChunk]:
        hidden = self.shadowed
        shared = [_renumber(c) for c in self.shared.chunks_by_symbol(names, limit)
                  if c.path not in hidden] if self._shared_usable() else []
        return (self.local.chunks_by_symbol(names, limit) + shared)[:limit]

    def definitions(self, min_lines: int, not_kinds: Collection[str]) -> list[StoredChunk]:
        hidden = self.shadowed
        shared = [_renumber(c) for c in self.shared.definitions(min_lines, not_kinds)
                  if c.path not in hidden] if self._shared_usable() else []
        return sorted(self.local.definitions(min_lines, not_kinds) + shared,
                      key=lambda c: (c.path, c.start_line))

    def vectors_of(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        out = self.local.vectors_of([i for i in ids if i > 0])
        shared = self.shared.vectors_of([_shared_id(i) for i in ids if i < 0])
        out.update((_shared_id(i), v) for i, v in shared.items())
        return out

    def vector_candidates(self, query: np.ndarray, k: int, flt: Filter = NO_FILTER,
                          pool: int = 400) -> list[tuple[int, float]]:
        local = self.local.vector_candidates(query, k, _local_filter(flt), pool)
        shared = self._shared_candidates(
            lambda f, n: self.shared.vector_candidates(query, n, f, pool), flt, k)
        return sorted(local + shared, key=lambda cs: -cs[1])[:k]

    def lexical_ceiling(self, words: Sequence[str]) -> float:
        return 0.0  # the scores below are already relative to each index's best

    def lexical_candidates(self, words: Sequence[str], k: int, flt: Filter = NO_FILTER
                           ) -> list[tuple[int, float]]:
        """Each index's matches scaled by its own best (FTS5 BM25 and ts_rank are on
        different scales), then merged."""
        local = _relative(self.local.lexical_candidates(words, k, _local_filter(flt)))
        shared = _relative(self._shared_candidates(
            lambda f, n: self.shared.lexical_candidates(words, n, f), flt, k))
        return sorted(local + shared, key=lambda cs: -cs[1])[:k]

    def _shared_candidates(self, query, flt: Filter, k: int) -> list[tuple[int, float]]:  # type: ignore[no-untyped-def]
        if not self._shared_usable():
            return []
        excluded = frozenset(_shared_id(i) for i in flt.exclude_ids if i < 0)
        found = query(Filter(flt.languages, flt.paths, excluded), k + len(self.shadowed))
        visible = set(self._visible_shared([cid for cid, _ in found]))
        return [(_shared_id(cid), s) for cid, s in found if cid in visible][:k]

    # -- status

    def counts(self) -> tuple[int, int]:
        """Files exactly; chunks of the shared index counted as if nothing were shadowed."""
        files = len(self.file_states())
        return files, self.shared.counts()[1] + self.local.counts()[1]

    def check(self) -> list[str]:
        return self.local.check() + self.shared.check()

    def close(self) -> None:
        self.local.close()
        self.shared.close()


def _renumber(c: StoredChunk) -> StoredChunk:
    return StoredChunk(_shared_id(c.id), c.path, c.language, c.start_line, c.end_line,
                       c.symbol, c.kind, c.hash, c.text)


def _local_filter(flt: Filter) -> Filter:
    return Filter(flt.languages, flt.paths, frozenset(i for i in flt.exclude_ids if i > 0))


def _relative(scored: list[tuple[int, float]]) -> list[tuple[int, float]]:
    best = max((s for _, s in scored), default=0.0)
    return [(cid, s / best if best > 0 else 0.0) for cid, s in scored]
