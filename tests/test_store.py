"""Store: migrations, the model guard, per-file replacement keeping all tables in step,
the embedding cache, candidates, and refusing files that are not an index."""

from __future__ import annotations

import random
import sqlite3 as stdlib_sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import DATA, deep_check
from hypothesis import given, settings
from hypothesis import strategies as st
from nearcode.code.chunking import Chunk, chunk_text
from nearcode.embed.fake import FakeEmbedder
from nearcode.store import bits
from nearcode.store.base import FileState, Filter, StoreError
from nearcode.store.sqlite import Store
from nearcode.store.sqlite_schema import MIGRATIONS

EMB = FakeEmbedder()


def _store(tmp_path: Path, name: str = "index.db") -> Store:
    store = Store(tmp_path / name)
    store.ensure_model(EMB.model_id, EMB.dim)
    return store


def _write(store: Store, path: str, text: str, language: str = "python") -> list[Chunk]:
    chunks = chunk_text(text, language, path)
    vectors = store.cached_vectors(c.hash for c in chunks)
    missing = [c for c in chunks if c.hash not in vectors]
    if missing:
        fresh = dict(zip([c.hash for c in missing],
                         EMB.embed_batch([c.embed_text for c in missing]), strict=True))
        store.put_vectors(fresh)
        vectors.update(fresh)
    state = FileState(path, len(text), 1, f"sha-{hash(text)}", "disk")
    store.replace_file(state, language, chunks, vectors)
    return chunks


def test_migrations_apply_once(tmp_path: Path) -> None:
    db = tmp_path / "index.db"
    store = Store(db)
    wanted = [m.name for m in MIGRATIONS._migrations]
    applied = MIGRATIONS.applied(store.db)
    assert [m.name for m in applied] == wanted
    assert {"meta", "files", "chunks", "embeddings", "chunks_fts"} <= set(store.db.table_names())
    store.close()
    again = Store(db)
    assert MIGRATIONS.applied(again.db) == applied  # same rows, same timestamps
    assert MIGRATIONS.pending(again.db) == []
    assert again.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again.close()


def test_model_change_empties_the_index(tmp_path: Path) -> None:
    store = Store(tmp_path / "index.db")
    assert store.model_id is None
    assert store.ensure_model(EMB.model_id, EMB.dim) is True
    assert store.ensure_model(EMB.model_id, EMB.dim) is False
    chunks = _write(store, "a.py", (DATA / "chunking" / "inventory.py").read_text())
    store.close()

    store = Store(tmp_path / "index.db")
    assert store.ensure_model(EMB.model_id, EMB.dim) is False  # reopening keeps everything
    assert store.counts() == (1, len(chunks))
    assert store.model_id == EMB.model_id and store.dim == EMB.dim

    other = FakeEmbedder(dim=64)
    assert store.ensure_model(other.model_id, other.dim) is True
    assert store.counts() == (0, 0)
    assert store.cached_vectors(c.hash for c in chunks) == {}  # no vector of the old model
    assert (store.model_id, store.dim) == (other.model_id, other.dim)
    # the vector table now takes the new dimension
    text = "def f():\n    return 1\n"
    c = chunk_text(text, "python", "f.py")
    vec = {c[0].hash: other.embed_batch([c[0].embed_text])[0]}
    store.put_vectors(vec)
    store.replace_file(FileState("f.py", 1, 1, "x", "disk"), "python", c, vec)
    assert deep_check(store) == []
    assert [i for i, _ in store.vector_candidates(vec[c[0].hash], 5)] == [
        store.chunks_of_file("f.py")[0].id]

    assert store.ensure_model(other.model_id, other.dim, rebuild=True) is True
    assert store.counts() == (0, 0)
    assert deep_check(store) == []
    store.close()


_TEXTS = [
    "def alpha():\n    return 1\n",
    "def beta(x):\n    return x * 2\n\n\ndef gamma(y):\n    return y - 3\n",
    "class Box:\n    def open(self):\n        return True\n\n    def close(self):\n"
    "        return False\n",
    "# notes\nvalue = 42\n",
    "",
]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a.py", "b.py", "pkg/c.py"]),
                          st.sampled_from([*_TEXTS, None])), max_size=25))
