"""The index of one workspace folder: one SQLite file with files, chunks, vectors and words.

Tables (numbered migrations in `_MIGRATIONS`):
  meta        key/value: model_id, dim
  files       path (posix, relative to the folder), size, mtime_ns, sha256, source
  chunks      span, symbol, kind, language, hash of the embedded text, text
  embeddings  hash -> vector: float32 little-endian blob of `dim` values, norm 1. This is also
              the embedding cache: a chunk whose hash is here is never embedded again (renames,
              branch switches), and orphans are pruned only beyond a bound.
  chunks_fts  FTS5 over symbol, path and identifier-split text (rowid = chunk id)
  vec_bits    sqlite-vec vec0 of sign bits (rowid = chunk id): a fast coarse search whose
              candidates are re-scored exactly with the float vectors

The sign bits are also held in memory (48 bytes a chunk at 384 dims: ~5 MB for 100k chunks),
where numpy counts bits faster than a vec0 KNN query with a large k. A `generation` counter in
`meta`, bumped by every write that changes chunks (from any process), tells when to reload them.

Writes come from one thread at a time and are transactional per file, so a crash leaves every
file either as it was or fully replaced. Readers on other threads get their own connections
(WAL mode). Vectors of two models are never mixed: `ensure_model` empties the index when the
model changes.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sqlite_utils
import sqlite_vec
from pysqlite3 import dbapi2 as sqlite3

from ..code import lexical
from ..code.chunking import Chunk
from . import indexfile
from .base import NO_FILTER, FileState, Filter, StoredChunk, StoreError, keep_matching

log = logging.getLogger(__name__)

VECTOR_DTYPE = np.dtype("<f4")
FTS_WEIGHTS = (2.0, 0.5, 1.0)  # BM25 weight of a match in the symbol, path and body columns
COMMON_WORD = 0.25  # share of chunks above which a query word is too common to search for
VEC_KNN_MAX = 4096  # sqlite-vec refuses a KNN query with a larger k
# While the index keeps changing (indexing), the in-memory sign bits are reloaded at most this
# often; in between, queries go to vec0 (also exact about what is committed, only slower).
BITS_RELOAD_S = 2.0
# Unused vectors kept at least (~30 MB at 384 dims), so that a switch to a small branch and
# back does not embed the whole workspace again.
MIN_ORPHANS = 20_000


@dataclass(frozen=True)
class _Bits:
    """Every chunk's sign bits, in memory, as of one `generation` of the index."""

    generation: str | None
    ids: np.ndarray  # (n,) int64 chunk ids
    words: np.ndarray  # (dim / 64, n) uint64, or (dim / 8, n) uint8: one row per word position
    loaded_at: float


# ----------------------------------------------------------------------------- migrations

_MIGRATIONS = sqlite_utils.Migrations("nearcode")


