"""The SQLite index's rows: how vectors, texts and files are written and read back, and one
connection per thread (the tables and their migrations: sqlite_schema.py).

A chunk's vector is stored as int8 (`encode_vector`): a little-endian float32 scale, then `dim`
int8 values (value = int8 * scale, then normalised to norm 1); 388 bytes at 384 dims instead of
1,536 for float32, recall@10 of the exact top 10 0.995-0.998 (bench/README.md, "Big
repositories"). A chunk's text is zlib-compressed (`pack_text`). A chunk has its sign bits
(vec_bits) exactly when its hash is in `embeddings`: a file is written with the vectors the
cache holds (the lexical tier), and `put_vectors` gives the new ones to every chunk of their
hash (`attach_bits`).

The `generation` counter in `meta` is bumped by every write that changes chunks (from any
process), inside the writing transaction: readers tell from it when their in-memory copy of the
sign bits is stale (bits.py).
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
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
from .bits import Change

VECTOR_DTYPE = np.dtype("<f4")
PARAMS_PER_QUERY = 500  # values bound in one IN (…), well under SQLite's parameter limit


def symbol_name(symbol: str | None) -> str | None:
    """The last dotted part of a symbol."""
    return None if symbol is None else symbol.rsplit(".", 1)[-1]


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
    return decode_matrix(np.frombuffer(b"".join(blobs), dtype=np.uint8).reshape(len(blobs), -1))


def decode_matrix(raw: np.ndarray) -> np.ndarray:
    """(n, dim) float32 unit vectors from (n, 4 + dim) uint8 rows of their stored form."""
    scale = raw[:, :4].copy().view(VECTOR_DTYPE)  # (n, 1)
    matrix = raw[:, 4:].view(np.int8).astype(np.float32) * scale
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: np.ndarray = matrix / np.maximum(norms, 1e-12)
    return unit


def bump_generation(db: sqlite_utils.Database) -> str:
    """Mark a change of chunks (inside the writing transaction), for what readers hold in
    memory per generation; returns the new one (the one before is one less: the transaction
    holds the write lock)."""
    db.execute("INSERT INTO meta VALUES ('generation', '1') ON CONFLICT(key)"
               " DO UPDATE SET value = CAST(value AS INTEGER) + 1")
    return str(db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])


def write_file(db: sqlite_utils.Database, state: FileState, language: str,
               chunks: Sequence[Chunk], vectors: dict[str, np.ndarray], now: float) -> Change:
    """Replace a file's rows: its row in `files`, its chunks, their words and the sign bits of
    the chunks `vectors` has a vector for (inside the caller's transaction)."""
    file_id, removed, words = delete_file(db, state.path)
    change = Change(removed=removed, chunks=len(chunks), files=0 if file_id else 1, words=words)
    cur = db.execute(
        "INSERT INTO files (id, path, language, size, mtime_ns, sha256, source, indexed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (file_id, state.path, language, state.size, state.mtime_ns, state.sha256,
         state.source, now),
    )
    file_id = file_id or cur.lastrowid
    hashes = {c.hash for c in chunks}
    db.conn.executemany("UPDATE embeddings SET used_at = ? WHERE hash = ?",
                        [(now, h) for h in hashes])
    held = stored_codes(lambda sql, params: db.execute(sql, params).fetchall(),
                        [h for h in hashes if h in vectors])
    for c in chunks:
        cur = db.execute(
            "INSERT INTO chunks (file_id, start_line, end_line, symbol, name, kind, language,"
            " hash, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (file_id, c.start_line, c.end_line, c.symbol, symbol_name(c.symbol), c.kind,
             c.language, c.hash, pack_text(c.text)),
        )
        chunk_id = int(cur.lastrowid or 0)
        row = fts_row(chunk_id, c.symbol, c.path, c.text)
        db.execute("INSERT INTO chunks_fts (rowid, symbol, path, body) VALUES (?, ?, ?, ?)", row)
        for column in row[1:]:
            change.words.update(column.split())
        vector = vectors.get(c.hash)
        if vector is not None:
            change.added.append(insert_bits(db, chunk_id, vector, held.get(c.hash)))
    return change


def stored_codes(rows: Callable[[str, Sequence[object]], list[tuple[Any, ...]]],
                 hashes: Sequence[str]) -> dict[str, bytes]:
    """The stored form of the vectors `embeddings` holds for these hashes (`rows` runs a
    query: a store's reads, or a writing transaction's)."""
    out: dict[str, bytes] = {}
    for part, marks in in_parts(hashes):
        out.update(rows(f"SELECT hash, vector FROM embeddings WHERE hash IN ({marks})", part))
    return out