def test_replace_and_delete_keep_tables_in_step(tmp_path_factory, ops) -> None:
    store = _store(tmp_path_factory.mktemp("store"))
    expected: dict[str, list[Chunk]] = {}
    for path, text in ops:
        if text is None:
            store.delete_file(path)
            expected.pop(path, None)
        else:
            expected[path] = _write(store, path, text)
        assert deep_check(store) == []
    assert set(store.file_states()) == set(expected)
    for path, chunks in expected.items():
        stored = store.chunks_of_file(path)
        assert [(s.start_line, s.end_line, s.hash, s.text) for s in stored] == [
            (c.start_line, c.end_line, c.hash, c.text) for c in chunks]
    # full text and vectors only know the chunks that are there now
    live = {r[0] for r in store.db.execute("SELECT id FROM chunks")}
    for word in ["alpha", "beta", "gamma", "box", "value"]:
        assert {i for i, _ in store.lexical_candidates([word], 50)} <= live
    store.close()


def test_deleting_the_newest_file_and_writing_again(tmp_path: Path) -> None:
    # chunk ids are reused after the highest ones are deleted; the vec0 rows must follow
    store = _store(tmp_path)
    _write(store, "a.py", _TEXTS[1])
    _write(store, "b.py", _TEXTS[2])
    store.delete_file("b.py")
    _write(store, "c.py", _TEXTS[2])
    _write(store, "c.py", _TEXTS[0])
    assert deep_check(store) == []
    q = EMB.embed_batch(["alpha"])[0]
    top = store.vector_candidates(q, 1)
    assert store.chunks_by_id([top[0][0]])[top[0][0]].path == "c.py"


def test_embedding_cache_and_pruning(tmp_path: Path) -> None:
    store = _store(tmp_path)
    first = _write(store, "a.py", _TEXTS[1])
    assert set(store.cached_vectors(c.hash for c in first)) == {c.hash for c in first}
    vec = store.cached_vectors([first[0].hash])[first[0].hash]
    assert vec.dtype == np.dtype("<f4") and vec.shape == (EMB.dim,)
    assert np.isclose(np.linalg.norm(vec), 1.0, atol=1e-5)
    store.delete_file("a.py")  # its vectors stay cached: a branch switch may bring it back
    assert set(store.cached_vectors(c.hash for c in first)) == {c.hash for c in first}
    assert store.prune_cache(keep_orphans=0) == len({c.hash for c in first})
    assert store.cached_vectors(c.hash for c in first) == {}
    assert deep_check(store) == []


