"""The SQLite index's file: its tables (numbered migrations with sqlite-utils), one connection per
thread, and how rows are read and written.

Tables (numbered migrations in `MIGRATIONS`):
  meta        key/value: model_id, dim
  files       path (posix, relative to the folder), size, mtime_ns, sha256, source
  chunks      span, symbol (and its last dotted part, `name`), kind, language, hash of the
              embedded text, text (zlib-compressed, `pack_text`: ~0.35 KB a chunk less; rows
              written before are plain text, and read as they are)
  embeddings  hash -> vector (WITHOUT ROWID): int8, `encode_vector`: a little-endian float32
              scale, then `dim` int8 values (value = int8 * scale, then normalised to norm 1);
              388 bytes at 384 dims instead of 1,536 for float32, recall@10 of the exact
              top 10 0.995-0.998 (bench/README.md, "Big repositories"). This is also the
              embedding cache: a chunk whose hash is here is never embedded again (renames,
              branch switches), and orphans are pruned only beyond a bound.
  chunks_fts  FTS5 over symbol, path and identifier-split text (rowid = chunk id), without a
              copy of the words: its content is the view `chunks_fts_source` (see FTS_SQL)
  vec_bits    sqlite-vec vec0 of sign bits (rowid = chunk id), of the vectors as stored: a fast
              coarse search whose candidates are re-scored with the stored vectors. A chunk
              has its bits exactly when its hash is in `embeddings`: a file is written with the
              vectors the cache holds (the lexical tier), and `put_vectors` gives the new ones
              to every chunk of their hash (`attach_bits`).

The `generation` counter in `meta` is bumped by every write that changes chunks (from any
process), inside the writing transaction: readers tell from it when their in-memory copy of the
sign bits is stale (bits.py).
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils
import sqlite_vec
from pysqlite3 import dbapi2 as sqlite3

from ..code import lexical
from ..code.chunking import Chunk
from .base import FileState, StoreError

VECTOR_DTYPE = np.dtype("<f4")
MIGRATION_SET = "nearcode"  # indexfile.py recognises nearcode's databases by it

MIGRATIONS = sqlite_utils.Migrations(MIGRATION_SET)


@MIGRATIONS(name="m001_initial")
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


@MIGRATIONS(name="m002_symbol_names")
def _m002_symbol_names(db: sqlite_utils.Database) -> None:
    """The last part of each symbol (`parse` of `Parser.parse`), indexed: completion context
    looks definitions up by the names a file imports (a LIKE '%.name' read every chunk)."""
    db.execute("ALTER TABLE chunks ADD COLUMN name TEXT")
    rows = db.execute("SELECT id, symbol FROM chunks WHERE symbol IS NOT NULL").fetchall()
    db.conn.executemany("UPDATE chunks SET name = ? WHERE id = ?",
                        [(symbol_name(symbol), cid) for cid, symbol in rows])
    db.execute("CREATE INDEX chunks_name ON chunks(name)")


def symbol_name(symbol: str | None) -> str | None:
    """The last dotted part of a symbol."""
    return None if symbol is None else symbol.rsplit(".", 1)[-1]


# The full-text table keeps no copy of its words (external content, ~0.5-0.8 KB a chunk less):
# they are worked out again from the chunk rows by the view `chunks_fts_source`, through the
# SQL function nc_index_text (lexical.index_text, on every connection). FTS5 reads them only to
# delete a row (its 'delete' needs the words it indexed: exact BM25 statistics, unlike a
# contentless table, which kept counting deleted rows so that an index built edit by edit
# ranked differently from a fresh one) and to 'rebuild'; BM25 needs none. So the view must
# yield what was inserted: meta 'fts_terms' records lexical.TERMS_VERSION, and a store opened
# for writing rebuilds the table when it differs (`check_terms_version`).
FTS_SQL = ("CREATE VIRTUAL TABLE chunks_fts USING fts5(symbol, path, body,"
           " content = 'chunks_fts_source', content_rowid = 'id',"
           " tokenize = 'porter unicode61 remove_diacritics 2')")
FTS_SOURCE_SQL = (
    "CREATE VIEW IF NOT EXISTS chunks_fts_source AS SELECT c.id AS id,"
    " nc_index_text(c.symbol) AS symbol, nc_index_text(f.path) AS path,"
    " nc_index_text(c.text) AS body FROM chunks c JOIN files f ON f.id = c.file_id")


@MIGRATIONS(name="m003_compact")
def _m003_compact(db: sqlite_utils.Database) -> None:
    """Vectors as int8, the embeddings keyed without a rowid, the full-text table rebuilt
    (see bench/README.md, "Big repositories")."""
    db.execute("CREATE TABLE embeddings_int8 (hash TEXT PRIMARY KEY, vector BLOB NOT NULL,"
               " used_at REAL NOT NULL) WITHOUT ROWID")
    rows = db.execute("SELECT hash, vector, used_at FROM embeddings")
    while part := rows.fetchmany(2000):
        db.conn.executemany("INSERT INTO embeddings_int8 VALUES (?, ?, ?)", [
            (h, encode_vector(np.frombuffer(blob, dtype=VECTOR_DTYPE)), used)
            for h, blob, used in part])
    db.execute("DROP TABLE embeddings")
    db.execute("ALTER TABLE embeddings_int8 RENAME TO embeddings")
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'vec_bits'").fetchone():
        db.execute("DELETE FROM vec_bits")  # the sign bits of the vectors as now stored
        rows = db.execute("SELECT c.id, e.vector FROM chunks c JOIN embeddings e"
                          " ON e.hash = c.hash")
        while part := rows.fetchmany(2000):
            db.conn.executemany(
                "INSERT INTO vec_bits (rowid, embedding) VALUES (?, vec_quantize_binary(?))",
                [(cid, vector_blob(decode_vectors([blob])[0])) for cid, blob in part])
    _rebuild_fts(db)


@MIGRATIONS(name="m004_fts_with_content")
def _m004_fts_with_content(db: sqlite_utils.Database) -> None:
    """A contentless full-text table (m003 made one for a while) rebuilt with its words."""
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'chunks_fts'").fetchone()
    if sql is None or "contentless" not in sql[0]:
        return
    _rebuild_fts(db)


@MIGRATIONS(name="m005_fts_external_content")
def _m005_fts_external_content(db: sqlite_utils.Database) -> None:
    """The full-text table without its copy of the words (FTS_SQL)."""
    _rebuild_fts(db)


def _rebuild_fts(db: sqlite_utils.Database) -> None:
    """The full-text table made anew (FTS_SQL) and filled from the chunks."""
    db.execute(FTS_SOURCE_SQL)
    db.execute("DROP TABLE IF EXISTS chunks_fts")
    db.execute(FTS_SQL)
    db.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('rebuild')")
    db.execute("INSERT OR REPLACE INTO meta VALUES ('fts_terms', ?)", (lexical.TERMS_VERSION,))


def check_terms_version(db: sqlite_utils.Database) -> None:
    """Rebuild the full-text table if its words were made by another version of
    lexical.index_text (its deletes re-derive them: they must match)."""
    row = db.execute("SELECT value FROM meta WHERE key = 'fts_terms'").fetchone()
    if row is None or row[0] != lexical.TERMS_VERSION:
        with db.atomic():
            _rebuild_fts(db)


def fts_row(chunk_id: int | None, symbol: str | None, path: str, text: str
            ) -> tuple[int | None, str, str, str]:
    return (chunk_id, lexical.index_text(symbol or ""), lexical.index_text(path),
            lexical.index_text(text))


def vector_blob(vector: np.ndarray) -> bytes:
    """A float32 blob, what sqlite-vec takes."""
    blob: bytes = np.asarray(vector, dtype=VECTOR_DTYPE).tobytes()
    return blob


def encode_vector(vector: np.ndarray) -> bytes:
    """The stored form of a vector: float32 scale, then int8 values (see the tables above)."""
    v = np.asarray(vector, dtype=np.float32)
    scale = float(np.abs(v).max(initial=0.0)) / 127 or 1.0
    q = np.clip(np.rint(v / scale), -127, 127).astype(np.int8)
    head: bytes = np.array([scale], dtype=VECTOR_DTYPE).tobytes()
    body: bytes = q.tobytes()
    return head + body


def decode_vectors(blobs: Sequence[bytes]) -> np.ndarray:
    """(len(blobs), dim) float32 unit vectors from their stored form."""
    raw = np.frombuffer(b"".join(blobs), dtype=np.uint8).reshape(len(blobs), -1)
    scale = raw[:, :4].copy().view(VECTOR_DTYPE)  # (n, 1)
    matrix = raw[:, 4:].view(np.int8).astype(np.float32) * scale
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: np.ndarray = matrix / np.maximum(norms, 1e-12)
    return unit


def stored(vector: np.ndarray) -> np.ndarray:
    """`vector` as it reads back from the index."""
    vec: np.ndarray = decode_vectors([encode_vector(vector)])[0]
    return vec


def bump_generation(db: sqlite_utils.Database) -> None:
    """Mark a change of chunks (inside the writing transaction), for the in-memory bits."""
    db.execute("INSERT INTO meta VALUES ('generation', '1') ON CONFLICT(key)"
               " DO UPDATE SET value = CAST(value AS INTEGER) + 1")


def write_file(db: sqlite_utils.Database, state: FileState, language: str,
               chunks: Sequence[Chunk], vectors: dict[str, np.ndarray], now: float) -> None:
    """Replace a file's rows: its row in `files`, its chunks, their words and the sign bits of
    the chunks `vectors` has a vector for (inside the caller's transaction)."""
    file_id = delete_file(db, state.path)
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
            "INSERT INTO chunks (file_id, start_line, end_line, symbol, name, kind, language,"
            " hash, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (file_id, c.start_line, c.end_line, c.symbol, symbol_name(c.symbol), c.kind,
             c.language, c.hash, pack_text(c.text)),
        )
        chunk_id = cur.lastrowid
        db.execute("INSERT INTO chunks_fts (rowid, symbol, path, body) VALUES (?, ?, ?, ?)",
                   fts_row(chunk_id, c.symbol, c.path, c.text))
        vector = vectors.get(c.hash)
        if vector is not None:
            insert_bits(db, chunk_id, vector)


