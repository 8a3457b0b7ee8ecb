"""The index on PostgreSQL + pgvector: one database shared by a team, many workspaces in it.

Same interface and meaning as sqlite.Store (the embedded SQLite default), so the indexer,
retrieval and the server run unchanged on it. Selected by a `postgresql://` URL (the `store`
setting, `--store` on the command line). pg_db.py has the tables and the connections.

Writers take a transaction per file plus an advisory lock on (workspace, path), so concurrent
indexers (CI on several branches, several machines) never duplicate or half-write a file;
readers see committed files only. The lexical ranking is PostgreSQL's `ts_rank` over the same
identifier-split words, not BM25: scores differ from SQLite's, the fusion normalises both.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..code import lexical
from ..code.chunking import Chunk
from .base import NO_FILTER, FileState, Filter, StoredChunk, StoreError, keep_matching
from .pg_db import Connections, as_array, git_output

log = logging.getLogger(__name__)

TS_CONFIG = "english"  # stems like SQLite's porter tokenizer
EF_SEARCH = 200  # HNSW search list size (pgvector's default, 40, missed neighbours at 100k)
TS_WEIGHTS = "{0.5, 0.25, 0.5, 1.0}"  # D body, C path, B -, A symbol (as FTS5's 1 : 0.5 : 2)
# ts_rank scores every row a query matches (no top-k index): the rarest query words are kept
# while their matches add up to at most this many rows (see lexical_candidates).
RANKED_ROWS = 10_000


class PgStore:
    """One workspace folder's index inside a shared PostgreSQL database."""

    read_only = False  # a database that refuses writes says so when written

    def __init__(self, url: str, key: str, root: Path | None = None) -> None:
        self.url = url
        self.path = url.split("@")[-1]  # shown to users: host/db, never the password
        self.key = key
        self.root = root
        self._conns = Connections(url, self.path)
        self._match_counts: dict[str, int] = {}
        self._counts_generation: str | None = None
        self._wrote = False  # since the last ANALYZE
        self._conns.migrate()
        rows = self._rows(
            "INSERT INTO nc_workspaces (key) VALUES (%s) ON CONFLICT (key) DO UPDATE"
            " SET key = EXCLUDED.key RETURNING id", (key,))
        self.workspace_id = int(rows[0][0])

    # -- connections

    @property
    def conn(self) -> Any:
        """This thread's connection (opened on first use)."""
        return self._conns.conn

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return self._conns.rows(sql, params)

    def close(self) -> None:
        self._conns.close()

    def applied_migrations(self) -> list[str]:
        return self._conns.applied_migrations()

    # -- meta and model

    def meta(self, key: str) -> str | None:
        if key == "generation":
            rows = self._rows("SELECT generation FROM nc_workspaces WHERE id = %s",
                              (self.workspace_id,))
            return str(rows[0][0]) if rows else None
        rows = self._rows("SELECT value FROM nc_meta WHERE workspace_id = %s AND key = %s",
                          (self.workspace_id, key))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self._rows("INSERT INTO nc_meta VALUES (%s, %s, %s) ON CONFLICT (workspace_id, key)"
                   " DO UPDATE SET value = EXCLUDED.value", (self.workspace_id, key, value))

    @property
    def model_id(self) -> str | None:
        return self.meta("model_id")

    @property
    def dim(self) -> int | None:
        value = self.meta("dim")
        return int(value) if value else None

    def ensure_model(self, model_id: str, dim: int, rebuild: bool = False) -> bool:
        """As Store.ensure_model; also records the commit and branch being indexed."""
        if self.root is not None:
            for key, args in (("revision", ("rev-parse", "HEAD")),
                              ("branch", ("rev-parse", "--abbrev-ref", "HEAD"))):
                value = git_output(self.root, *args)
                if value:
                    self.set_meta(key, value)
        if not rebuild and self.model_id == model_id and self.dim == dim:
            return False
        d = int(dim)
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (self.workspace_id,))
            if not rebuild and self.model_id == model_id and self.dim == dim:
                return False  # another indexer set it up while we waited for the lock
            self.conn.execute("DELETE FROM nc_files WHERE workspace_id = %s", (self.workspace_id,))
            self.conn.execute(
                f"CREATE INDEX IF NOT EXISTS nc_chunks_hnsw_{d} ON nc_chunks USING hnsw"
                f" ((embedding::vector({d})) vector_cosine_ops) WHERE vector_dims(embedding) = {d}")
            for key, value in (("model_id", model_id), ("dim", str(d))):
                self.conn.execute(
                    "INSERT INTO nc_meta VALUES (%s, %s, %s) ON CONFLICT (workspace_id, key)"
                    " DO UPDATE SET value = EXCLUDED.value", (self.workspace_id, key, value))
            self._bump()
        return True

    def _bump(self) -> None:
        self._wrote = True
        self.conn.execute("UPDATE nc_workspaces SET generation = generation + 1 WHERE id = %s",
                          (self.workspace_id,))

    # -- files

    def file_states(self) -> dict[str, FileState]:
        rows = self._rows("SELECT path, size, mtime_ns, sha256, source FROM nc_files"
                          " WHERE workspace_id = %s", (self.workspace_id,))
        return {r[0]: FileState(*r) for r in rows}

    def file_state(self, path: str) -> FileState | None:
        rows = self._rows("SELECT path, size, mtime_ns, sha256, source FROM nc_files"
                          " WHERE workspace_id = %s AND path = %s", (self.workspace_id, path))
        return FileState(*rows[0]) if rows else None

    def touch_file(self, path: str, size: int, mtime_ns: int) -> None:
        self._rows("UPDATE nc_files SET size = %s, mtime_ns = %s WHERE workspace_id = %s"
                   " AND path = %s", (size, mtime_ns, self.workspace_id, path))

    def replace_file(self, state: FileState, language: str, chunks: Sequence[Chunk],
                     vectors: dict[str, np.ndarray]) -> None:
        """Replace one file's rows in one transaction, serialised per (workspace, path)."""
        import psycopg

        try:
            with self.conn.transaction():
                self._lock_path(state.path)
                self.conn.execute("DELETE FROM nc_files WHERE workspace_id = %s AND path = %s",
                                  (self.workspace_id, state.path))
                file_id = self.conn.execute(
                    "INSERT INTO nc_files (workspace_id, path, language, size, mtime_ns, sha256,"
                    " source, indexed_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                    (self.workspace_id, state.path, language, state.size, state.mtime_ns,
                     state.sha256, state.source, time.time())).fetchone()[0]
                with self.conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO nc_chunks (workspace_id, file_id, start_line, end_line,"
                        " symbol, kind, language, hash, text, tsv, embedding) VALUES"
                        " (%s, %s, %s, %s, %s, %s, %s, %s, %s,"
                        f" setweight(to_tsvector('{TS_CONFIG}', %s), 'A') ||"
                        f" setweight(to_tsvector('{TS_CONFIG}', %s), 'C') ||"
                        f" to_tsvector('{TS_CONFIG}', %s), %s)",
                        [(self.workspace_id, file_id, c.start_line, c.end_line, c.symbol,
                          c.kind, c.language, c.hash, c.text,
                          lexical.index_text(c.symbol or ""), lexical.index_text(c.path),
                          lexical.index_text(c.text), _vector(vectors.get(c.hash)))
                         for c in chunks])
                self._bump()
        except psycopg.Error as exc:
            raise StoreError(f"writing {state.path} to {self.path} failed: {exc}") from exc

    def _lock_path(self, path: str) -> None:
        self.conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, %s))",
                          (path, self.workspace_id))

    def delete_file(self, path: str) -> None:
        with self.conn.transaction():
            self._lock_path(path)
            self.conn.execute("DELETE FROM nc_files WHERE workspace_id = %s AND path = %s",
                              (self.workspace_id, path))
            self._bump()

    # -- embedding cache (shared by every workspace of the database)

    def cached_vectors(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        wanted = list(dict.fromkeys(hashes))
        if not wanted:
            return {}
        rows = self._rows("UPDATE nc_embeddings SET used_at = %s WHERE model_id = %s"
                          " AND hash = ANY(%s) RETURNING hash, vector",
                          (time.time(), self.model_id, wanted))
        return {h: as_array(v) for h, v in rows}

    def put_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        """Cache the vectors (for every workspace) and give them to this workspace's chunks of
        their hash that have none."""
        model, now = self.model_id, time.time()
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO nc_embeddings VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                [(model, h, np.asarray(v, np.float32), now) for h, v in vectors.items()])
            cur.executemany(
                "UPDATE nc_chunks SET embedding = %s WHERE workspace_id = %s AND hash = %s"
                " AND embedding IS NULL",
                [(np.asarray(v, np.float32), self.workspace_id, h) for h, v in vectors.items()])
            self._bump()  # chunks may have gained vectors

    def unembedded(self, limit: int) -> list[StoredChunk]:
        rows = self._rows(
            "SELECT * FROM (SELECT DISTINCT ON (c.hash) c.id, f.path, c.language, c.start_line,"
            " c.end_line, c.symbol, c.kind, c.hash, c.text, f.source, f.mtime_ns"
            " FROM nc_chunks c JOIN nc_files f ON f.id = c.file_id"
            " WHERE c.workspace_id = %s AND c.embedding IS NULL ORDER BY c.hash, c.id) u"
            " ORDER BY u.source = 'buffer' DESC, u.mtime_ns = 0 DESC, u.mtime_ns DESC, u.id"
            " LIMIT %s", (self.workspace_id, limit))
        return [StoredChunk(*r[:9]) for r in rows]

    def unembedded_count(self) -> int:
        return int(self._rows("SELECT count(*) FROM nc_chunks WHERE workspace_id = %s"
                              " AND embedding IS NULL", (self.workspace_id,))[0][0])

    def prune_cache(self, keep_orphans: int | None = None) -> int:
        """Nothing to prune: the embedding cache serves every workspace and branch. But a sync
        ends here, so if it wrote, ANALYZE: without statistics the planner scans the whole
        table for a fresh index's queries (10k chunks: vector 42 -> 2 ms a query)."""
        if self._wrote:
            self._rows("ANALYZE nc_files, nc_chunks")
            self._wrote = False
        return 0

    # -- reading chunks

    _CHUNK_SQL = ("SELECT c.id, f.path, c.language, c.start_line, c.end_line, c.symbol, c.kind,"
                  " c.hash, c.text FROM nc_chunks c JOIN nc_files f ON f.id = c.file_id")

    def chunks_by_id(self, ids: Sequence[int]) -> dict[int, StoredChunk]:
        rows = self._rows(f"{self._CHUNK_SQL} WHERE c.id = ANY(%s) AND c.workspace_id = %s",
                          (list(ids), self.workspace_id))
        return {r[0]: StoredChunk(*r) for r in rows}

    def chunks_of_file(self, path: str) -> list[StoredChunk]:
        rows = self._rows(f"{self._CHUNK_SQL} WHERE f.workspace_id = %s AND f.path = %s"
                          " ORDER BY c.start_line", (self.workspace_id, path))
        return [StoredChunk(*r) for r in rows]

    def chunk_at(self, path: str, line: int) -> StoredChunk | None:
        rows = self._rows(f"{self._CHUNK_SQL} WHERE f.workspace_id = %s AND f.path = %s AND"
                          " c.start_line <= %s AND c.end_line >= %s"
                          " ORDER BY c.end_line - c.start_line LIMIT 1",
                          (self.workspace_id, path, line, line))
        return StoredChunk(*rows[0]) if rows else None

    def chunks_by_symbol(self, names: Sequence[str], limit: int = 50) -> list[StoredChunk]:
        if not names:
            return []
        rows = self._rows(
            f"{self._CHUNK_SQL} WHERE c.workspace_id = %s AND (c.symbol = ANY(%s) OR"
            " split_part(c.symbol, '.', -1) = ANY(%s)) LIMIT %s",
            (self.workspace_id, list(names), list(names), limit))
        return [StoredChunk(*r) for r in rows]

    def definitions(self, min_lines: int, not_kinds: Collection[str]) -> list[StoredChunk]:
        """Chunks with a symbol, of `min_lines` lines or more, of none of `not_kinds`."""
        rows = self._rows(
            f"{self._CHUNK_SQL} WHERE c.workspace_id = %s AND c.symbol IS NOT NULL"
            " AND c.kind <> ALL(%s) AND c.end_line - c.start_line + 1 >= %s"
            ' ORDER BY f.path COLLATE "C", c.start_line',
            (self.workspace_id, sorted(not_kinds), min_lines))
        return [StoredChunk(*r) for r in rows]

    def vectors_of(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        rows = self._rows("SELECT id, embedding FROM nc_chunks WHERE id = ANY(%s)"
                          " AND workspace_id = %s AND embedding IS NOT NULL",
                          (list(ids), self.workspace_id))
        return {r[0]: as_array(r[1]) for r in rows}

    # -- candidates for retrieval

    def vector_candidates(self, query: np.ndarray, k: int, flt: Filter = NO_FILTER,
                          pool: int = 400) -> list[tuple[int, float]]:
        """The `k` nearest chunks by cosine (HNSW), after the filter."""
        d = self.dim
        if d is None:
            return []
        want = (k + len(flt.exclude_ids)) * (8 if flt else 1)
        q = np.asarray(query, dtype=np.float32)
        where = "c.workspace_id = %s AND vector_dims(c.embedding) = %s"
        params: list[object] = [self.workspace_id, d]
        if flt.languages:
            where += " AND c.language = ANY(%s)"
            params.append(list(flt.languages))
        with self.conn.transaction():
            # a larger search list than pgvector's 40: recall@10 0.78 -> see bench/pg_vs_sqlite
            self.conn.execute(f"SET LOCAL hnsw.ef_search = {max(EF_SEARCH, min(want, 1000))}")
            rows = self.conn.execute(
                f"SELECT c.id, 1 - (c.embedding::vector({d}) <=> %s::vector({d})) FROM nc_chunks c"
                f" WHERE {where} ORDER BY c.embedding::vector({d}) <=> %s::vector({d}) LIMIT %s",
                [q, *params, q, want]).fetchall()
        ids = [r[0] for r in rows if r[0] not in flt.exclude_ids]
        if flt.paths:
            ids = keep_matching(ids, self.chunks_by_id(ids), flt)
        scores = dict(rows)
        return [(cid, float(scores[cid])) for cid in ids][:k]

    def lexical_ceiling(self, words: Sequence[str]) -> float:
        """0: ts_rank has no idf to scale by; fusion divides by the best score alone."""
        return 0.0

    def matches(self, words: Sequence[str]) -> dict[str, int]:
        """How many chunks of the workspace hold each word, counted up to RANKED_ROWS + 1 (so
        a common word costs no more than a rare one); cached until the index changes."""
        generation = self.meta("generation")
        if self._counts_generation != generation:
            self._match_counts = {}
            self._counts_generation = generation
        missing = sorted(set(words) - set(self._match_counts))
        if missing:
            self._match_counts.update(self._rows(
                f"SELECT w, (SELECT count(*) FROM (SELECT 1 FROM nc_chunks WHERE workspace_id"
                f" = %s AND tsv @@ to_tsquery('{TS_CONFIG}', w) LIMIT %s) m)"
                f" FROM unnest(%s::text[]) w", (self.workspace_id, RANKED_ROWS + 1, missing)))
        return {w: self._match_counts[w] for w in words}

    def lexical_candidates(self, words: Sequence[str], k: int, flt: Filter = NO_FILTER
                           ) -> list[tuple[int, float]]:
        """Chunk ids and ts_rank scores of the best full-text matches (higher is better).

        ts_rank has no idf and reads every matching row, so the query keeps the rarest words
        while their matches add up to at most RANKED_ROWS (always the rarest one): the words
        left out are the least telling, and a 100k-chunk index is not read whole per query."""
        counts = self.matches([w for w in words if w.isalnum()])
        terms: list[str] = []
        total = 0
        for word in sorted(counts, key=lambda w: (counts[w], w)):
            total += counts[word]
            if terms and total > RANKED_ROWS:
                break
            terms.append(word)
        if not terms:
            return []
        want = k * (8 if flt else 1) + len(flt.exclude_ids)
        where = "c.workspace_id = %s AND c.tsv @@ q"
        params: list[object] = [" | ".join(terms), self.workspace_id]
        if flt.languages:
            where += " AND c.language = ANY(%s)"
            params.append(list(flt.languages))
        rows = self._rows(
            f"SELECT c.id, ts_rank('{TS_WEIGHTS}', c.tsv, q) AS r FROM nc_chunks c,"
            f" to_tsquery('{TS_CONFIG}', %s) q WHERE {where} ORDER BY r DESC, c.id LIMIT %s",
            [*params, want])
        ids = [r[0] for r in rows if r[0] not in flt.exclude_ids]
        if flt.paths:
            ids = keep_matching(ids, self.chunks_by_id(ids), flt)
        scores = dict(rows)
        return [(cid, float(scores[cid])) for cid in ids][:k]

    # -- status

    def counts(self) -> tuple[int, int]:
        rows = self._rows(
            "SELECT (SELECT count(*) FROM nc_files WHERE workspace_id = %s),"
            " (SELECT count(*) FROM nc_chunks WHERE workspace_id = %s)",
            (self.workspace_id, self.workspace_id))
        return int(rows[0][0]), int(rows[0][1])

    def check(self) -> list[str]:
        """Consistency problems (empty when sound)."""
        problems = []
        orphans = self._rows(
            "SELECT count(*) FROM nc_chunks c LEFT JOIN nc_files f ON f.id = c.file_id"
            " WHERE c.workspace_id = %s AND (f.id IS NULL OR f.workspace_id <> c.workspace_id)",
            (self.workspace_id,))[0][0]
        if orphans:
            problems.append(f"{orphans} chunks without their file")
        dupes = self._rows("SELECT count(*) - count(DISTINCT path) FROM nc_files"
                           " WHERE workspace_id = %s", (self.workspace_id,))[0][0]
        if dupes:
            problems.append(f"{dupes} duplicate file rows")
        return problems


def _vector(vector: np.ndarray | None) -> np.ndarray | None:
    """A chunk's vector as pgvector takes it, or None (NULL) while it has none."""
    return None if vector is None else np.asarray(vector, np.float32)