@_MIGRATIONS(name="m001_initial")
def _m001_initial(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE files (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            language TEXT NOT NULL,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT 'disk',
            indexed_at REAL NOT NULL
        );
        CREATE TABLE chunks (
            id INTEGER PRIMARY KEY,
            file_id INTEGER NOT NULL REFERENCES files(id),
            start_line INTEGER NOT NULL,
            end_line INTEGER NOT NULL,
            symbol TEXT,
            kind TEXT NOT NULL,
            language TEXT NOT NULL,
            hash TEXT NOT NULL,
            text TEXT NOT NULL
        );
        CREATE INDEX chunks_file ON chunks(file_id, start_line);
        CREATE INDEX chunks_hash ON chunks(hash);
        CREATE TABLE embeddings (
            hash TEXT PRIMARY KEY,
            vector BLOB NOT NULL,
            used_at REAL NOT NULL
        );
        CREATE VIRTUAL TABLE chunks_fts USING fts5(
            symbol, path, body, tokenize = 'porter unicode61 remove_diacritics 2'
        );
        """
    )


# ----------------------------------------------------------------------------- store


class Store:
    """One workspace folder's index. Open with a path; `close()` when done."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if indexfile.classify(self.path) is indexfile.Kind.FOREIGN:
            raise StoreError(f"{self.path} is not a usable nearcode index: a folder or a file "
                             "nearcode did not write, which it leaves alone; choose another "
                             "index path")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self.memory_bits = True  # False: coarse search in vec0 only (benchmarks compare both)
        self._bits: _Bits | None = None
        self._bits_lock = threading.Lock()
        self._df: dict[str, int] = {}  # document frequency of query words, per generation
        self._df_generation: str | None = None
        db = self.db
        try:
            _MIGRATIONS.apply(db)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(f"{self.path} is not a usable nearcode index ({exc})") from exc

    # -- connections

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection (opened on first use)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite_utils.Database(self._connect())
            self._local.db = db
        return db

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None,
                                   check_same_thread=False)
            conn.enable_load_extension(True)
            sqlite_vec.load(conn)
            conn.enable_load_extension(False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a usable nearcode index ({exc})") from exc
        with self._conns_lock:
            self._conns.append(conn)
        return conn

    def close(self) -> None:
        with self._conns_lock:
            for conn in self._conns:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._conns.clear()
        self._local = threading.local()
        self._bits = None

    @contextmanager
    def _write(self) -> Iterator[sqlite_utils.Database]:
        db = self.db
        try:
            with db.atomic():
                yield db
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"writing {self.path} failed: {exc}") from exc

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        try:
            return self.db.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"reading {self.path} failed: {exc}") from exc

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
            db.execute("DELETE FROM chunks_fts")
            db.execute("DELETE FROM chunks")
            db.execute("DELETE FROM files")
            db.execute("DELETE FROM embeddings")
            db.execute("DROP TABLE IF EXISTS vec_bits")
            db.execute(f"CREATE VIRTUAL TABLE vec_bits USING vec0(embedding bit[{int(dim)}])")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('model_id', ?), ('dim', ?)",
                       (model_id, str(dim)))
            _bump_generation(db)
        if had:
            log.info("model changed from %s to %s: the index will be rebuilt", had, model_id)
        return True

    def _has_vec_table(self) -> bool:
        return bool(self._rows("SELECT 1 FROM sqlite_master WHERE name = 'vec_bits'"))

    # -- files

    def file_states(self) -> dict[str, FileState]:
        rows = self._rows("SELECT path, size, mtime_ns, sha256, source FROM files")
        return {r[0]: FileState(*r) for r in rows}

    def file_state(self, path: str) -> FileState | None:
        rows = self._rows(
            "SELECT path, size, mtime_ns, sha256, source FROM files WHERE path = ?", (path,))
        return FileState(*rows[0]) if rows else None

    def touch_file(self, path: str, size: int, mtime_ns: int) -> None:
        """Record a new mtime/size for a file whose content hash did not change."""
        with self._write() as db:
            db.execute("UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?",
                       (size, mtime_ns, path))

    def replace_file(
        self, state: FileState, language: str, chunks: Sequence[Chunk],
        vectors: dict[str, np.ndarray],
    ) -> None:
        """Replace everything indexed for one file, in one transaction.

        `vectors` must hold a vector for every chunk hash (see `put_vectors`)."""
        now = time.time()
        with self._write() as db:
            _bump_generation(db)
            file_id = self._delete_file(db, state.path)
            cur = db.execute(
                "INSERT INTO files (id, path, language, size, mtime_ns, sha256, source, indexed_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (file_id, state.path, language, state.size, state.mtime_ns, state.sha256,
                 state.source, now),
            )
            file_id = file_id or cur.lastrowid
            db.conn.executemany("UPDATE embeddings SET used_at = ? WHERE hash = ?",
                                [(now, h) for h in {c.hash for c in chunks}])
            for c in chunks:
                cur = db.execute(
                    "INSERT INTO chunks (file_id, start_line, end_line, symbol, kind, language,"
                    " hash, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (file_id, c.start_line, c.end_line, c.symbol, c.kind, c.language, c.hash,
                     c.text),
                )
                chunk_id = cur.lastrowid
                db.execute(
                    "INSERT INTO chunks_fts (rowid, symbol, path, body) VALUES (?, ?, ?, ?)",
                    (chunk_id, lexical.index_text(c.symbol or ""), lexical.index_text(c.path),
                     lexical.index_text(c.text)),
                )
                db.execute(
                    "INSERT INTO vec_bits (rowid, embedding) VALUES (?, vec_quantize_binary(?))",
                    (chunk_id, _blob(vectors[c.hash])),
                )

    def delete_file(self, path: str) -> None:
        with self._write() as db:
            _bump_generation(db)
            self._delete_file(db, path)

    @staticmethod
    def _delete_file(db: sqlite_utils.Database, path: str) -> int | None:
        row = db.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
        if row is None:
            return None
        file_id = row[0]
        ids = [r[0] for r in db.execute("SELECT id FROM chunks WHERE file_id = ?", (file_id,))]
        for chunk_id in ids:
            db.execute("DELETE FROM chunks_fts WHERE rowid = ?", (chunk_id,))
            db.execute("DELETE FROM vec_bits WHERE rowid = ?", (chunk_id,))
        db.execute("DELETE FROM chunks WHERE file_id = ?", (file_id,))
        db.execute("DELETE FROM files WHERE id = ?", (file_id,))
        return int(file_id)

    # -- embedding cache

    def cached_vectors(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors already computed for these chunk hashes (`replace_file` marks them used)."""
        wanted = list(dict.fromkeys(hashes))
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            marks = ",".join("?" * len(part))
            for h, blob in self._rows(
                f"SELECT hash, vector FROM embeddings WHERE hash IN ({marks})", part
            ):
                out[h] = np.frombuffer(blob, dtype=VECTOR_DTYPE)
        return out

    def put_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        now = time.time()
        with self._write() as db:
            db.conn.executemany(
                "INSERT OR REPLACE INTO embeddings (hash, vector, used_at) VALUES (?, ?, ?)",
                [(h, _blob(v), now) for h, v in vectors.items()],
            )

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
                for i in range(0, len(drop), 500):
                    part = drop[i : i + 500]
                    marks = ",".join("?" * len(part))
                    db.execute(f"DELETE FROM embeddings WHERE hash IN ({marks})",
                               part)
        return len(drop)

    # -- reading chunks

    _CHUNK_SQL = (
        "SELECT c.id, f.path, c.language, c.start_line, c.end_line, c.symbol, c.kind, c.hash,"
        " c.text FROM chunks c JOIN files f ON f.id = c.file_id"
    )

    def chunks_by_id(self, ids: Sequence[int]) -> dict[int, StoredChunk]:
        out: dict[int, StoredChunk] = {}
        for i in range(0, len(ids), 500):
            part = list(ids[i : i + 500])
            marks = ",".join("?" * len(part))
            for row in self._rows(f"{self._CHUNK_SQL} WHERE c.id IN ({marks})", part):
                out[row[0]] = StoredChunk(*row)
        return out

    def chunks_of_file(self, path: str) -> list[StoredChunk]:
        rows = self._rows(f"{self._CHUNK_SQL} WHERE f.path = ? ORDER BY c.start_line", (path,))
        return [StoredChunk(*r) for r in rows]

    def chunk_at(self, path: str, line: int) -> StoredChunk | None:
        """The chunk of `path` that holds 1-based `line` (the innermost if windows overlap)."""
        rows = self._rows(
            f"{self._CHUNK_SQL} WHERE f.path = ? AND c.start_line <= ? AND c.end_line >= ?"
            " ORDER BY c.end_line - c.start_line LIMIT 1",
            (path, line, line),
        )
        return StoredChunk(*rows[0]) if rows else None

    def chunks_by_symbol(self, names: Sequence[str], limit: int = 50) -> list[StoredChunk]:
        """Chunks whose symbol is one of `names` or ends with `.name`."""
        if not names:
            return []
        cond = " OR ".join(["c.symbol = ? OR c.symbol LIKE ?"] * len(names))
        params: list[object] = []
        for n in names:
            params += [n, f"%.{n}"]
        rows = self._rows(f"{self._CHUNK_SQL} WHERE {cond} LIMIT ?", [*params, limit])
        return [StoredChunk(*r) for r in rows]

    def vectors_of(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Float vectors of these chunks."""
        out: dict[int, np.ndarray] = {}
        for i in range(0, len(ids), 500):
            part = list(ids[i : i + 500])
            marks = ",".join("?" * len(part))
            for cid, blob in self._rows(
                f"SELECT c.id, e.vector FROM chunks c JOIN embeddings e ON e.hash = c.hash"
                f" WHERE c.id IN ({marks})", part,
            ):
                out[cid] = np.frombuffer(blob, dtype=VECTOR_DTYPE)
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
        return _rescore(self.vectors_of(ids), query, k)

    def _coarse(self, query: np.ndarray, want: int) -> list[int]:
        """Ids of the `want` chunks whose sign bits are nearest to `query`'s (hamming)."""
        bits = self._memory_bits() if self.memory_bits else None
        if bits is None:
            rows = self._rows(
                "SELECT rowid FROM vec_bits WHERE embedding MATCH vec_quantize_binary(?)"
                " AND k = ?", (_blob(query), want))
            return [r[0] for r in rows]
        if len(bits.ids) <= want:
            return bits.ids.tolist()
        q = np.packbits(np.asarray(query) > 0, bitorder="little").view(bits.words.dtype)
        distance = _hamming(bits.words, q)
        return bits.ids[np.argpartition(distance, want - 1)[:want]].tolist()  # order: re-scored

    def _memory_bits(self) -> _Bits | None:
        """The sign bits in memory, reloaded if the index changed since; None when it changed
        but the last reload is too recent (vec0 answers instead)."""
        generation = self.meta("generation")
        bits = self._bits
        if bits is not None and bits.generation == generation:
            return bits
        if bits is not None and time.monotonic() - bits.loaded_at < BITS_RELOAD_S:
            return None
        with self._bits_lock:
            current = self._bits
            if current is not bits:  # another thread reloaded meanwhile
                return current if current is not None and current.generation == generation \
                    else None
            # vec0 bit vectors are packed like numpy's little-endian packbits of (v > 0)
            rows = self._rows("SELECT rowid, embedding FROM vec_bits")
            width = len(rows[0][1]) if rows else 0
            words = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.uint8)
            words = words.reshape(len(rows), width)
            if width % 8 == 0:
                words = words.view(np.uint64)
            words = np.ascontiguousarray(words.T)  # a row per word: ~15x faster to count
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            self._bits = _Bits(generation, ids, words, time.monotonic())
            return self._bits

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
        """How many chunks hold `word` (cached until the index changes)."""
        generation = self.meta("generation")
        if self._df_generation != generation:
            self._df.clear()
            self._df_generation = generation
        if word not in self._df:
            rows = self._rows("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?",
                              (lexical.fts_query([word]),))
            self._df[word] = int(rows[0][0])
        return self._df[word]

    def lexical_ceiling(self, words: Sequence[str]) -> float:
        """Half the summed BM25 idf of the query words: about the score of a chunk that holds
        half of what the query says. Retrieval divides BM25 scores by at least this, so that
        the best of a few incidental word matches does not count as a full match."""
        n = self.counts()[1]
        total = 0.0
        for word in words:
            df = self.document_frequency(word)
            total += max(1e-6, math.log((n - df + 0.5) / (df + 0.5)))
        return 0.5 * total

    def lexical_candidates(
        self, words: Sequence[str], k: int, flt: Filter = NO_FILTER,
    ) -> list[tuple[int, float]]:
        """Chunk ids and BM25 scores (higher is better) of the best full-text matches.

        Words found in more than COMMON_WORD of the chunks are left out of the query (unless
        all are): they weigh next to nothing in BM25 but make the query read most of the
        index (100k chunks: 55 ms -> 2 ms for such queries)."""
        n = self.counts()[1]
        rare = [w for w in words if self.document_frequency(w) <= COMMON_WORD * n]
        query = lexical.fts_query(rare or list(words))
        if not query:
            return []
        want = k * (8 if flt else 1) + len(flt.exclude_ids)
        rank = "bm25(chunks_fts, {}, {}, {})".format(*FTS_WEIGHTS)
        try:
            rows = self._rows(
                f"SELECT rowid, -{rank} FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY {rank}"
                " LIMIT ?",
                (query, want),
            )
        except StoreError:
            log.warning("full-text query failed: %s", query, exc_info=True)
            return []
        ids = [r[0] for r in rows if r[0] not in flt.exclude_ids]
        keep = set(self._filter_ids(ids, flt))
        return [(cid, float(s)) for cid, s in rows if cid in keep][:k]

    # -- status

    def counts(self) -> tuple[int, int]:
        """(files, chunks) in the index."""
        files = self._rows("SELECT COUNT(*) FROM files")[0][0]
        chunks = self._rows("SELECT COUNT(*) FROM chunks")[0][0]
        return int(files), int(chunks)

    def check(self) -> list[str]:
        """Consistency problems (empty when the index is sound); used by tests and `status`."""
        problems = []
        for (msg,) in self._rows("PRAGMA quick_check"):
            if msg != "ok":
                problems.append(msg)
        n_chunks = self._rows("SELECT COUNT(*) FROM chunks")[0][0]
        n_fts = self._rows("SELECT COUNT(*) FROM chunks_fts")[0][0]
        if n_fts != n_chunks:
            problems.append(f"{n_chunks} chunks but {n_fts} full-text rows")
        if self._has_vec_table():
            n_vec = self._rows("SELECT COUNT(*) FROM vec_bits")[0][0]
            if n_vec != n_chunks:
                problems.append(f"{n_chunks} chunks but {n_vec} vectors")
        missing = self._rows(
            "SELECT COUNT(*) FROM chunks WHERE hash NOT IN (SELECT hash FROM embeddings)")[0][0]
        if missing:
            problems.append(f"{missing} chunks without an embedding")
        return problems