def insert_bits(db: sqlite_utils.Database, chunk_id: int | None, vector: np.ndarray) -> None:
    """A chunk's sign bits, of its vector as stored: the same whether embedded now or cached."""
    db.execute("INSERT INTO vec_bits (rowid, embedding) VALUES (?, vec_quantize_binary(?))",
               (chunk_id, vector_blob(stored(vector))))


def attach_bits(db: sqlite_utils.Database, vectors: dict[str, np.ndarray]) -> int:
    """Sign bits for every chunk of these hashes, new to `embeddings` (inside the caller's
    transaction, before they are put there); how many chunks got them."""
    hashes = list(vectors)
    attached = 0
    for i in range(0, len(hashes), 500):
        part = hashes[i : i + 500]
        marks = ",".join("?" * len(part))
        for chunk_id, h in db.execute(f"SELECT id, hash FROM chunks WHERE hash IN ({marks})",
                                      part).fetchall():
            insert_bits(db, chunk_id, vectors[h])
            attached += 1
    return attached


def new_hashes(db: sqlite_utils.Database, hashes: Sequence[str]) -> list[str]:
    """Those of `hashes` that `embeddings` does not hold."""
    held: set[str] = set()
    for i in range(0, len(hashes), 500):
        part = list(hashes[i : i + 500])
        marks = ",".join("?" * len(part))
        held.update(r[0] for r in db.execute(
            f"SELECT hash FROM embeddings WHERE hash IN ({marks})", part).fetchall())
    return [h for h in hashes if h not in held]


