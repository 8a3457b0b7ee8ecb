"""The index of one workspace folder: one SQLite file with files, chunks, vectors and words
(sqlite_schema.py has the tables, sqlite_db.py the rows and connections, sqlite_chunks.py the
reads of chunks, bits.py the sign bits held in memory).

Writes come from one thread at a time and are transactional per file, so a crash leaves every
file either as it was or fully replaced. Readers on other threads get their own connections
(WAL mode). Vectors of two models are never mixed: `ensure_model` empties the index when the
model changes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils
from pysqlite3 import dbapi2 as sqlite3

from ..code.chunking import Chunk
from . import indexfile, sqlite_db, sqlite_schema
from .base import NO_FILTER, FileState, Filter, StoreError, keep_matching
from .bits import Bits, Change, SignBits, Snapshot, rescore
from .fts import FullText
from .sqlite_chunks import ChunkReads
from .sqlite_db import (
    Connections,
    bump_generation,
    decode_matrix,
    decode_vectors,
    encode_vector,
    in_parts,
    nearest_in_vec0,
)
from .sqlite_schema import FTS_SQL, MIGRATIONS

log = logging.getLogger(__name__)

VEC_KNN_MAX = 4096  # sqlite-vec refuses a KNN query with a larger k
# Unused vectors kept at least (~30 MB at 384 dims), so that a switch to a small branch and
# back does not embed the whole workspace again.
MIN_ORPHANS = 20_000


# ----------------------------------------------------------------------------- store


class Store(ChunkReads):
    """One workspace folder's index. Open with a path; `close()` when done."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if indexfile.classify(self.path) is indexfile.Kind.FOREIGN:
            raise StoreError(f"{self.path} is not a usable nearcode index: a folder or a file "
                             "nearcode did not write, which it leaves alone; choose another "
                             "index path")
        self.read_only = not indexfile.writable(self.path)  # e.g. a read-only cache folder
        if self.read_only and not self.path.is_file():
            raise StoreError(f"cannot create the index {self.path}: its folder cannot be "
                             "written (point NEARCODE_CACHE_DIR or --db somewhere writable)")
        self._conns = Connections(self.path, self.read_only)
        # False: coarse search in vec0 only (a process that asks once: Workspace.ask_once)
        self.memory_bits = True
        self.sign_bits = SignBits()
        self.fts = FullText(self._rows, lambda: self.meta("generation"),
                            lambda: self.counts()[1])
        self._counts: tuple[str | None, tuple[int, int]] | None = None  # per generation
        self._files: tuple[str | None, dict[str, FileState]] | None = None
        self._unembedded: tuple[str | None, int] | None = None
        db = self.db
        try:
            if self.read_only:
                sqlite_schema.check_migrated(db, self.path)
            else:
                MIGRATIONS.apply(db)
                sqlite_schema.check_terms_version(db)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise sqlite_db.failure(self.path, "opening", exc) from exc

    # -- connections

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection (opened on first use)."""
        return self._conns.db

    def close(self) -> None:
        self._conns.close()
        self.sign_bits.clear()

    def _write(self) -> AbstractContextManager[sqlite_utils.Database]:
        return self._conns.write()

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return self._conns.rows(sql, params)

    # -- model

    def meta(self, key: str) -> str | None:
        rows = self._rows("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def model_id(self) -> str | None:
        return self.meta("model_id")

    @property
    def dim(self) -> int | None:
        value = self.meta("dim")
        return int(value) if value else None

    def ensure_model(self, model_id: str, dim: int, rebuild: bool = False) -> bool:
        """Make the index hold vectors of `model_id`; empties it if it held another model's
        (or when `rebuild`). Returns True when it was emptied: everything is embedded again."""
        if not rebuild and self.model_id == model_id and self.dim == dim and self._has_vec_table():
            return False
        had = self.model_id
        with self._write() as db:
            db.execute("DROP TABLE IF EXISTS chunks_fts")
            db.execute(FTS_SQL)
            db.execute("DELETE FROM chunks")
            db.execute("DELETE FROM files")
            db.execute("DELETE FROM embeddings")
            db.execute("DROP TABLE IF EXISTS vec_bits")
            db.execute(f"CREATE VIRTUAL TABLE vec_bits USING vec0(embedding bit[{int(dim)}])")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('model_id', ?), ('dim', ?)",
                       (model_id, str(dim)))
            bump_generation(db)
        if had:
            log.info("model changed from %s to %s: the index will be rebuilt", had, model_id)
        return True

    def _has_vec_table(self) -> bool:
        return bool(self._rows("SELECT 1 FROM sqlite_master WHERE name = 'vec_bits'"))

    # -- files

    def file_states(self) -> dict[str, FileState]:
        """Every file's state (a copy of what was read at this generation of the index:
        completion context asks for it on every request)."""
        generation = self.meta("generation")
        cached = self._files
        if cached is None or cached[0] != generation or generation is None:
            rows = self._rows("SELECT path, size, mtime_ns, sha256, source FROM files")
            cached = (generation, {r[0]: FileState(*r) for r in rows})
            self._files = cached
        return dict(cached[1])

    def file_state(self, path: str) -> FileState | None:
        rows = self._rows(
            "SELECT path, size, mtime_ns, sha256, source FROM files WHERE path = ?", (path,))
        return FileState(*rows[0]) if rows else None

    def touch_file(self, path: str, size: int, mtime_ns: int) -> None:
        """Record a new mtime/size for a file whose content hash did not change."""
        with self._write() as db:
            after = bump_generation(db)  # file_states are cached per generation
            db.execute("UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?",
                       (size, mtime_ns, path))
        known = self._files[1].get(path) if self._files is not None else None
        self._follow(after, Change(), path, None if known is None else
                     replace(known, size=size, mtime_ns=mtime_ns))

    def replace_file(
        self, state: FileState, language: str, chunks: Sequence[Chunk],
        vectors: dict[str, np.ndarray],
    ) -> None:
        """Replace everything indexed for one file, in one transaction. A chunk whose hash
        `vectors` lacks is written with its words only, until `put_vectors` brings its vector."""
        with self._write() as db:
            after = bump_generation(db)
            change = sqlite_db.write_file(db, state, language, chunks, vectors, time.time())
        self._follow(after, change, state.path, state)

    def delete_file(self, path: str) -> None:
        with self._write() as db:
            after = bump_generation(db)
            file_id, removed, words = sqlite_db.delete_file(db, path)
        self._follow(after, Change(removed=removed, files=-1 if file_id else 0, words=words),
                     path, None)

    def _follow(self, after: str, change: Change, path: str | None = None,
                state: FileState | None = None) -> None:
        """Bring what this process holds per generation (sign bits, file states, counts, word
        counts) from the generation before its own write to the one the write made, instead
        of reading it all again: after an edit at 100k chunks that was 1.2 s (and vec0's
        ~80 ms a query until then). A cache of any other generation (another process wrote
        meanwhile) is left to be read again. `state`: the file's state now (None: deleted or
        unchanged)."""
        before = str(int(after) - 1)
        self.sign_bits.follow(before, after, change)
        self.fts.follow(before, after, change.words)
        files = self._files
        if files is not None and files[0] == before:
            states = dict(files[1])
            if path is not None and state is None and change.files < 0:
                states.pop(path, None)
            elif path is not None and state is not None:
                states[path] = state
            self._files = (after, states)
        counts = self._counts
        if counts is not None and counts[0] == before:
            n_files, n_chunks = counts[1]
            self._counts = (after, (n_files + change.files,
                                    n_chunks + change.chunks - len(change.removed)))

    # -- embedding cache

    def cached_vectors(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors already computed for these chunk hashes (`replace_file` marks them used)."""
        codes = sqlite_db.stored_codes(self._rows, list(dict.fromkeys(hashes)))
        if not codes:
            return {}
        return dict(zip(codes, decode_vectors(list(codes.values())), strict=True))

    def put_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        """Cache these vectors by hash and give them to the chunks of their hash that have
        none yet (written by the lexical tier)."""
        now = time.time()
        with self._write() as db:
            fresh = sqlite_db.new_hashes(db, list(vectors))
            attached = sqlite_db.attach_bits(db, {h: vectors[h] for h in fresh})
            after = bump_generation(db) if attached else None  # chunks gained vectors
            db.conn.executemany(
                "INSERT OR REPLACE INTO embeddings (hash, vector, used_at) VALUES (?, ?, ?)",
                [(h, encode_vector(v), now) for h, v in vectors.items()],
            )
        if after is not None:
            self._follow(after, Change(added=attached))

    def prune_cache(self, keep_orphans: int | None = None) -> int:
        """Drop the least recently used vectors that no chunk uses, keeping at most
        `keep_orphans` of them (default: as many as there are chunks, at least MIN_ORPHANS).
        Returns how many went."""
        live = self._rows("SELECT COUNT(*) FROM chunks")[0][0]
        keep = max(live, MIN_ORPHANS) if keep_orphans is None else keep_orphans
        orphans = self._rows(
            "SELECT hash FROM embeddings WHERE hash NOT IN (SELECT hash FROM chunks)"
            " ORDER BY used_at DESC"
        )
        drop = [r[0] for r in orphans[keep:]]
        if drop:
            with self._write() as db:
                for part, marks in in_parts(drop):
                    db.execute(f"DELETE FROM embeddings WHERE hash IN ({marks})", part)
        return len(drop)


    def unembedded_count(self) -> int:
        """How many chunks have no vector yet (cached per generation)."""
        generation = self.meta("generation")
        cached = self._unembedded
        if cached is None or cached[0] != generation or generation is None:
            n = self._rows("SELECT COUNT(*) FROM chunks c WHERE NOT EXISTS"
                           " (SELECT 1 FROM embeddings e WHERE e.hash = c.hash)")[0][0]
            cached = self._unembedded = (generation, int(n))
        return cached[1]

    def vectors_of(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Float vectors of these chunks, by ascending id (from memory when the sign bits
        loaded there are current, else from SQLite; the same numbers either way)."""
        out: dict[int, np.ndarray] = {}
        bits = self.sign_bits.loaded
        if bits is not None and ids and bits.generation == self.meta("generation"):
            held, stored = bits.stored_vectors(ids)
            if len(held) == len(set(ids)):
                return dict(zip(held, decode_matrix(stored), strict=True))
        for part, marks in in_parts(ids):
            rows = self._rows(
                f"SELECT c.id, e.vector FROM chunks c JOIN embeddings e ON e.hash = c.hash"
                f" WHERE c.id IN ({marks})", part,
            )
            if rows:
                out.update(zip([r[0] for r in rows], decode_vectors([r[1] for r in rows]),
                               strict=True))
        return out

    # -- candidates for retrieval

    def vector_candidates(
        self, query: np.ndarray, k: int, flt: Filter = NO_FILTER, pool: int = 400,
    ) -> list[tuple[int, float]]:
        """Chunk ids and cosine similarities of the `k` best matches to the unit vector `query`.

        Coarse: hamming distance on sign bits (vec0) picks `pool` candidates; exact: their float
        vectors are re-scored. With a filter the pool grows, and if too few pass, every chunk
        that passes is scored exactly."""
        if not self._has_vec_table():
            return []
        want = min(max(pool, k * 4) * (8 if flt else 1), VEC_KNN_MAX)
        coarse = self._coarse(query, want)
        ids = [cid for cid in coarse if cid not in flt.exclude_ids]
        ids = self._filter_ids(ids, flt)
        if flt and len(ids) < k and len(coarse) >= want:
            ids = self._filter_ids(self._all_ids(flt), flt)
        return rescore(self.vectors_of(ids), query, k)

    def warm(self) -> None:
        """Load the sign bits and vectors into memory now (a server at start, in the
        background), so that the first question does not pay the load (~1 s at 100k chunks);
        a question asked meanwhile goes to vec0. Ends the load `sign_bits.announced`."""
        try:
            if self.memory_bits and self._has_vec_table():
                self._bits_now(loader=True)
        finally:
            self.sign_bits.announced.clear()

    def _bits_now(self, loader: bool = False) -> Bits | None:
        return self.sign_bits.current(self.meta("generation"), self._snapshot, loader)

    def _snapshot(self) -> Snapshot:
        """The generation, every chunk's sign bits and every stored vector, read in one
        transaction: a write that commits during the load (~1 s at 100k chunks, beside the
        indexer's) is in all three or in none, so following it later counts it once."""
        with self._conns.snapshot():
            return self.meta("generation"), self._bit_rows(), self._vector_rows()

    def _coarse(self, query: np.ndarray, want: int) -> list[int]:
        """Ids of the `want` chunks whose sign bits are nearest to `query`'s (hamming)."""
        bits = self._bits_now() if self.memory_bits else None
        if bits is None:
            return nearest_in_vec0(self._rows, query, want, VEC_KNN_MAX)
        return bits.nearest(query, want)

    def _bit_rows(self) -> list[tuple[Any, ...]]:
        return self._rows("SELECT rowid, embedding FROM vec_bits")

    def _vector_rows(self) -> list[tuple[Any, ...]]:
        return self._rows("SELECT c.id, e.vector FROM chunks c JOIN embeddings e"
                          " ON e.hash = c.hash ORDER BY c.id")

    def _all_ids(self, flt: Filter) -> list[int]:
        sql, params = "SELECT id FROM chunks", []
        if flt.languages:
            sql += f" WHERE language IN ({','.join('?' * len(flt.languages))})"
            params = list(flt.languages)
        return [r[0] for r in self._rows(sql, params) if r[0] not in flt.exclude_ids]

    def _filter_ids(self, ids: list[int], flt: Filter) -> list[int]:
        if not flt or not ids:
            return ids
        return keep_matching(ids, self.chunks_by_id(ids), flt)

    def document_frequency(self, word: str) -> int:
        """How many chunks hold `word` (cached; see fts.py)."""
        return self.fts.document_frequency(word)

    def lexical_ceiling(self, words: Sequence[str]) -> float:
        """Half the summed BM25 idf of the query words: about the score of a chunk that holds
        half of what the query says. Retrieval divides BM25 scores by at least this, so that
        the best of a few incidental word matches does not count as a full match."""
        return self.fts.ceiling(words)

    def lexical_candidates(
        self, words: Sequence[str], k: int, flt: Filter = NO_FILTER,
    ) -> list[tuple[int, float]]:
        """Chunk ids and BM25 scores (higher is better) of the best full-text matches, for
        the query's rarest words (fts.py)."""
        return self.fts.candidates(words, k, flt, self._filter_ids)

    # -- status

    def counts(self) -> tuple[int, int]:
        """(files, chunks) in the index."""
        generation = self.meta("generation")
        if self._counts is None or self._counts[0] != generation or generation is None:
            files = self._rows("SELECT COUNT(*) FROM files")[0][0]
            chunks = self._rows("SELECT COUNT(*) FROM chunks")[0][0]
            self._counts = (generation, (int(files), int(chunks)))
        return self._counts[1]

    def check(self) -> list[str]:
        """Consistency problems (empty when the index is sound); used by tests and `status`."""
        problems = []
        for (msg,) in self._rows("PRAGMA quick_check"):
            if msg != "ok":
                problems.append(msg)
        n_chunks = self._rows("SELECT COUNT(*) FROM chunks")[0][0]
        n_fts = self._rows("SELECT COUNT(*) FROM chunks_fts_docsize")[0][0]
        if n_fts != n_chunks:
            problems.append(f"{n_chunks} chunks but {n_fts} full-text rows")
        if self._has_vec_table():  # bits exactly for the chunks that have a vector
            n_vec = self._rows("SELECT COUNT(*) FROM vec_bits")[0][0]
            n_embedded = n_chunks - self._rows(
                "SELECT COUNT(*) FROM chunks WHERE hash NOT IN (SELECT hash FROM embeddings)"
            )[0][0]
            if n_vec != n_embedded:
                problems.append(f"{n_embedded} chunks with a vector but {n_vec} sign bits")
        return problems
