"""Indexer: incremental == fresh rebuild, no embedding twice, buffers, and kill -9 mid-index."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3 as stdlib_sqlite3
import subprocess
import sys
import time
from pathlib import Path

from helpers import DATA, CountingEmbedder, deep_check, snapshot, write_tree
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nearcode.code.chunking import chunk_text
from nearcode.config import Settings
from nearcode.embed.fake import FakeEmbedder
from nearcode.index.indexer import Indexer
from nearcode.store.sqlite import Store


def _indexer(root: Path, db: Path, embedder: FakeEmbedder | None = None) -> Indexer:
    return Indexer(root, Store(db), embedder or CountingEmbedder(), Settings())


def fresh_snapshot(root: Path, db: Path) -> set[tuple]:
    """What a brand-new index of `root` holds."""
    indexer = _indexer(root, db)
    indexer.sync()
    assert deep_check(indexer.store) == []
    snap = snapshot(indexer.store)
    indexer.store.close()
    return snap


def _copy_fixtures(root: Path) -> Path:
    shutil.copytree(DATA / "chunking", root / "src")
    return root


def _hashes(root: Path, rel: str) -> set[str]:
    from nearcode.code.languages import language_for_path

    text = (root / rel).read_text()
    return {c.hash for c in chunk_text(text, language_for_path(rel) or "text", rel)}


# ----------------------------------------------------------------------------- properties

_SNIPPETS = [
    "def area(w, h):\n    return w * h\n",
    "def area(w, h):\n    return w * h\n\n\ndef perimeter(w, h):\n    return 2 * (w + h)\n",
    "class Shape:\n    def area(self):\n        return 0\n\n    def name(self):\n"
    "        return 'shape'\n",
    "function greet(name) {\n  return `hello ${name}`;\n}\n",
    "# Shapes\n\nAreas and perimeters of rectangles.\n",
    "import math\n\nRADIUS = 2\nprint(math.pi * RADIUS ** 2)\n",
]
_NAMES = ["a.py", "b.py", "pkg/c.py", "pkg/d.js", "docs/e.md", "pkg/deep/f.py"]

_op = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(_NAMES), st.sampled_from(range(len(_SNIPPETS))),
              st.integers(0, 3)),
    st.tuples(st.just("delete"), st.sampled_from(_NAMES)),
    st.tuples(st.just("rename"), st.sampled_from(_NAMES), st.sampled_from(_NAMES)),
    st.tuples(st.just("touch"), st.sampled_from(_NAMES)),
    st.tuples(st.just("binary"), st.sampled_from(_NAMES)),
    st.tuples(st.just("sync"),),
    st.tuples(st.just("update"),),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(_op, max_size=14), final_sync=st.booleans())
def test_incremental_equals_fresh_rebuild(tmp_path_factory, ops, final_sync: bool) -> None:
    base = tmp_path_factory.mktemp("ws")
    root = base / "ws"
    root.mkdir()
    indexer = _indexer(root, base / "incremental.db")
    indexer.sync()
    touched: set[str] = set()  # paths changed since the indexer last heard of them
    for op in ops:
        kind = op[0]
        if kind == "write":
            _, name, i, variant = op
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_SNIPPETS[i] + f"\n# variant {variant}\n" * variant)
            touched.add(name)
        elif kind == "delete" and (root / op[1]).exists():
            (root / op[1]).unlink()
            touched.add(op[1])
        elif kind == "rename" and (root / op[1]).exists() and op[1] != op[2]:
            (root / op[2]).parent.mkdir(parents=True, exist_ok=True)
            os.replace(root / op[1], root / op[2])
            touched |= {op[1], op[2]}
        elif kind == "touch" and (root / op[1]).exists():
            st_ = (root / op[1]).stat()
            os.utime(root / op[1], ns=(st_.st_atime_ns, st_.st_mtime_ns + 1_000_000_000))
            touched.add(op[1])
        elif kind == "binary":
            (root / op[1]).parent.mkdir(parents=True, exist_ok=True)
            (root / op[1]).write_bytes(b"\x00\x01 not text " + op[1].encode())
            touched.add(op[1])
        elif kind == "sync":
            indexer.sync()
            touched.clear()
        elif kind == "update":
            indexer.update(sorted(touched))
            touched.clear()
    if final_sync:
        indexer.sync()
    else:  # the watcher's road: only the paths it was told about
        indexer.update(sorted(touched))
    assert deep_check(indexer.store) == []
    assert snapshot(indexer.store) == fresh_snapshot(root, base / "fresh.db")
    indexer.store.close()


# ----------------------------------------------------------------------------- the cache


def test_unchanged_chunks_are_not_embedded_again(tmp_path: Path) -> None:
    root = _copy_fixtures(tmp_path / "ws")
    emb = CountingEmbedder()
    indexer = _indexer(root, tmp_path / "index.db", emb)
    first = indexer.sync()
    n_chunks = indexer.store.counts()[1]
    assert emb.reset() == first.chunks_embedded == len(
        {r[0] for r in indexer.store.db.execute("SELECT hash FROM chunks")})
    assert first.files_indexed == indexer.store.counts()[0] > 10

    again = indexer.sync()
    assert emb.reset() == 0 and again.files_indexed == 0
    assert again.files_unchanged == first.files_indexed

    # touching a file (mtime only) embeds nothing and records the new mtime
    target = root / "src" / "inventory.go"
    st_ = target.stat()
    os.utime(target, ns=(st_.st_atime_ns, st_.st_mtime_ns + 5_000_000_000))
    touched = indexer.sync()
    assert emb.reset() == 0 and touched.files_indexed == 0
    assert indexer.store.file_state("src/inventory.go").mtime_ns == target.stat().st_mtime_ns

    # editing one function embeds exactly the chunks whose text changed
    before = _hashes(root, "src/inventory.py")
    text = target.with_name("inventory.py").read_text()
    target.with_name("inventory.py").write_text(
        text.replace("return sku.replace", "return sku.strip().replace"))
    indexer.sync()
    changed = _hashes(root, "src/inventory.py") - before
    assert len(changed) == 1
    assert emb.reset() == 1

    # a rename moves chunks without embedding them
    os.replace(root / "src" / "inventory.rs", root / "src" / "moved.rs")
    renamed = indexer.sync()
    assert emb.reset() == 0
    assert renamed.files_deleted == 1 and renamed.files_indexed == 1
    assert indexer.store.chunks_of_file("src/inventory.rs") == []
    assert len(indexer.store.chunks_of_file("src/moved.rs")) > 3
    assert indexer.store.counts()[1] == n_chunks

    # a branch switch: files vanish, the index drops them, then they come back
    stash = tmp_path / "stash"
    stash.mkdir()
    for name in ["Inventory.java", "inventory.c", "notes.md"]:
        os.replace(root / "src" / name, stash / name)
    gone = indexer.sync()
    assert gone.files_deleted == 3 and emb.reset() == 0
    for name in ["Inventory.java", "inventory.c", "notes.md"]:
        os.replace(stash / name, root / "src" / name)
    back = indexer.sync()
    assert back.files_indexed == 3 and emb.reset() == 0 and back.chunks_cached > 0
    assert deep_check(indexer.store) == []
    assert snapshot(indexer.store) == fresh_snapshot(root, tmp_path / "fresh.db")


def test_switch_to_a_nearly_empty_branch_and_back(tmp_path: Path) -> None:
    root = _copy_fixtures(tmp_path / "ws")
    emb = CountingEmbedder()
    indexer = _indexer(root, tmp_path / "index.db", emb)
    indexer.sync()
    emb.reset()
    shutil.move(root / "src", tmp_path / "stash")
    (root / "README.md").write_text("# another branch\n")
    indexer.sync()
    assert emb.reset() == 1
    shutil.move(tmp_path / "stash", root / "src")
    indexer.sync()
    assert emb.reset() == 0


def test_update_follows_watcher_events(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "ws", {"a.py": _SNIPPETS[0], "b.py": _SNIPPETS[2]})
    emb = CountingEmbedder()
    indexer = _indexer(root, tmp_path / "index.db", emb)
    indexer.sync()
    emb.reset()
    (root / "new.py").write_text(_SNIPPETS[1])
    os.replace(root / "b.py", root / "renamed.py")
    (root / "a.py").unlink()
    report = indexer.update(["new.py", "b.py", "renamed.py", "a.py"])
    assert report.files_deleted == 2 and report.files_indexed == 2
    # `area` of new.py equals a.py's chunk; renamed.py's chunks are all cached
    assert emb.reset() == len(_hashes(root, "new.py")) - 1
    assert set(indexer.store.file_states()) == {"new.py", "renamed.py"}
    assert indexer.update(["new.py", "renamed.py"]).files_indexed == 0
    assert snapshot(indexer.store) == fresh_snapshot(root, tmp_path / "fresh.db")


# ----------------------------------------------------------------------------- buffers


def test_buffers_replace_disk_text_until_dropped(tmp_path: Path) -> None:
    disk = "def area(w, h):\n    return w * h\n"
    root = write_tree(tmp_path / "ws", {"shapes.py": disk})
    indexer = _indexer(root, tmp_path / "index.db")
    indexer.sync()
    edited = disk + "\n\ndef volume(w, h, d):\n    return area(w, h) * d\n"

    report = indexer.set_buffer("shapes.py", edited)
    assert report.files_indexed == 1
    stored = indexer.store.chunks_of_file("shapes.py")
    assert [c.symbol for c in stored] == ["area", "volume"]
    assert indexer.store.file_state("shapes.py").source == "buffer"
    assert indexer.set_buffer("shapes.py", edited).files_indexed == 0  # same text: no work
    indexer.sync()  # the disk does not win while the buffer is open
    assert [c.symbol for c in indexer.store.chunks_of_file("shapes.py")] == ["area", "volume"]
    indexer.update(["shapes.py"])
    assert [c.symbol for c in indexer.store.chunks_of_file("shapes.py")] == ["area", "volume"]

    indexer.drop_buffer("shapes.py")
    assert [c.symbol for c in indexer.store.chunks_of_file("shapes.py")] == ["area"]
    assert indexer.store.file_state("shapes.py").source == "disk"
    assert indexer.buffer_text("shapes.py") is None

    # a buffer that was never saved disappears with it; the same text on disk is a no-op
    indexer.set_buffer("draft.py", disk)
    assert "draft.py" in indexer.store.file_states()
    indexer.sync()
    assert "draft.py" in indexer.store.file_states()
    indexer.drop_buffer("draft.py")
    assert "draft.py" not in indexer.store.file_states()
    assert deep_check(indexer.store) == []
    assert snapshot(indexer.store) == fresh_snapshot(root, tmp_path / "fresh.db")


def test_buffer_dropped_after_save(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "ws", {"shapes.py": _SNIPPETS[0]})
    indexer = _indexer(root, tmp_path / "index.db")
    indexer.sync()
    indexer.set_buffer("shapes.py", _SNIPPETS[1])
    (root / "shapes.py").write_text(_SNIPPETS[1])  # the editor saves, then closes
    indexer.drop_buffer("shapes.py")
    assert indexer.store.file_state("shapes.py").source == "disk"
    assert snapshot(indexer.store) == fresh_snapshot(root, tmp_path / "fresh.db")


# ----------------------------------------------------------------------------- crashes


def _file_count(db: Path) -> int:
    try:
        conn = stdlib_sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM files").fetchone()[0])
        finally:
            conn.close()
    except stdlib_sqlite3.Error:
        return 0


def test_kill_9_mid_index_then_rerun_completes(tmp_path: Path) -> None:
    n_files = 2500
    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)  # a repository: indexed without asking
    for i in range(n_files):
        d = root / f"pkg{i % 25}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"mod{i}.py").write_text(
            f"def compute_{i}(value):\n    return value * {i} + {i % 7}\n\n\n"
            f"class Holder{i}:\n    def get(self):\n        return {i}\n\n"
            f"    def put(self, v):\n        self.v = v + {i}\n"
        )
    db = tmp_path / "crash.db"
    cmd = [sys.executable, "-m", "nearcode", "index", str(root), "--model", "fake", "--db",
           str(db), "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen = 0
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            seen = _file_count(db)
            if seen >= 100:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "indexing finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    after_kill = _file_count(db)
    # killed while writing files (lexical tier) or while filling in their vectors
    assert 100 <= seen <= after_kill <= n_files

    store = Store(db)  # what the crash left is consistent: every file whole or absent
    assert deep_check(store) == []
    for path in list(store.file_states())[:50]:
        assert store.chunks_of_file(path), path
    store.close()

    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    store = Store(db)
    assert deep_check(store) == []
    assert store.counts()[0] == n_files and store.unembedded_count() == 0
    assert snapshot(store) == fresh_snapshot(root, tmp_path / "fresh.db")
    store.close()


def test_ignore_file_changes_are_seen_by_the_next_sync(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "ws", {"a.py": _SNIPPETS[0], "pkg/b.py": _SNIPPETS[1]})
    indexer = _indexer(root, tmp_path / "index.db")
    indexer.sync()
    (root / "pkg" / ".gitignore").write_text("b.py\n")
    indexer.sync()
    assert set(indexer.store.file_states()) == {"a.py"}
    (root / "pkg" / ".gitignore").unlink()
    (root / ".nearcodeignore").write_text("a.py\n")
    indexer.sync()
    assert set(indexer.store.file_states()) == {"pkg/b.py"}
    assert snapshot(indexer.store) == fresh_snapshot(root, tmp_path / "fresh.db")


def test_model_change_embeds_everything_again(tmp_path: Path) -> None:
    root = _copy_fixtures(tmp_path / "ws")
    db = tmp_path / "index.db"
    first = _indexer(root, db, CountingEmbedder(dim=256))
    first.sync()
    n_hashes = len({r[0] for r in first.store.db.execute("SELECT hash FROM chunks")})
    first.store.close()
    other = CountingEmbedder(dim=64)
    second = _indexer(root, db, other)
    report = second.sync()
    assert report.chunks_embedded == other.reset() == n_hashes and report.chunks_cached == 0
    assert second.store.model_id == other.model_id and second.store.dim == 64
    blobs = {len(r[0]) for r in second.store.db.execute("SELECT vector FROM embeddings")}
    assert blobs == {4 + 64}  # int8 values and their float32 scale, the new model's only
    assert deep_check(second.store) == []


def test_cancelled_sync_is_completed_by_the_next(tmp_path: Path) -> None:
    import threading

    root = write_tree(tmp_path / "ws", {
        f"m{i}.py": f"def f{i}(x):\n    return x + {i}\n\n\ndef g{i}(y):\n    return y * {i}\n"
        for i in range(300)})
    indexer = _indexer(root, tmp_path / "index.db")
    cancel = threading.Event()
    calls = []

    def progress(p) -> None:  # type: ignore[no-untyped-def]
        calls.append((p.done, p.total))
        cancel.set()

    indexer.sync(progress, cancel)
    assert calls and calls[0][0] < calls[0][1] == 300
    partial = indexer.store.counts()[0]
    assert 0 < partial < 300
    assert deep_check(indexer.store) == []
    report = indexer.sync()
    assert report.files_indexed == 300 - partial
    assert snapshot(indexer.store) == fresh_snapshot(root, tmp_path / "fresh.db")


def test_buffers_obey_ignore_rules_and_size_limit(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "ws", {
        ".gitignore": "generated/\n", "shapes.py": "def area(w, h):\n    return w * h\n",
    })
    indexer = _indexer(root, tmp_path / "index.db")
    indexer.sync()
    code = "def helper():\n    return 1\n"
    for rel in ("generated/out.py", "node_modules/lib/index.js", ".env.local"):
        report = indexer.set_buffer(rel, code)
        assert rel in report.skipped and report.files_indexed == 0
        assert rel not in indexer.store.file_states()
    huge = "x = 1\n" * (indexer.filter.max_bytes // 6 + 1)
    assert "shapes.py" in indexer.set_buffer("shapes.py", huge).skipped
    # opening a file whose text the index already holds writes nothing
    opened = indexer.set_buffer("shapes.py", (root / "shapes.py").read_text())
    assert opened.files_indexed == 0
    assert indexer.store.file_state("shapes.py").source == "disk"


def test_new_chunker_version_rechunks_without_reembedding(tmp_path: Path, monkeypatch) -> None:
    from nearcode.index import indexer as indexer_mod

    root = write_tree(tmp_path / "ws", {"shapes.py": "def area(w, h):\n    return w * h\n"})
    embedder = CountingEmbedder()
    indexer = Indexer(root, Store(tmp_path / "index.db"), embedder, Settings())
    indexer.sync()
    assert indexer.store.meta("chunker") == indexer_mod.CHUNKER_VERSION
    assert embedder.reset() > 0
    assert indexer.sync().files_indexed == 0  # same version: nothing to do
    monkeypatch.setattr(indexer_mod, "CHUNKER_VERSION", "next")
    report = indexer.sync()
    assert report.files_indexed == 1 and report.chunks_cached >= 1
    assert embedder.reset() == 0  # same chunks: their vectors come from the cache
    assert indexer.store.meta("chunker") == "next"


def test_a_racy_write_with_the_same_mtime_and_size_is_still_seen(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "ws", {"a.py": "def alpha():\n    return 1\n",
                                        "old.py": "def old():\n    return 0\n"})
    hour_ago = time.time_ns() - 3600 * 10**9
    os.utime(root / "old.py", ns=(hour_ago, hour_ago))
    indexer = _indexer(root, tmp_path / "index.db")
    indexer.sync()
    assert indexer.store.file_state("old.py").mtime_ns == hour_ago  # old enough to trust
    # a.py was written just now: a second write in the same clock tick, at the same size,
    # would leave mtime and size as they are
    st_ = (root / "a.py").stat()
    (root / "a.py").write_text("def gamma():\n    return 2\n")
    os.utime(root / "a.py", ns=(st_.st_atime_ns, st_.st_mtime_ns))
    assert ((root / "a.py").stat().st_size, (root / "a.py").stat().st_mtime_ns) == \
        (st_.st_size, st_.st_mtime_ns)
    indexer.sync()
    assert [c.symbol for c in indexer.store.chunks_of_file("a.py")] == ["gamma"]
    # and so is one that the watcher reports
    (root / "a.py").write_text("def delta():\n    return 3\n")
    os.utime(root / "a.py", ns=(st_.st_atime_ns, st_.st_mtime_ns))
    indexer.update(["a.py"])
    assert [c.symbol for c in indexer.store.chunks_of_file("a.py")] == ["delta"]
