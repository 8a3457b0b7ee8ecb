"""The IndexStore contract (store/base.py), one suite over every store.

    sqlite          store/sqlite.py Store, the embedded default
    postgres        store/pg.py PgStore, a team's index in PostgreSQL
    overlay         store/overlay.py OverlayStore: written and read through the overlay (the
                    writes go to its local SQLite index)
    overlay-shared  the same overlay, reading what was written into its shared PostgreSQL index
                    (as CI writes it): chunk ids come back negated, the answers must not change

Vectors are the fake embedder's, so the expected cosines follow from the texts.
"""

from __future__ import annotations

import hashlib
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from nearcode.code import lexical
from nearcode.code.chunking import Chunk, chunk_text
from nearcode.embed.fake import FakeEmbedder
from nearcode.search.duplicates import NOT_DEFINITIONS
from nearcode.store.base import FileState, Filter, IndexStore, StoredChunk
from nearcode.store.overlay import OverlayStore
from nearcode.store.pg import PgStore
from nearcode.store.sqlite import Store

FAKE = FakeEmbedder()

FILES = {
    "shop/cart.py": textwrap.dedent('''\
        class Cart:
            """A shopping cart."""

            def add_item(self, item, count=1):
                """Put `count` of `item` in the cart."""
                self.items.append((item, count))
                self.changed = True
                return self

            def total_price(self, rate):
                total = 0
                for item, count in self.items:
                    total += item.price * count
                return round(total * (1 + rate), 2)


        def tiny():
            return 1
        '''),
    "util/text.py": textwrap.dedent('''\
        def count_words(text):
            """How many words `text` has."""
            words = text.split()
            seen = len(words)
            return seen


        def slugify_title(title):
            """A title as a URL slug."""
            lowered = title.lower()
            parts = lowered.split()
            return "-".join(parts)
        '''),
    "web/app.js": textwrap.dedent('''\
        export function renderWidget(widget, root) {
          const node = document.createElement("div");
          node.className = widget.kind;
          node.textContent = widget.label;
          root.appendChild(node);
          return node;
        }
        '''),
}


def language(path: str) -> str:
    return "javascript" if path.endswith(".js") else "python"


@dataclass
class Backend:
    """The store written to, and the store read from (the same but for overlay-shared)."""

    writer: IndexStore
    reader: IndexStore

    def write(self, path: str, text: str, mtime_ns: int = 1, embedded: bool = True,
              source: str = "disk") -> FileState:
        """Write a file as the indexer does: its vectors first, or none (the lexical tier)."""
        chunks = chunk_text(text, language(path), path)
        vectors = vectors_for(chunks) if embedded else {}
        state = FileState(path, len(text.encode()), mtime_ns,
                          hashlib.sha256(text.encode()).hexdigest(), source)
        if vectors:
            self.writer.put_vectors(vectors)
        self.writer.replace_file(state, language(path), chunks, vectors)
        return state

    def write_all(self) -> dict[str, FileState]:
        return {path: self.write(path, text) for path, text in FILES.items()}


def vectors_for(chunks: list[Chunk]) -> dict[str, np.ndarray]:
    embedded = FAKE.embed_batch([c.embed_text for c in chunks])
    return {c.hash: v for c, v in zip(chunks, embedded, strict=True)}