def delete_file(db: sqlite_utils.Database, path: str) -> int | None:
    """Delete a file's rows (inside the caller's transaction); returns its id, if it had one."""
    row = db.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
    if row is None:
        return None
    file_id = row[0]
    ids = [r[0] for r in db.execute("SELECT id FROM chunks WHERE file_id = ?", (file_id,))]
    # the words each row was indexed with, derived again (see FTS_SQL)
    db.execute("INSERT INTO chunks_fts (chunks_fts, rowid, symbol, path, body)"
               " SELECT 'delete', id, symbol, path, body FROM chunks_fts_source"
               " WHERE id IN (SELECT id FROM chunks WHERE file_id = ?)", (file_id,))
    for chunk_id in ids:
        db.execute("DELETE FROM vec_bits WHERE rowid = ?", (chunk_id,))
    db.execute("DELETE FROM chunks WHERE file_id = ?", (file_id,))
    db.execute("DELETE FROM files WHERE id = ?", (file_id,))
    return int(file_id)


class Connections:
    """The connections to one index file, one per thread (WAL: readers never wait for the
    writer); errors of SQLite become StoreError naming the file."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

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
            if self.read_only:
                conn = connect_read_only(self.path)
            else:
                conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None,
                                       check_same_thread=False)
            conn.enable_load_extension(True)
            sqlite_vec.load(conn)
            conn.enable_load_extension(False)
            conn.create_function("nc_index_text", 1, _index_text, deterministic=True)
            if not self.read_only:
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a usable nearcode index ({exc})") from exc
        with self._lock:
            self._conns.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._conns:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._conns.clear()
        self._local = threading.local()

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """This thread's connection inside a transaction."""
        if self.read_only:
            raise StoreError(f"{self.path} cannot be written (its folder is read-only)")
        db = self.db
        try:
            with db.atomic():
                yield db
        except sqlite3.DatabaseError as exc:
            raise failure(self.path, "writing", exc) from exc

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        try:
            return self.db.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise failure(self.path, "reading", exc) from exc


