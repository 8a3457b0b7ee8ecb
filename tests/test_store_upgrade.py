"""An index written by the first schema (float32 vectors, full text with its own copy of the
words, no symbol names) upgrades in place to one that answers like a fresh index."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import sqlite_utils
from helpers import DATA, deep_check
from nearcode.code import lexical
from nearcode.code.chunking import Chunk, chunk_text
from nearcode.embed.fake import FakeEmbedder
from nearcode.store import sqlite_schema
from nearcode.store.base import FileState
from nearcode.store.sqlite import Store
from nearcode.store.sqlite_db import Connections
from nearcode.store.sqlite_schema import MIGRATION_SET, MIGRATIONS

EMB = FakeEmbedder()
WS = DATA / "retrieval"
FILES = {p.relative_to(WS).as_posix(): p.read_text() for p in sorted(WS.rglob("*.py"))}
FILES |= {p.relative_to(DATA / "server_ws").as_posix(): p.read_text()
          for p in sorted((DATA / "server_ws").rglob("*.py"))}


def _chunks() -> dict[str, list[Chunk]]:
    return {path: chunk_text(text, "python", path) for path, text in FILES.items()}


def _vectors(chunks: dict[str, list[Chunk]]) -> dict[str, np.ndarray]:
    every = {c.hash: c.embed_text for cs in chunks.values() for c in cs}
    return dict(zip(every, EMB.embed_batch(list(every.values())), strict=True))


def _write_first_schema(path: Path, chunks: dict[str, list[Chunk]],
                        vectors: dict[str, np.ndarray]) -> None:
    """The rows nearcode wrote before migrations m002 and m003, as it wrote them."""
    conns = Connections(path)
    db = conns.db
    first = sqlite_utils.Migrations(MIGRATION_SET)
    first(name="m001_initial")(sqlite_schema._m001_initial)
    first.apply(db)
    db.execute(f"CREATE VIRTUAL TABLE vec_bits USING vec0(embedding bit[{EMB.dim}])")
    db.execute("INSERT INTO meta VALUES ('model_id', ?), ('dim', ?)", (EMB.model_id, EMB.dim))
    for h, v in vectors.items():
        db.execute("INSERT INTO embeddings VALUES (?, ?, 0)", (h, np.asarray(v, "<f4").tobytes()))
    for file_id, (rel, cs) in enumerate(chunks.items(), 1):
        db.execute("INSERT INTO files VALUES (?, ?, 'python', 1, 1, ?, 'disk', 0)",
                   (file_id, rel, f"sha-{rel}"))
        for c in cs:
            cid = db.execute(
                "INSERT INTO chunks (file_id, start_line, end_line, symbol, kind, language,"
                " hash, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (file_id, c.start_line, c.end_line, c.symbol, c.kind, c.language, c.hash,
                 c.text)).lastrowid
            db.execute("INSERT INTO chunks_fts (rowid, symbol, path, body) VALUES (?, ?, ?, ?)",
                       (cid, lexical.index_text(c.symbol or ""), lexical.index_text(rel),
                        lexical.index_text(c.text)))
            db.execute("INSERT INTO vec_bits VALUES (?, vec_quantize_binary(?))",
                       (cid, np.asarray(vectors[c.hash], "<f4").tobytes()))
    conns.close()


def _fresh(path: Path, chunks: dict[str, list[Chunk]], vectors: dict[str, np.ndarray]) -> Store:
    store = Store(path)
    store.ensure_model(EMB.model_id, EMB.dim)
    store.put_vectors(vectors)
    for rel, cs in chunks.items():
        store.replace_file(FileState(rel, 1, 1, f"sha-{rel}", "disk"), "python", cs, vectors)
    return store


def test_first_schema_upgrades_to_answer_like_a_fresh_index(tmp_path: Path) -> None:
    chunks = _chunks()
    vectors = _vectors(chunks)
    assert len(chunks) >= 3 and sum(map(len, chunks.values())) >= 10
    _write_first_schema(tmp_path / "old.db", chunks, vectors)
    old = Store(tmp_path / "old.db")
    fresh = _fresh(tmp_path / "fresh.db", chunks, vectors)
    assert MIGRATIONS.pending(old.db) == []
    assert deep_check(old) == [] and old.check() == []
    blobs = {len(r[0]) for r in old.db.execute("SELECT vector FROM embeddings")}
    assert blobs == {4 + EMB.dim}  # int8 values after their float32 scale
    assert _external(old)  # the full text keeps no copy of its words (FTS_SQL)

    def by_span(store: Store, ranked: list[tuple[int, float]]) -> list[tuple[str, int, float]]:
        found = store.chunks_by_id([i for i, _ in ranked])
        return [(found[i].path, found[i].start_line, round(s, 6)) for i, s in ranked]

    for c in [c for cs in chunks.values() for c in cs][::3]:
        query = vectors[c.hash]
        assert by_span(old, old.vector_candidates(query, 5)) == \
            by_span(fresh, fresh.vector_candidates(query, 5))
        words = lexical.query_terms(c.text)
        assert by_span(old, old.lexical_candidates(words, 5)) == \
            by_span(fresh, fresh.lexical_candidates(words, 5))
        assert old.lexical_ceiling(words) == fresh.lexical_ceiling(words)
    names = sorted({(c.symbol or "").rsplit(".", 1)[-1] for cs in chunks.values()
                    for c in cs if c.symbol})
    assert sorted(c.symbol or "" for c in old.chunks_by_symbol(names, 500)) == \
        sorted(c.symbol or "" for c in fresh.chunks_by_symbol(names, 500))
    old.close()
    fresh.close()


def _has(store: Store, table: str) -> bool:
    return bool(store.db.execute("SELECT 1 FROM sqlite_master WHERE name = ?",
                                 (table,)).fetchone())


def _external(store: Store) -> bool:
    """The full-text table reads its words from the chunk rows (no copy of its own)."""
    return not _has(store, "chunks_fts_content") and _has(store, "chunks_fts_source")


def test_full_text_without_its_words_keeps_exact_statistics(tmp_path: Path) -> None:
    """Rows replaced and deleted one by one leave BM25 as a fresh index of what is left has it
    (a delete re-derives the words it takes away)."""
    chunks, vectors = _chunks(), _vectors(_chunks())
    store = _fresh(tmp_path / "index.db", chunks, vectors)
    assert _external(store)
    paths = sorted(chunks)
    store.delete_file(paths[0])
    store.replace_file(FileState(paths[1], 1, 2, "sha-new", "disk"), "python",
                       chunks[paths[1]][:1], vectors)
    left = {p: cs for p, cs in chunks.items() if p != paths[0]}
    left[paths[1]] = chunks[paths[1]][:1]
    fresh = _fresh(tmp_path / "fresh.db", left, vectors)
    assert deep_check(store) == []
    for text in ("count words", "slugify title", "parse the config file"):
        words = lexical.query_terms(text)
        got = [(store.chunks_by_id([i])[i].start_line, round(s, 6))
               for i, s in store.lexical_candidates(words, 5)]
        want = [(fresh.chunks_by_id([i])[i].start_line, round(s, 6))
                for i, s in fresh.lexical_candidates(words, 5)]
        assert got == want
    store.close()
    fresh.close()


def test_full_text_is_rebuilt_when_its_words_change(tmp_path: Path) -> None:
    """An index whose words were made by another version of lexical.index_text gets them made
    again on open (else its deletes would take away words it never held)."""
    store = _fresh(tmp_path / "index.db", _chunks(), _vectors(_chunks()))
    want = store.lexical_candidates(lexical.query_terms("count words"), 5)
    with store.db.conn:
        store.db.execute("UPDATE meta SET value = 'older' WHERE key = 'fts_terms'")
        store.db.execute("INSERT INTO chunks_fts (chunks_fts, rowid, symbol, path, body)"
                         " VALUES ('delete', 1, 'x', 'y', 'z')")  # words it never held
    store.close()
    again = Store(tmp_path / "index.db")
    assert again.meta("fts_terms") == lexical.TERMS_VERSION
    assert deep_check(again) == []
    assert again.lexical_candidates(lexical.query_terms("count words"), 5) == want
    again.close()


def test_a_contentless_full_text_table_is_rebuilt_with_its_words(tmp_path: Path) -> None:
    store = _fresh(tmp_path / "index.db", _chunks(), _vectors(_chunks()))
    want = store.lexical_candidates(lexical.query_terms("count words"), 5)
    with store.db.conn:  # what m003 made for a while: no words, BM25 that counts deleted rows
        store.db.execute("DROP TABLE chunks_fts")
        store.db.execute("CREATE VIRTUAL TABLE chunks_fts USING fts5(symbol, path, body,"
                         " content = '', contentless_delete = 1)")
        store.db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm004_fts_with_content'")
    store.close()
    again = Store(tmp_path / "index.db")
    assert _external(again)
    assert again.lexical_candidates(lexical.query_terms("count words"), 5) == want
    again.close()
