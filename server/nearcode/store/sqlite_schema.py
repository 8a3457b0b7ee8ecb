"""The SQLite index's tables, as numbered migrations (sqlite-utils).

  meta        key/value: model_id, dim, generation, chunker, fts_terms
  files       path (posix, relative to the folder), size, mtime_ns, sha256, source
  chunks      span, symbol (and its last dotted part, `name`), kind, language, hash of the
              embedded text, text (zlib-compressed since m005; rows written before are plain
              text, and read as they are)
  embeddings  hash -> vector (WITHOUT ROWID, int8: sqlite_db.encode_vector). This is also the
              embedding cache: a chunk whose hash is here is never embedded again (renames,
              branch switches), and orphans are pruned only beyond a bound.
  chunks_fts  FTS5 over symbol, path and identifier-split text (rowid = chunk id), without a
              copy of the words: its content is the view `chunks_fts_source` (see FTS_SQL)
  vec_bits    sqlite-vec vec0 of sign bits (rowid = chunk id), of the vectors as stored: a fast
              coarse search whose candidates are re-scored with the stored vectors
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import sqlite_utils

from ..code import lexical
from .base import StoreError
from .sqlite_db import VECTOR_DTYPE, decode_vectors, encode_vector, symbol_name, vector_blob

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


# The full-text table keeps no copy of its words (external content, ~0.5-0.8 KB a chunk less):
# they are worked out again from the chunk rows by the view `chunks_fts_source`, through the
# SQL function nc_index_text (lexical.index_text, on every connection). FTS5 reads them only to
# delete a row (its 'delete' needs the words it indexed: exact BM25 statistics, unlike a
# contentless table, which kept counting deleted rows so that an index built edit by edit
# ranked differently from a fresh one) and to 'rebuild'; BM25 needs none. So the view must
# yield what was inserted: meta 'fts_terms' records lexical.TERMS_VERSION, and a store opened
# for writing rebuilds the table when it differs (`check_terms_version`).
TOKENIZE = "porter unicode61 remove_diacritics 2"  # fts.py stems words with it too
FTS_SQL = ("CREATE VIRTUAL TABLE chunks_fts USING fts5(symbol, path, body,"
           " content = 'chunks_fts_source', content_rowid = 'id',"
           f" tokenize = '{TOKENIZE}')")
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



def check_migrated(db: sqlite_utils.Database, path: Path) -> None:
    """For a read-only index: every migration must be there already (none can be applied)."""
    if MIGRATIONS.pending(db):
        raise StoreError(f"{path} is an older nearcode index and cannot be updated (its folder "
                         "is read-only)")