def _index_text(value: str | bytes | None) -> str:
    """nc_index_text in SQL: the full-text words of a column (NULL: none)."""
    return lexical.index_text(unpack_text(value) if value else "")


def pack_text(text: str) -> bytes:
    """A chunk's text as stored: zlib (code compresses to about 40 %)."""
    return zlib.compress(text.encode("utf-8", "surrogatepass"), 6)


def unpack_text(value: str | bytes) -> str:
    """A chunk's text as read back (a str: a row written before texts were compressed)."""
    if isinstance(value, str):
        return value
    return zlib.decompress(value).decode("utf-8", "surrogatepass")


def failure(path: Path, doing: str, exc: sqlite3.DatabaseError) -> StoreError:
    """A StoreError for a failed read or write that says what to do when the file is damaged."""
    if any(m in str(exc) for m in DAMAGED):
        return StoreError(f"the index {path} is damaged ({exc}); `nearcode index --rebuild` "
                          "sets it aside and builds it again")
    if doing == "opening":
        return StoreError(f"{path} is not a usable nearcode index ({exc})")
    return StoreError(f"{doing} {path} failed: {exc}")


DAMAGED = ("malformed", "not a database", "corrupt")


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection; where SQLite cannot make the WAL's shared memory file (a
    read-only folder) the file is opened as immutable (no one can write it there either)."""
    uri = path.resolve().as_uri()
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, check_same_thread=False,
                               isolation_level=None)
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")
        return conn
    except sqlite3.OperationalError:
        return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, check_same_thread=False,
                               isolation_level=None)


def check_migrated(db: sqlite_utils.Database, path: Path) -> None:
    """For a read-only index: every migration must be there already (none can be applied)."""
    if MIGRATIONS.pending(db):
        raise StoreError(f"{path} is an older nearcode index and cannot be updated (its folder "
                         "is read-only)")