def _blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=VECTOR_DTYPE).tobytes()


def _bump_generation(db: sqlite_utils.Database) -> None:
    """Mark a change of chunks (inside the writing transaction), for the in-memory bits."""
    db.execute("INSERT INTO meta VALUES ('generation', '1') ON CONFLICT(key)"
               " DO UPDATE SET value = CAST(value AS INTEGER) + 1")


_POPCOUNT8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint16)


def _hamming(words: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Hamming distances of the columns of `words` ((w, n) words of sign bits) to `query` (w)."""
    n = words.shape[1]
    distance = np.zeros(n, dtype=np.uint16)
    diff = np.empty(n, dtype=words.dtype)
    for row, q in zip(words, query, strict=True):
        np.bitwise_xor(row, q, out=diff)
        if hasattr(np, "bitwise_count"):  # numpy >= 2.0
            distance += np.bitwise_count(diff)
        else:
            distance += _POPCOUNT8[diff.view(np.uint8)].reshape(n, -1).sum(axis=1,
                                                                          dtype=np.uint16)
    return distance


def _rescore(vectors: dict[int, np.ndarray], query: np.ndarray, k: int) -> list[tuple[int, float]]:
    if not vectors:
        return []
    ids = np.fromiter(vectors.keys(), dtype=np.int64, count=len(vectors))
    matrix = np.stack(list(vectors.values()))
    scores = matrix @ np.asarray(query, dtype=np.float32)
    order = np.argsort(-scores, kind="stable")[:k]
    return [(int(ids[i]), float(scores[i])) for i in order]
