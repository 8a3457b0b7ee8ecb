"""The PostgreSQL index's database: its tables (numbered migrations, applied once under an
advisory lock) and one connection per thread.

Tables (numbered migrations in `MIGRATIONS`):
  nc_workspaces  one row per indexed folder, by key (the folder's name: the same repository
                 checked out anywhere shares one index); a `generation` counter of writes
  nc_meta        per workspace: model_id, dim, chunker, revision, branch
  nc_files       per workspace and path (unique): size, mtime_ns, sha256, source
  nc_chunks      spans, symbol, text; `tsv` (weighted tsvector of the identifier-split words,
                 GIN index) and `embedding` (pgvector; an HNSW cosine index per dimension)
  nc_embeddings  the embedding cache, by (model_id, hash), shared by every workspace
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .base import StoreError

CONNECT_TIMEOUT_S = 10  # a host that never answers fails in seconds instead of hanging

MIGRATIONS: list[tuple[str, str]] = [
    ("m001_initial", """
        CREATE EXTENSION IF NOT EXISTS vector;
        CREATE TABLE nc_workspaces (
            id serial PRIMARY KEY, key text UNIQUE NOT NULL,
            generation bigint NOT NULL DEFAULT 0);
        CREATE TABLE nc_meta (
            workspace_id int NOT NULL REFERENCES nc_workspaces ON DELETE CASCADE,
            key text NOT NULL, value text NOT NULL, PRIMARY KEY (workspace_id, key));
        CREATE TABLE nc_files (
            id bigserial PRIMARY KEY,
            workspace_id int NOT NULL REFERENCES nc_workspaces ON DELETE CASCADE,
            path text NOT NULL, language text NOT NULL, size bigint NOT NULL,
            mtime_ns bigint NOT NULL, sha256 text NOT NULL, source text NOT NULL,
            indexed_at double precision NOT NULL, UNIQUE (workspace_id, path));
        CREATE TABLE nc_chunks (
            id bigserial PRIMARY KEY, workspace_id int NOT NULL,
            file_id bigint NOT NULL REFERENCES nc_files ON DELETE CASCADE,
            start_line int NOT NULL, end_line int NOT NULL, symbol text, kind text NOT NULL,
            language text NOT NULL, hash text NOT NULL, text text NOT NULL,
            tsv tsvector NOT NULL, embedding vector NOT NULL);
        CREATE INDEX nc_chunks_file ON nc_chunks (file_id, start_line);
        CREATE INDEX nc_chunks_symbol ON nc_chunks (workspace_id, symbol);
        CREATE INDEX nc_chunks_tsv ON nc_chunks USING gin (tsv);
        CREATE TABLE nc_embeddings (
            model_id text NOT NULL, hash text NOT NULL, vector vector NOT NULL,
            used_at double precision NOT NULL, PRIMARY KEY (model_id, hash));
        CREATE TABLE nc_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL);
    """),
    # a chunk is written with its words first, its vector filled in later (the lexical tier)
    ("m002_lexical_tier", "ALTER TABLE nc_chunks ALTER COLUMN embedding DROP NOT NULL;"),
]
MIGRATION_LOCK = 4_211_986_001  # pg_advisory_lock key for applying migrations


def is_url(spec: str | None) -> bool:
    return bool(spec) and str(spec).startswith(("postgresql://", "postgres://"))


def git_output(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                             timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def as_array(value: Any) -> np.ndarray:
    """A pgvector value (numpy array or pgvector's Vector, by version) as float32."""
    if hasattr(value, "to_numpy"):
        value = value.to_numpy()
    return np.asarray(value, dtype=np.float32)


class Connections:
    """The connections to one database, one per thread (autocommit; transactions are asked for
    explicitly); errors of psycopg become StoreError naming the database."""

    def __init__(self, url: str, shown: str) -> None:
        try:
            import psycopg  # noqa: F401
            from pgvector.psycopg import register_vector  # noqa: F401
        except ImportError as exc:
            raise StoreError("a postgresql:// store needs psycopg and pgvector: "
                             "pip install 'nearcode[postgres]'") from exc
        self.url = url
        self.path = shown
        self._local = threading.local()
        self._conns: list[Any] = []
        self._lock = threading.Lock()
        self._vector_ready = False  # pgvector's types exist once the first migration ran

    @property
    def conn(self) -> Any:
        """This thread's connection (opened on first use)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            import psycopg
            from pgvector.psycopg import register_vector

            try:
                conn = psycopg.connect(self.url, autocommit=True,
                                       connect_timeout=CONNECT_TIMEOUT_S)
                if self._vector_ready:
                    register_vector(conn)
            except psycopg.Error as exc:
                raise StoreError(f"cannot use the index at {self.path}: {exc}") from exc
            self._local.conn = conn
            with self._lock:
                self._conns.append(conn)
        return conn

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        import psycopg

        try:
            cur = self.conn.execute(sql, params)
            return cur.fetchall() if cur.description else []
        except psycopg.Error as exc:
            raise StoreError(f"the index at {self.path} failed: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()
        self._local = threading.local()

    def migrate(self) -> None:
        """Apply the migrations not applied yet; then pgvector's types can be used."""
        self.rows("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            exists = self.rows("SELECT to_regclass('nc_migrations') IS NOT NULL")[0][0]
            done = {r[0] for r in self.rows("SELECT name FROM nc_migrations")} if exists else set()
            for name, sql in MIGRATIONS:
                if name in done:
                    continue
                with self.conn.transaction():
                    self.conn.execute(sql)
                    self.conn.execute("INSERT INTO nc_migrations VALUES (%s, now())", (name,))
        finally:
            self.rows("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
        from pgvector.psycopg import register_vector

        self._vector_ready = True
        register_vector(self.conn)

    def applied_migrations(self) -> list[str]:
        return [r[0] for r in self.rows("SELECT name FROM nc_migrations ORDER BY name")]
