"""The PostgreSQL + pgvector store on a real server (pgserver): migrations, the model guard,
per-file consistency, concurrent indexers, the CLI with --store. The retrieval suite
(test_retrieval.py) also runs on it."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from helpers import new_database, write_tree
from nearcode.app.workspace import Workspace
from nearcode.code.chunking import chunk_text
from nearcode.config import Settings
from nearcode.embed.fake import FakeEmbedder
from nearcode.index.indexer import Indexer
from nearcode.store import pg
from nearcode.store.base import FileState
from nearcode.store.pg import PgStore


def pg_snapshot(store: PgStore) -> set[tuple]:
    """What the workspace holds, independent of row ids and timestamps."""
    rows = store._rows(
        "SELECT f.path, c.start_line, c.end_line, c.symbol, c.kind, c.hash FROM nc_chunks c"
        " JOIN nc_files f ON f.id = c.file_id WHERE f.workspace_id = %s", (store.workspace_id,))
    files = store._rows("SELECT path, sha256, source FROM nc_files WHERE workspace_id = %s",
                        (store.workspace_id,))
    return {("chunk", *r) for r in rows} | {("file", *r) for r in files}


def tree(n: int) -> dict[str, str]:
    return {f"pkg/m{i}.py": f"def area_{i}(w, h):\n    return w * h + {i}\n\n\n"
                            f"def label_{i}(name):\n    return name.upper() + '{i}'\n"
            for i in range(n)}


def test_migrations_apply_once(pg_url: str) -> None:
    first = PgStore(pg_url, "ws")
    applied = first.applied_migrations()
    assert applied == ["m001_initial", "m002_lexical_tier"]
    first.close()
    again = PgStore(pg_url, "ws")  # re-opening applies nothing and finds the same workspace
    assert again.applied_migrations() == applied
    assert again.workspace_id == first.workspace_id
    other = PgStore(pg_url, "another-repo")
    assert other.workspace_id != again.workspace_id
    again.close()
    other.close()


def test_model_guard_and_per_file_replacement(pg_url: str, tmp_path: Path) -> None:
    store = PgStore(pg_url, "ws")
    fake = FakeEmbedder()
    assert store.ensure_model(fake.model_id, fake.dim) is True
    assert store.ensure_model(fake.model_id, fake.dim) is False
    text = "def area(w, h):\n    return w * h\n\n\ndef perimeter(w, h):\n    return 2 * (w + h)\n"
    chunks = chunk_text(text, "python", "shapes.py")
    vectors = dict(zip([c.hash for c in chunks],
                       fake.embed_batch([c.embed_text for c in chunks]), strict=True))
    store.put_vectors(vectors)
    assert set(store.cached_vectors(vectors)) == set(vectors)
    state = FileState("shapes.py", len(text), 1, "sha", "disk")
    store.replace_file(state, "python", chunks, vectors)
    store.replace_file(state, "python", chunks, vectors)  # again: replaced, not duplicated
    assert store.counts() == (1, len(chunks))
    assert [c.symbol for c in store.chunks_of_file("shapes.py")] == ["area", "perimeter"]
    assert store.chunk_at("shapes.py", 5).symbol == "perimeter"
    assert store.check() == []
    got = store.vectors_of([c.id for c in store.chunks_of_file("shapes.py")])
    assert all(np.allclose(np.linalg.norm(v), 1.0, atol=1e-5) for v in got.values())
    # another model empties the workspace: vectors of two models are never mixed
    assert store.ensure_model("other-model", fake.dim) is True
    assert store.counts() == (0, 0)
    assert store.cached_vectors(vectors) == {}  # the cache is per model
    store.delete_file("shapes.py")
    assert store.check() == []
    store.close()


def test_full_text_keeps_the_rarest_words_within_the_row_budget(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store = PgStore(pg_url, "ws")
    fake = FakeEmbedder()
    store.ensure_model(fake.model_id, fake.dim)
    files = {**tree(6), "ui.py": "def render_widget(widget):\n    return widget.draw()\n"}
    for i, (path, text) in enumerate(sorted(files.items())):
        chunks = chunk_text(text, "python", path)
        vectors = dict(zip([c.hash for c in chunks],
                           fake.embed_batch([c.embed_text for c in chunks]), strict=True))
        store.replace_file(FileState(path, len(text), i, f"sha{i}", "disk"), "python", chunks,
                           vectors)
    n_chunks = store.counts()[1]
    symbols = lambda hits: {store.chunks_by_id([i])[i].symbol for i, _ in hits}  # noqa: E731
    # "return" is in every chunk, "widget" in one: a budget of 5 rows keeps only "widget"
    monkeypatch.setattr(pg, "RANKED_ROWS", 5)
    assert symbols(store.lexical_candidates(["return", "widget"], 20)) == {"render_widget"}
    # the rarest word is kept even when it alone matches more than the budget
    assert len(store.lexical_candidates(["return"], 20)) == n_chunks
    # with room for both, both are searched, the chunk holding both first
    monkeypatch.setattr(pg, "RANKED_ROWS", 1000)
    hits = store.lexical_candidates(["return", "widget"], 20)
    assert len(hits) == n_chunks and symbols(hits[:1]) == {"render_widget"}
    store.close()


def test_indexer_sync_and_revision(pg_url: str, tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", tree(5))
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "-c", "user.email=t@t", "-c", "user.name=t",
                    "commit", "-q", "--allow-empty", "-m", "x"], check=True)
    head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    store = PgStore(pg_url, root.name, root)
    indexer = Indexer(root, store, FakeEmbedder(), Settings(model="fake"))
    report = indexer.sync()
    assert report.files_indexed == 5 and store.counts() == (5, 10)
    assert store.meta("revision") == head and store.meta("branch") == "main"
    # the sync ended with ANALYZE: the planner knows the new rows
    analyzed = "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'nc_chunks'"
    assert store._rows(analyzed)[0][0] is not None
    (root / "pkg" / "m0.py").unlink()
    (root / "pkg" / "m1.py").write_text("def renamed(x):\n    return x\n")
    again = indexer.sync()
    assert again.files_deleted == 1 and again.files_indexed == 1
    assert {c.symbol for c in store.chunks_of_file("pkg/m1.py")} == {"renamed"}
    assert store.check() == []
    store.close()


def test_concurrent_indexers_equal_a_single_build(pg_url: str, pg_server, tmp_path: Path
                                                  ) -> None:  # type: ignore[no-untyped-def]
    root = write_tree(tmp_path / "repo", tree(60))
    cmd = [sys.executable, "-m", "nearcode", "index", str(root), "--model", "fake",
           "--store", pg_url, "--json"]
    reader = PgStore(pg_url, "repo")
    seen: list[tuple[int, int]] = []
    stop = threading.Event()

    def read() -> None:  # readers only ever see whole files: 2 chunks per file
        while not stop.is_set():
            files, chunks = reader.counts()
            seen.append((files, chunks))

    thread = threading.Thread(target=read)
    thread.start()
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(3)]
    outs = [p.communicate(timeout=180) for p in procs]
    stop.set()
    thread.join()
    assert all(p.returncode == 0 for p in procs), [o[1][-500:] for o in outs]
    assert seen and all(chunks == 2 * files for files, chunks in seen)
    assert reader.check() == []
    shared = pg_snapshot(reader)
    # the same tree indexed by one process into a fresh database
    single = Workspace([root], Settings(model="fake", store=new_database(pg_server)),
                       embedder=FakeEmbedder(), write_shared=True)
    single.sync()
    assert pg_snapshot(single.folders[0].store) == shared
    assert reader.counts() == (60, 120)
    single.close()
    reader.close()


def test_cli_index_status_search_with_store(pg_url: str, tmp_path: Path) -> None:
    root = write_tree(tmp_path / "proj", tree(3))
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "nearcode", *args, "--model", "fake", "--store", pg_url],
        capture_output=True, text=True, timeout=120)
    index = run("index", str(root))
    assert index.returncode == 0, index.stderr
    status = run("status", str(root), "--json")
    assert status.returncode == 0, status.stderr
    assert '"files": 3' in status.stdout and '"chunks": 6' in status.stdout
    search = run("search", "label name upper 2", "--root", str(root), "--json", "-k", "1")
    assert search.returncode == 0, search.stderr
    assert '"symbol": "label_2"' in search.stdout


def test_unreachable_database_is_one_clear_error(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "proj", tree(1))
    out = subprocess.run(
        [sys.executable, "-m", "nearcode", "index", str(root), "--model", "fake", "--store",
         "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.startswith("nearcode: error:") and "Traceback" not in out.stderr


@pytest.fixture(autouse=True)
def _needs_pg(request: pytest.FixtureRequest) -> None:
    """Every test here needs the server (so that a missing pgserver skips them all, or fails
    under NEARCODE_REQUIRE_PG=1)."""
    request.getfixturevalue("pg_server")


def test_overlay_shows_local_changes_over_the_shared_index(pg_url: str, tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", tree(4))
    ci = Workspace([root], Settings(model="fake", store=pg_url), embedder=FakeEmbedder(),
                   write_shared=True)
    ci.sync()
    shared_before = pg_snapshot(ci.folders[0].store)
    ci.close()

    # the developer's checkout: one file edited, one deleted, one added (none committed)
    (root / "pkg" / "m1.py").write_text("def invoice_total(lines):\n    return sum(lines)\n")
    (root / "pkg" / "m2.py").unlink()
    (root / "pkg" / "new.py").write_text("def shipping_cost(weight):\n    return weight * 3\n")
    dev = Workspace([root], Settings(model="fake", store=pg_url), embedder=FakeEmbedder())
    report = dev.sync()
    overlay = dev.folders[0].store
    assert report.files_indexed == 2 and report.files_deleted == 1  # only what differs
    assert overlay.shadowed == {"pkg/m1.py", "pkg/m2.py", "pkg/new.py"}
    assert set(overlay.file_states()) == {"pkg/m0.py", "pkg/m1.py", "pkg/m3.py", "pkg/new.py"}

    def symbols(query: str) -> list[str | None]:
        return [h.symbol for h in dev.retriever.search(query, 10)]

    assert symbols("invoice total lines")[0] == "invoice_total"  # from the local index
    assert symbols("shipping cost weight")[0] == "shipping_cost"
    found = set(symbols("area label name upper"))
    assert {"area_0", "label_3"} <= found  # unchanged files: from the shared index
    assert not found & {"area_1", "label_1", "area_2", "label_2"}  # shadowed there
    assert [c.symbol for c in overlay.chunks_of_file("pkg/m1.py")] == ["invoice_total"]
    assert overlay.chunk_at("pkg/m0.py", 1).symbol == "area_0"

    # an unsaved buffer is local too; the shared index is never written by a developer
    folder = dev.folders[0]
    folder.indexer.set_buffer("pkg/m3.py", "def refund_order(order):\n    return -order.total\n")
    assert symbols("refund order total")[0] == "refund_order"
    assert pg_snapshot(overlay.shared) == shared_before
    dev.close()

    # a new session remembers what it shadows, deletions included
    again = Workspace([root], Settings(model="fake", store=pg_url), embedder=FakeEmbedder())
    assert "pkg/m2.py" in again.folders[0].store.shadowed
    assert "area_2" not in {h.symbol for h in again.retriever.search("area w h 2", 10)}
    again.close()