def nearest_in_vec0(rows: Callable[[str, Sequence[object]], list[tuple[Any, ...]]],
                    query: np.ndarray, want: int, most: int) -> list[int]:
    """Ids of the `want` chunks whose sign bits are nearest to `query`'s, by vec0's KNN, of
    equal distances at the cut the smallest ids: what `bits.Bits.nearest` gives from memory
    (vec0 orders ties its own way), so a question gets the same candidates either way (a
    server while its bits load, the CLI alone). Hamming distances tie in groups of ~100-170
    at the cut of 400 at 100k chunks (20 random queries: 401-556 chunks at or inside the
    cut's distance), so vec0 is asked for 1.5 x `want`, and when that still ends inside the
    cut's distance, once more for `most` (sqlite-vec's limit). vec0's time grows with k: 62 ms
    for 400 at 102k chunks, ~110 ms for 600."""
    for k in (min(want + want // 2, most), most):
        found = sorted(rows("SELECT rowid, distance FROM vec_bits WHERE embedding MATCH"
                            " vec_quantize_binary(?) AND k = ?", (vector_blob(query), k)),
                       key=lambda r: (r[1], r[0]))
        if len(found) <= want or len(found) < k or found[want - 1][1] < found[-1][1]:
            break
    return sorted(r[0] for r in found[:want])


def insert_bits(db: sqlite_utils.Database, chunk_id: int, vector: np.ndarray,
                code: bytes | None = None) -> tuple[int, bytes, bytes]:
    """A chunk's sign bits, of its vector as stored: the same whether embedded now or cached.
    Returns what bits.Bits holds of it: (id, its sign bits as vec0 packs them, the vector as
    stored: `code`, the form `embeddings` already holds, else `vector` encoded, the form it
    will hold; a cached vector encoded again would differ in its last bits)."""
    code = code if code is not None else encode_vector(vector)
    value = decode_vectors([code])[0]
    db.execute("INSERT INTO vec_bits (rowid, embedding) VALUES (?, vec_quantize_binary(?))",
               (chunk_id, vector_blob(value)))
    return chunk_id, np.packbits(value > 0, bitorder="little").tobytes(), code


def in_parts(values: Sequence[Any]) -> Iterator[tuple[list[Any], str]]:
    """`values` a part at a time, each with its `?,?,…` placeholders for an IN (…): a
    statement takes a bounded number of parameters."""
    for i in range(0, len(values), PARAMS_PER_QUERY):
        part = list(values[i : i + PARAMS_PER_QUERY])
        yield part, ",".join("?" * len(part))


def attach_bits(db: sqlite_utils.Database, vectors: dict[str, np.ndarray]
                ) -> list[tuple[int, bytes, bytes]]:
    """Sign bits for every chunk of these hashes, new to `embeddings` (inside the caller's
    transaction, before they are put there); what each chunk got (`insert_bits`)."""
    attached = []
    for part, marks in in_parts(list(vectors)):
        for chunk_id, h in db.execute(f"SELECT id, hash FROM chunks WHERE hash IN ({marks})",
                                      part).fetchall():
            attached.append(insert_bits(db, chunk_id, vectors[h]))
    return attached


def new_hashes(db: sqlite_utils.Database, hashes: Sequence[str]) -> list[str]:
    """Those of `hashes` that `embeddings` does not hold."""
    held: set[str] = set()
    for part, marks in in_parts(hashes):
        held.update(r[0] for r in db.execute(
            f"SELECT hash FROM embeddings WHERE hash IN ({marks})", part).fetchall())
    return [h for h in hashes if h not in held]


def delete_file(db: sqlite_utils.Database, path: str
                ) -> tuple[int | None, list[int], set[str]]:
    """Delete a file's rows (inside the caller's transaction); returns its id, if it had one,
    the ids of the chunks it had and the words they were indexed with."""
    row = db.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
    if row is None:
        return None, [], set()
    file_id = row[0]
    # the words each row was indexed with, derived again (see FTS_SQL)
    indexed = db.execute("SELECT id, symbol, path, body FROM chunks_fts_source"
                         " WHERE id IN (SELECT id FROM chunks WHERE file_id = ?)",
                         (file_id,)).fetchall()
    db.conn.executemany("INSERT INTO chunks_fts (chunks_fts, rowid, symbol, path, body)"
                        " VALUES ('delete', ?, ?, ?, ?)", indexed)
    ids = [r[0] for r in indexed]
    words = {w for r in indexed for column in r[1:] for w in (column or "").split()}
    for chunk_id in ids:
        db.execute("DELETE FROM vec_bits WHERE rowid = ?", (chunk_id,))
    db.execute("DELETE FROM chunks WHERE file_id = ?", (file_id,))
    db.execute("DELETE FROM files WHERE id = ?", (file_id,))
    return int(file_id), ids, words


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
            # no sqlite-utils plugins: other packages' hooks have no business on nearcode's
            # connections, and finding them (every installed package's entry points) took
            # ~45 ms of each process start
            db = sqlite_utils.Database(self._connect(), execute_plugins=False)
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

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """This thread's reads inside one read transaction: they all see the index as of the
        first of them (WAL), whatever commits meanwhile."""
        db = self.db
        if db.conn.in_transaction:  # inside a write of this thread: it sees one index already
            yield
            return
        try:
            db.execute("BEGIN")
        except sqlite3.DatabaseError as exc:
            raise failure(self.path, "reading", exc) from exc
        try:
            yield
        finally:
            try:
                db.execute("COMMIT")
            except sqlite3.DatabaseError:
                pass  # a read transaction has nothing to keep

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