@pytest.fixture(params=["sqlite", "postgres", "overlay", "overlay-shared"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    kind = request.param
    if kind == "sqlite":
        store: IndexStore = Store(tmp_path / "index.db")
        b = Backend(store, store)
    else:
        shared = PgStore(str(request.getfixturevalue("pg_url")), "ws")
        if kind == "postgres":
            b = Backend(shared, shared)
        else:
            shared.ensure_model(FAKE.model_id, FAKE.dim)  # the shared index CI built
            overlay = OverlayStore(shared, Store(tmp_path / "local.db"))
            b = Backend(shared if kind == "overlay-shared" else overlay, overlay)
    b.reader.ensure_model(FAKE.model_id, FAKE.dim)
    b.writer.ensure_model(FAKE.model_id, FAKE.dim)
    yield b
    b.reader.close()  # an overlay closes its shared store too


def expected_chunks() -> list[Chunk]:
    """Every chunk of FILES as the chunker makes it, by path and line."""
    return [c for path in sorted(FILES) for c in chunk_text(FILES[path], language(path), path)]


def chunks_of(b: Backend) -> list[StoredChunk]:
    return [c for path in sorted(FILES) for c in b.reader.chunks_of_file(path)]


# ----------------------------------------------------------------------------- model and meta


def test_model_guard(backend: Backend) -> None:
    store = backend.writer
    backend.write_all()
    assert store.model_id == FAKE.model_id and store.dim == FAKE.dim
    assert store.ensure_model(FAKE.model_id, FAKE.dim) is False
    assert store.counts()[0] == len(FILES)
    assert store.ensure_model("another-model", 8) is True  # another model: emptied
    assert store.counts() == (0, 0) and store.model_id == "another-model" and store.dim == 8
    assert store.ensure_model("another-model", 8) is False
    assert store.ensure_model("another-model", 8, rebuild=True) is True


def test_meta_round_trip(backend: Backend) -> None:
    store = backend.reader
    assert store.meta("contract-note") is None
    store.set_meta("contract-note", "one")
    store.set_meta("contract-note", "two")
    assert store.meta("contract-note") == "two"


# ----------------------------------------------------------------------------- files


def test_files_round_trip(backend: Backend) -> None:
    states = backend.write_all()
    store = backend.reader
    assert store.file_states() == states
    assert store.file_state("util/text.py") == states["util/text.py"]
    assert store.file_state("nowhere.py") is None
    expected = {p: chunk_text(t, language(p), p) for p, t in FILES.items()}
    assert store.counts() == (len(FILES), sum(len(c) for c in expected.values()))
    for path, chunks in expected.items():
        stored = store.chunks_of_file(path)
        assert [(c.start_line, c.end_line, c.symbol, c.kind, c.hash, c.text, c.path, c.language)
                for c in stored] == [
            (c.start_line, c.end_line, c.symbol, c.kind, c.hash, c.text, c.path, c.language)
            for c in chunks]
    assert store.check() == []


def test_replace_touch_and_delete(backend: Backend) -> None:
    backend.write_all()
    store = backend.reader
    new = "def count_words(text):\n    return len(text.split())\n"
    state = backend.write("util/text.py", new, mtime_ns=7)
    assert [c.symbol for c in store.chunks_of_file("util/text.py")] == ["count_words"]
    assert store.file_state("util/text.py") == state
    backend.writer.touch_file("util/text.py", 999, 8)
    touched = store.file_state("util/text.py")
    assert touched is not None and (touched.size, touched.mtime_ns) == (999, 8)
    assert touched.sha256 == state.sha256
    backend.writer.delete_file("web/app.js")
    assert set(store.file_states()) == {"shop/cart.py", "util/text.py"}
    assert store.chunks_of_file("web/app.js") == []
    assert not store.chunks_by_symbol(["renderWidget"])
    backend.writer.delete_file("never-indexed.py")  # nothing to delete: no error
    assert store.check() == []


# ----------------------------------------------------------------------------- reading chunks


def test_chunk_at_by_id_and_vectors(backend: Backend) -> None:
    backend.write_all()
    store = backend.reader
    made = [c for c in expected_chunks() if c.path == "shop/cart.py"]
    for line in range(1, made[-1].end_line + 1):
        holding = [c for c in made if c.start_line <= line <= c.end_line]
        at = store.chunk_at("shop/cart.py", line)
        if not holding:  # a blank line between chunks
            assert at is None
        else:
            assert at is not None and (at.start_line, at.end_line, at.symbol) == min(
                ((c.start_line, c.end_line, c.symbol) for c in holding),
                key=lambda span: span[1] - span[0])
    assert store.chunk_at("shop/cart.py", 500) is None
    assert store.chunk_at("nowhere.py", 1) is None
    chunks = chunks_of(backend)
    ids = [c.id for c in chunks]
    assert len(set(ids)) == len(ids)
    missing = max(abs(i) for i in ids) + 1000
    assert store.chunks_by_id([*ids, missing]) == {c.id: c for c in chunks}
    vectors = store.vectors_of(ids)
    assert set(vectors) == set(ids)
    expected = vectors_for(expected_chunks())
    for c in chunks:
        assert same_vector(vectors[c.id], expected[c.hash])


def same_vector(got: np.ndarray, want: np.ndarray) -> bool:
    """A vector as a store reads it back: a unit vector within quantisation error of what
    was written (SQLite keeps int8 values: cosine > 0.999; PostgreSQL float32: exact)."""
    return (abs(float(np.linalg.norm(got)) - 1.0) < 1e-5 and float(got @ want) > 0.999
            and bool(np.allclose(got, want, atol=0.01)))


def test_chunks_by_symbol(backend: Backend) -> None:
    backend.write_all()
    store = backend.reader
    assert {c.symbol for c in store.chunks_by_symbol(["add_item", "count_words"])} == {
        "Cart.add_item", "count_words"}
    assert [c.symbol for c in store.chunks_by_symbol(["Cart.total_price"])] == [
        "Cart.total_price"]
    assert store.chunks_by_symbol([]) == []
    assert len(store.chunks_by_symbol(["add_item", "count_words", "tiny"], limit=2)) == 2


def test_definitions(backend: Backend) -> None:
    backend.write_all()
    found = backend.reader.definitions(5, NOT_DEFINITIONS)
    wanted = [c for c in expected_chunks() if c.symbol and c.kind not in NOT_DEFINITIONS
              and c.end_line - c.start_line + 1 >= 5]
    assert [(c.path, c.start_line, c.symbol) for c in found] == [
        (c.path, c.start_line, c.symbol) for c in wanted]
    assert {"Cart.total_price", "count_words", "renderWidget"} <= {c.symbol for c in found}
    assert "tiny" not in {c.symbol for c in found}
    every = backend.reader.definitions(1, ())
    assert {c.symbol for c in every} >= {"tiny", *(c.symbol for c in found)}
    assert [(c.path, c.start_line) for c in every] == sorted((c.path, c.start_line)
                                                             for c in every)


def test_embedding_cache(backend: Backend) -> None:
    backend.write_all()
    chunks = chunk_text(FILES["util/text.py"], "python", "util/text.py")
    vectors = vectors_for(chunks)
    found = backend.reader.cached_vectors([*vectors, "no-such-hash"])
    assert set(found) == set(vectors)
    for h, v in vectors.items():
        assert same_vector(found[h], v)
    fresh = {"contract-hash": FAKE.embed_batch(["a text never indexed"])[0]}
    backend.writer.put_vectors(fresh)
    assert same_vector(backend.reader.cached_vectors(["contract-hash"])["contract-hash"],
                       fresh["contract-hash"])
    assert backend.writer.prune_cache() >= 0


# ----------------------------------------------------------------------------- candidates


def test_vector_candidates(backend: Backend) -> None:
    backend.write_all()
    store = backend.reader
    chunks = {c.symbol: c for c in chunks_of(backend)}
    target = chunks["slugify_title"]
    query = store.vectors_of([target.id])[target.id]
    found = store.vector_candidates(query, 3)
    assert found[0][0] == target.id and found[0][1] == pytest.approx(1.0, abs=1e-5)
    assert len(found) == 3 and [s for _, s in found] == sorted((s for _, s in found),
                                                                reverse=True)
    vectors = store.vectors_of([cid for cid, _ in found])
    for cid, score in found:  # scores are cosines of unit vectors
        assert score == pytest.approx(float(vectors[cid] @ query), abs=1e-5)
    by_id = {c.id: c for c in chunks.values()}
    js = store.vector_candidates(query, 5, Filter(languages=("javascript",)))
    assert js and all(by_id[cid].language == "javascript" for cid, _ in js)
    util = store.vector_candidates(query, 5, Filter(paths=("shop/**",)))
    assert util and all(by_id[cid].path.startswith("shop/") for cid, _ in util)
    others = store.vector_candidates(query, 3, Filter(exclude_ids=frozenset({target.id})))
    assert target.id not in {cid for cid, _ in others} and len(others) == 3


def test_lexical_candidates_and_their_scale(backend: Backend) -> None:
    backend.write_all()
    store = backend.reader
    by_id = {c.id: c for c in chunks_of(backend)}
    words = lexical.query_terms("slugify a title")
    found = store.lexical_candidates(words, 5)
    assert found and by_id[found[0][0]].symbol == "slugify_title"
    scores = [s for _, s in found]
    assert all(s > 0 for s in scores) and scores == sorted(scores, reverse=True)
    ceiling = store.lexical_ceiling(words)
    assert ceiling >= 0.0
    norm = max(scores[0], ceiling)  # what fusion divides by: every score lands in (0, 1]
    assert all(0.0 < s / norm <= 1.0 for s in scores)
    only_js = store.lexical_candidates(lexical.query_terms("render widget node"), 5,
                                       Filter(languages=("javascript",)))
    assert [by_id[cid].symbol for cid, _ in only_js] == ["renderWidget"]
    in_shop = store.lexical_candidates(lexical.query_terms("items total count"), 5,
                                       Filter(paths=("shop/",)))
    assert in_shop and all(by_id[cid].path.startswith("shop/") for cid, _ in in_shop)
    assert store.lexical_candidates(lexical.query_terms("zyzzyva quux"), 5) == []
    best = found[0][0]
    rest = store.lexical_candidates(words, 5, Filter(exclude_ids=frozenset({best})))
    assert best not in {cid for cid, _ in rest}


# ----------------------------------------------------------------------------- lexical tier


def test_lexical_tier_then_vectors(backend: Backend) -> None:
    """Files written without vectors are found by their words only; their chunks wait in
    `unembedded` (one per hash; buffers, then the newest files first) until `put_vectors`."""
    w, r = backend.writer, backend.reader
    order = {"web/app.js": 0, "shop/cart.py": 1, "util/text.py": 2, "copy/text.py": 2}
    backend.write("util/text.py", FILES["util/text.py"], mtime_ns=100, embedded=False)
    backend.write("copy/text.py", FILES["util/text.py"], mtime_ns=100, embedded=False)
    backend.write("shop/cart.py", FILES["shop/cart.py"], mtime_ns=200, embedded=False)
    backend.write("web/app.js", FILES["web/app.js"], mtime_ns=-1, embedded=False,
                  source="buffer")
    chunks = {p: chunk_text(FILES[p], language(p), p)
              for p in ("util/text.py", "shop/cart.py", "web/app.js")}
    n_chunks = sum(len(c) for c in chunks.values()) + len(chunks["util/text.py"])
    pending = w.unembedded(100)
    assert sorted(c.hash for c in pending) == sorted({c.hash for cs in chunks.values()
                                                     for c in cs})
    ranks = [order[c.path] for c in pending]
    assert ranks == sorted(ranks)
    assert w.unembedded_count() == n_chunks
    assert [c.path for c in w.unembedded(2)] == [c.path for c in pending[:2]]

    slug = vectors_for(chunks["util/text.py"])
    query = next(v for c, v in zip(chunks["util/text.py"], slug.values(), strict=True)
                 if c.symbol == "slugify_title")
    assert r.vector_candidates(query, 5) == []  # nothing has a vector yet
    by_id = {c.id: c for p in order for c in r.chunks_of_file(p)}
    found = r.lexical_candidates(lexical.query_terms("slugify a title"), 5)
    assert found and by_id[found[0][0]].symbol == "slugify_title"

    w.put_vectors(slug)  # both copies of the file get their vectors at once
    near = r.vector_candidates(query, 2)
    assert {by_id[cid].path for cid, _ in near} == {"util/text.py", "copy/text.py"}
    assert all(s == pytest.approx(1.0, abs=0.01) for _, s in near)  # (int8 in SQLite)
    assert w.unembedded_count() == n_chunks - 2 * len(chunks["util/text.py"])
    assert {c.path for c in w.unembedded(100)} == {"web/app.js", "shop/cart.py"}

    for p in ("shop/cart.py", "web/app.js"):
        w.put_vectors(vectors_for(chunks[p]))
    assert w.unembedded(100) == [] and w.unembedded_count() == 0
    assert len(r.vector_candidates(query, 50)) == n_chunks
    assert r.check() == []