def test_candidates_filters_and_large_k(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _write(store, "src/alpha.py", "def alpha_total(items):\n    return sum(items)\n")
    _write(store, "lib/alpha.go", "func AlphaTotal(items []int) int {\n\treturn 0\n}\n", "go")
    _write(store, "docs/alpha.md", "# alpha total\n\nHow alpha totals work.\n", "markdown")
    q = EMB.embed_batch(["alpha total"])[0]
    all_paths = {store.chunks_by_id([i])[i].path for i, _ in store.vector_candidates(q, 10)}
    assert all_paths == {"src/alpha.py", "lib/alpha.go", "docs/alpha.md"}

    def paths(flt: Filter) -> tuple[set[str], set[str]]:
        dense = {store.chunks_by_id([i])[i].path for i, _ in store.vector_candidates(q, 10, flt)}
        lex = {store.chunks_by_id([i])[i].path
               for i, _ in store.lexical_candidates(["alpha", "total"], 10, flt)}
        return dense, lex

    assert paths(Filter(languages=("go",))) == ({"lib/alpha.go"}, {"lib/alpha.go"})
    assert paths(Filter(paths=("src/**",))) == ({"src/alpha.py"}, {"src/alpha.py"})
    assert paths(Filter(languages=("python", "markdown"), paths=("*.md",))) == (
        {"docs/alpha.md"}, {"docs/alpha.md"})
    exclude = frozenset(i for i, _ in store.vector_candidates(q, 10))
    assert store.vector_candidates(q, 10, Filter(exclude_ids=exclude)) == []
    assert store.lexical_candidates(["alpha"], 10, Filter(exclude_ids=exclude)) == []
    # more results than sqlite-vec's KNN limit (4096) asked for: no error
    assert len(store.vector_candidates(q, 5000)) == 3
    assert len(store.vector_candidates(q, 2000, Filter(languages=("go",)))) == 1
    assert store.lexical_candidates([], 10) == []


def test_readers_on_other_threads(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _write(store, "a.py", _TEXTS[1])
    seen: list[tuple[int, int]] = []
    t = threading.Thread(target=lambda: seen.append(store.counts()))
    t.start()
    t.join()
    assert seen == [store.counts()]
    store.close()


@pytest.mark.parametrize("content", [
    bytes(random.Random(1).randrange(256) for _ in range(8192)),
    b"SQLite format 3\x00" + bytes(random.Random(2).randrange(256) for _ in range(4080)),
    b"not a database at all\n" * 100,
])
def test_corrupt_files_raise_store_error(tmp_path: Path, content: bytes) -> None:
    db = tmp_path / "junk.db"
    db.write_bytes(content)
    with pytest.raises(StoreError, match="junk.db"):
        Store(db)
    assert db.read_bytes() == content  # and it is left as it was


def test_foreign_database_and_folder_raise_store_error(tmp_path: Path) -> None:
    db = tmp_path / "other.db"
    conn = stdlib_sqlite3.connect(db)
    conn.execute("CREATE TABLE files (name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError):
        Store(db)
    (tmp_path / "a_folder.db").mkdir()
    with pytest.raises(StoreError):
        Store(tmp_path / "a_folder.db")


def test_pruning_keeps_the_most_recently_used_orphans(tmp_path: Path) -> None:
    store = _store(tmp_path)
    old = _write(store, "a.py", _TEXTS[0])  # vector X, first used now...
    time.sleep(0.01)
    newer = _write(store, "b.py", _TEXTS[3])  # vector Y
    time.sleep(0.01)
    _write(store, "c.py", _TEXTS[0])  # ...and X used again, after Y
    for path in ["a.py", "b.py", "c.py"]:
        store.delete_file(path)
    assert store.prune_cache() == 0  # a few orphans are always kept
    assert store.prune_cache(keep_orphans=len(old)) == len(newer)
    assert set(store.cached_vectors(c.hash for c in old + newer)) == {c.hash for c in old}


def test_in_memory_bits_follow_writes_of_another_connection(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = _store(tmp_path)
    reader = Store(tmp_path / "index.db")  # as the server reads while `nearcode index` writes
    for i in range(12):
        _write(writer, f"m{i}.py", f"def func_{i}(x):\n    return x + {i}\n")
    texts = {name: f"def {name}(y):\n    return y * {len(name)}\n" for name in ("fresh", "later")}
    query = {name: EMB.embed_batch([chunk_text(text, "python", f"{name}.py")[0].embed_text])[0]
             for name, text in texts.items()}

    def best(name: str) -> str:
        # pool 4 < 12 chunks: the coarse search by sign bits decides what is re-scored
        (cid, _), = reader.vector_candidates(query[name], 1, pool=4)
        return reader.chunks_by_id([cid])[cid].path

    assert best("fresh").startswith("m")  # not written yet
    assert reader.sign_bits.loaded is not None  # the bits now sit in memory
    _write(writer, "fresh.py", texts["fresh"])
    assert best("fresh") == "fresh.py"  # just after a load: answered from vec0 meanwhile
    monkeypatch.setattr(bits, "RELOAD_S", 0.0)
    _write(writer, "later.py", texts["later"])
    assert best("later") == "later.py"  # reloaded
    loaded = reader.sign_bits.loaded
    assert loaded is not None and len(loaded.ids) == reader.counts()[1]
    writer.delete_file("later.py")
    assert best("later") != "later.py"
    reader.close()
    writer.close()


def test_vectors_read_from_memory_are_the_stored_ones(tmp_path: Path) -> None:
    store = _store(tmp_path)
    for i in range(6):
        _write(store, f"m{i}.py", f"def func_{i}(x):\n    return x + {i}\n")
    ids = [cid for cid, _ in store.vector_candidates(EMB.embed_batch(["x + 1"])[0], 6)]
    store.memory_bits = False
    store.sign_bits.clear()
    from_sql = store.vectors_of(ids)
    store.memory_bits = True
    store.vector_candidates(EMB.embed_batch(["x + 1"])[0], 6)  # loads bits and vectors
    assert store.sign_bits.loaded is not None
    from_memory = store.vectors_of(ids)
    assert list(from_memory) == list(from_sql) == sorted(ids)
    assert all(np.array_equal(from_memory[i], from_sql[i]) for i in ids)
    _write(store, "m9.py", "def other(y):\n    return y\n")  # a new generation: SQLite again
    assert list(store.vectors_of(ids)) == sorted(ids)
    store.close()


def test_sign_bit_distances_and_the_nearest_of_them() -> None:
    rng = np.random.default_rng(7)
    words = rng.integers(0, 2**63, size=(6, 500), dtype=np.uint64)
    query = words[:, 3] ^ np.uint64(0b1011)  # 3 bits away from column 3
    expected = np.array([sum(bin(int(w) ^ int(q)).count("1") for w, q in zip(col, query,
                                                                             strict=True))
                         for col in words.T])
    assert np.array_equal(bits.hamming(words, query), expected)
    as_bytes = np.ascontiguousarray(words.T).view(np.uint8).reshape(500, 48).T
    assert np.array_equal(bits.hamming(np.ascontiguousarray(as_bytes),
                                       np.ascontiguousarray(query).view(np.uint8)), expected)
    ids = np.arange(500, dtype=np.int64) * 3
    held = bits.Bits("1", ids, words, 0.0, ids, np.zeros((500, 8), dtype=np.uint8))
    q = np.array([1.0 if b else -1.0 for w in query for b in
                  np.unpackbits(np.array([w], dtype=np.uint64).view(np.uint8),
                                bitorder="little")], dtype=np.float32)
    for want in (1, 7, 50, 499):
        got = held.nearest(q, want)
        # the `want` nearest, equal distances at the cut taken by the smallest ids
        assert got == sorted(ids.tolist(), key=lambda i: (expected[i // 3], i))[:want] or \
            sorted(got) == sorted(sorted(ids.tolist(), key=lambda i: (expected[i // 3], i))[:want])
    assert held.nearest(q, 1) == [9]


@pytest.mark.parametrize("compact", [4096, 3])
def test_own_writes_move_the_memory_copies_as_a_reload_would(
        tmp_path: Path, compact: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """After this process's writes the sign bits, stored vectors, file states and counts it
    holds follow to the new generation without being read again (no reload: the same load
    time), and equal what a fresh read of the index gives, whether the chunks written since
    sit beside the arrays read at the load or were folded into them (`compact`); another
    process's write is read again."""
    monkeypatch.setattr(bits, "COMPACT", compact)
    store = _store(tmp_path)
    rng = random.Random(3)
    texts = {f"m{i}.py": f"def f{i}(x):\n    return x + {i}\n\nclass C{i}:\n    y = {i}\n"
             for i in range(8)}
    for path, text in texts.items():
        _write(store, path, text)
    query = EMB.embed_batch(["return x + 3"])[0]
    store.vector_candidates(query, 3)  # loads the bits
    store.file_states()
    store.counts()
    loaded = store.sign_bits.loaded
    assert loaded is not None

    lexical_only = chunk_text("def g(y):\n    return y * 7\n", "python", "lex.py")
    # rewrites (ids reused or not), copies (vectors from the cache), deletions, new files, the
    # lexical tier
    for step in range(16):
        path = rng.choice([*texts, f"new{step}.py"])
        kind = ["write", "copy", "delete", "touch", "lexical"][step % 5]
        if kind == "write":
            _write(store, path, f"def h{step}(z):\n    return z - {step}\n" * rng.randint(1, 3))
        elif kind == "copy":
            _write(store, path, texts[rng.choice(sorted(texts))])
        elif kind == "delete":
            store.delete_file(path)
        elif kind == "touch":
            store.touch_file(path, 99, 12345)
        else:
            store.replace_file(FileState("lex.py", 9, 2, f"s{step}", "disk"), "python",
                               lexical_only, {})
        held = store.sign_bits.loaded
        assert held is not None and held.loaded_at == loaded.loaded_at  # followed, not reloaded
        assert held.generation == store.meta("generation")
    store.put_vectors(dict(zip([c.hash for c in lexical_only],
                               EMB.embed_batch([c.embed_text for c in lexical_only]),
                               strict=True)))
    held = store.sign_bits.loaded
    assert held is not None and held.loaded_at == loaded.loaded_at
    followed = (store.file_states(), store.counts(), store.vector_candidates(query, 5))

    fresh = Store(tmp_path / "index.db")  # reads everything anew
    assert (fresh.file_states(), fresh.counts(), fresh.vector_candidates(query, 5)) == followed
    new = fresh.sign_bits.loaded
    assert new is not None and new.loaded_at != loaded.loaded_at
    if compact > 100:  # every chunk written since the load sits beside the arrays
        assert held.extra is not None and len(held.extra.ids) > compact // 1000
    else:  # folded in every few writes
        assert held.extra is None or len(held.extra.ids) <= compact
    folded = held.folded()
    assert np.array_equal(new.ids, folded.ids) and np.array_equal(new.words, folded.words)
    assert np.array_equal(new.vector_ids, folded.vector_ids)
    assert np.array_equal(new.vectors, folded.vectors)
    some = [int(i) for i in new.vector_ids[::2]] + [10_000]
    assert held.stored_vectors(some)[0] == new.stored_vectors(some)[0]
    assert np.array_equal(held.stored_vectors(some)[1], new.stored_vectors(some)[1])

    _write(fresh, "other.py", "def other(q):\n    return q\n")  # another process writes
    assert store.sign_bits.loaded is held  # not followed: read again when asked
    assert store.counts() == fresh.counts() and store.file_states() == fresh.file_states()
    fresh.close()
    store.close()


def test_word_counts_follow_own_writes_by_the_terms_fts5_indexes(tmp_path: Path) -> None:
    """After a write of this process the cached document frequencies move to the new generation:
    the words of the chunks written or deleted are counted again, and so is every query word
    that FTS5 indexes as the same term (it stems: `parsing` counts chunks holding `parses`);
    every other count is kept, and every count equals a fresh store's."""
    store = _store(tmp_path)
    _write(store, "a.py", "def parse_header(text):\n    return text.split(':')\n")
    _write(store, "b.py", "def render_page(page):\n    return page.title\n")
    words = ["parsing", "parse", "render", "title", "header", "split"]
    before = {w: store.document_frequency(w) for w in words}
    assert before["parsing"] == before["parse"] == 1  # one term: "pars"
    _write(store, "c.py", "def parses_body(body):\n    return body.strip()\n")
    assert store.fts._df_generation == store.meta("generation")  # followed, not cleared
    assert {"render", "title", "header", "split"} <= set(store.fts._df)  # kept
    assert not {"parsing", "parse"} & set(store.fts._df)  # same term as `parses`
    store.delete_file("b.py")
    assert "render" not in store.fts._df and "header" in store.fts._df
    fresh = Store(tmp_path / "index.db")
    after = {w: store.document_frequency(w) for w in words}
    assert after == {w: fresh.document_frequency(w) for w in words}
    assert after["parsing"] == 2 and after["render"] == 0
    fresh.close()
    store.close()


def _functions(tmp_path: Path, n: int) -> Store:
    store = _store(tmp_path)
    for i in range(n):
        _write(store, f"m{i}.py", f"def func_{i}(x):\n    return x + {i}\n")
    return store


def _hold_loads(store: Store, monkeypatch: pytest.MonkeyPatch
                ) -> tuple[threading.Event, threading.Event]:
    """(loading, release): a load of the sign bits sets `loading` and reads them only once
    `release` is set (a load at 100k chunks takes ~1 s)."""
    loading, release = threading.Event(), threading.Event()
    real = store._bit_rows

    def held_rows() -> list[tuple[object, ...]]:
        loading.set()
        release.wait(10)
        return list(real())

    monkeypatch.setattr(store, "_bit_rows", held_rows)
    return loading, release


def test_a_question_during_another_threads_load_asks_vec0(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # a question asked during a load does not wait for it (more than LOAD_WAIT_S): vec0
    # answers, with the same ranking
    store = _functions(tmp_path, 6)
    query = EMB.embed_batch(["x + 3"])[0]
    store.memory_bits = False
    from_vec0 = store.vector_candidates(query, 6)
    store.memory_bits = True
    loading, release = _hold_loads(store, monkeypatch)
    warm = threading.Thread(target=store.warm)
    warm.start()
    assert loading.wait(10)
    start = time.monotonic()
    assert store.vector_candidates(query, 6) == from_vec0
    waited = time.monotonic() - start
    assert store.sign_bits.loaded is None  # still loading: the answer came from vec0
    release.set()
    warm.join(10)
    assert store.sign_bits.loaded is not None
    assert store.vector_candidates(query, 6) == from_vec0  # now from memory
    assert waited < 5  # it did not wait for the load (released only after it answered)
    store.close()


def test_a_write_during_a_load_is_counted_once(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # a load runs beside the indexer: a write that commits while it reads must be in what it
    # read or in what follows it, not in both (its chunks twice)
    store = _functions(tmp_path, 5)
    loading, release = _hold_loads(store, monkeypatch)
    committed = threading.Event()
    real_follow = store._follow

    def follow(*args: object, **kwargs: object) -> None:
        if "new.py" in args:  # the file's transaction is committed; its follow comes next
            committed.set()
        real_follow(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "_follow", follow)
    warm = threading.Thread(target=store.warm)
    warm.start()
    assert loading.wait(10)
    writer = threading.Thread(target=_write, args=(store, "new.py",
                                                   "def fresh_one(y):\n    return y * 9\n"))
    writer.start()
    assert committed.wait(10)
    release.set()
    warm.join(10)
    writer.join(10)
    held = store.sign_bits.loaded
    assert held is not None and held.generation == store.meta("generation")
    fresh = Store(tmp_path / "index.db")
    fresh.warm()
    new = fresh.sign_bits.loaded
    assert new is not None
    folded = held.folded()
    assert np.array_equal(new.ids, folded.ids) and np.array_equal(new.words, folded.words)
    assert np.array_equal(new.vector_ids, folded.vector_ids)
    assert np.array_equal(new.vectors, folded.vectors)
    assert len(set(folded.ids.tolist())) == len(folded.ids) == store.counts()[1]
    fresh.close()
    store.close()


def test_a_load_inside_a_write_of_its_own_thread_reads_that_write(tmp_path: Path) -> None:
    # the load's read transaction nests in nothing: inside this thread's own write it reads
    # what that write sees
    store = _functions(tmp_path, 3)
    with store._write():
        bits = store._bits_now()
    assert bits is not None and len(bits.ids) == store.counts()[1]
    store.close()


def test_a_question_before_an_announced_load_does_not_load_too(tmp_path: Path) -> None:
    # a server announces its load at start (Workspace.warm_in_background) before the thread
    # that does it gets going: a question meanwhile asks vec0 rather than loading ~1 s itself
    store = _functions(tmp_path, 4)
    query = EMB.embed_batch(["x + 2"])[0]
    store.sign_bits.announced.set()
    answer = store.vector_candidates(query, 4)
    assert store.sign_bits.loaded is None
    store.warm()  # the announced load
    assert store.sign_bits.loaded is not None and not store.sign_bits.announced.is_set()
    assert store.vector_candidates(query, 4) == answer
    store.close()


def test_vec0_and_memory_pick_the_same_candidates(tmp_path: Path) -> None:
    # the coarse search from vec0 (the CLI alone, a server while its bits load) and from
    # memory take the same chunks: all nearer than the cut, and of those at the cut the
    # smallest ids, so one question gets one answer either way
    store = _store(tmp_path)
    for i in range(60):
        _write(store, f"m{i}.py", "\n\n".join(
            f"def f{i}_{j}(x):\n    return x + {j % 3}\n" for j in range(5)))
    queries = EMB.embed_batch(["return x + 1", "def f(x)", "x + 2", "value"])
    for want in (5, 40, 120):
        for q in queries:
            store.memory_bits = False
            from_vec0 = store._coarse(q, want)
            store.memory_bits = True
            from_memory = store._coarse(q, want)
            assert len(from_vec0) == want and sorted(from_vec0) == sorted(from_memory)
    store.close()
