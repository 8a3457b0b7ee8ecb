"""`nearcode mcp` beside `nearcode serve` on one workspace: the same ranking as nearcode/search
over LSP, and an index that ends up as a fresh one would be, whoever wrote it.

The LSP server is the real one, driven by pytest-lsp as in tests/e2e; both use the fake
embedder and this test's cache dir, so they share the workspace's index file.
"""

from __future__ import annotations

import asyncio
import shutil
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from e2e.conftest import SERVER, capabilities, wait_idle
from helpers import deep_check, snapshot
from lsprotocol import types as t
from mcp_client import mcp_session
from nearcode.app.workspace import Workspace
from nearcode.config import Settings, default_db_path
from nearcode.mcp import payload
from nearcode.store.sqlite import Store
from pytest_lsp import ClientServerConfig, LanguageClient

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"

# Questions a developer new to nearcode's own code would ask, over a copy of its source.
QUESTIONS = [
    "where is a corrupt index file set aside",
    "split identifiers like getUserName into words for full-text search",
    "debounce file system events from the watcher",
    "which files are secrets and never indexed",
    "fuse the dense and lexical rankings",
    "parse the imports of a python file",
    "hash file content to tell whether it changed",
    "load the embedding model the settings ask for",
    "export the model to ONNX and quantise it",
    "who is allowed to write the index file",
    "report indexing progress to the editor",
    "trust a folder so its pyproject settings apply",
]


async def start_serve(root: Path) -> LanguageClient:
    """The real language server on `root`, initialized and done with its first indexing."""
    client = await ClientServerConfig(server_command=SERVER).start()
    await client.initialize_session(t.InitializeParams(
        capabilities=capabilities(), root_uri=root.as_uri(),
        workspace_folders=[t.WorkspaceFolder(root.as_uri(), root.name)]))
    await wait_idle(client, timeout=120)
    return client


async def stop_serve(client: LanguageClient) -> None:
    await client.shutdown_session()
    await client.stop()


def lsp_hits(results: Any, root: Path) -> list[tuple[str, int, int, str | None, float]]:
    """nearcode/search results as (path, first line, last line, symbol, score), 1-based."""
    out = []
    for r in results:
        path = r.uri[len(root.as_uri()) + 1:]
        out.append((path, r.range.start.line + 1, r.range.end.line,
                    getattr(r, "symbol", None), round(r.score, 4)))
    return out


@pytest.fixture
def source_ws(tmp_path: Path) -> Path:
    root = tmp_path / "src-ws"
    shutil.copytree(REPO / "server" / "nearcode", root / "nearcode",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return root.resolve()


async def test_search_code_ranks_as_nearcode_search_over_lsp(source_ws: Path) -> None:
    lsp = await start_serve(source_ws)
    try:
        async with mcp_session(source_ws) as mcp:
            for question in QUESTIONS:
                res = await lsp.protocol.send_request_async(
                    "nearcode/search", {"query": question, "limit": 10})
                expected = lsp_hits(res.results, source_ws)
                got = await mcp.call("search_code", query=question, limit=10)
                assert not got.is_error, got.text
                ranked = [(h[0], h[1], h[2], h[3], h[6]) for h in got.hits()]
                assert len(ranked) == len(expected) == 10, question
                for mine, theirs in zip(ranked, expected, strict=True):
                    assert mine[:4] == theirs[:4], question
                    assert abs(mine[4] - theirs[4]) <= 1.5e-4, question
                assert len(got.text) <= payload.MAX_RESULT_CHARS
            status = await mcp.call("index_status")
            assert "kept up to date by: a running `nearcode serve`" in status.text
    finally:
        await stop_serve(lsp)


# ----------------------------------------------------------------------------- concurrency


def _function(name: str, words: str) -> str:
    return textwrap.dedent(f"""\
        def {name}(items):
            \"\"\"{words}.\"\"\"
            return [item for item in items if item]


        """)


def _edit_round(root: Path, n: int) -> None:
    """Change, add, delete and rename files: what an agent and an editor do between calls."""
    store = root / "pkg" / "store.py"
    store.write_text(store.read_text() + _function(f"prune_settings_{n}", f"prune settings {n}"))
    (root / "pkg" / f"new_{n}.py").write_text(_function(f"collect_tags_{n}", "collect tags"))
    if n > 0:
        (root / "pkg" / f"new_{n - 1}.py").unlink()
    lib = sorted((root / "lib").glob("*.py"))
    if lib:
        lib[0].rename(root / "lib" / f"renamed_{n}_{lib[0].name}")


def _fresh_index(root: Path, db: Path) -> Store:
    """An index built from nothing over the files as they are now."""
    ws = Workspace([root], Settings(model="fake", db_path=str(db)))
    ws.sync()
    return ws.folders[0].store


def _vectors(store: Store) -> dict[str, np.ndarray]:
    hashes = [r[0] for r in store.db.execute("SELECT DISTINCT hash FROM chunks")]
    return store.cached_vectors(hashes)


def _same_index(live: Store, fresh: Store) -> bool:
    if snapshot(live) != snapshot(fresh):
        return False
    a, b = _vectors(live), _vectors(fresh)
    return a.keys() == b.keys() and all(np.array_equal(a[h], b[h]) for h in a)


async def _until_same(live_db: Path, root: Path, tmp: Path, timeout: float = 60.0) -> None:
    """Wait until the live index equals a fresh index of the files (the server catches up)."""
    fresh = _fresh_index(root, tmp / f"fresh-{time.monotonic_ns()}.db")
    live = Store(live_db)
    try:
        deadline = time.monotonic() + timeout
        while not _same_index(live, fresh):
            if time.monotonic() > deadline:
                missing = snapshot(fresh) - snapshot(live)
                extra = snapshot(live) - snapshot(fresh)
                raise AssertionError(f"index differs from a fresh one: missing "
                                     f"{sorted(missing)[:5]}, extra {sorted(extra)[:5]}")
            await asyncio.sleep(0.2)
        assert deep_check(live) == []
    finally:
        live.close()
        fresh.close()


@pytest.mark.slow
async def test_serve_and_mcp_at_once_leave_the_index_a_fresh_one_would(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(DATA / "server_ws", root)
    shutil.copytree(REPO / "server" / "nearcode", root / "lib",
                    ignore=shutil.ignore_patterns("__pycache__", "mcp"))
    root = root.resolve()
    live_db = default_db_path(root)

    # two MCP servers start together and race to index; the language server starts while
    # they do (it waits for their sync before it writes)
    async with mcp_session(root) as first, mcp_session(root) as second:
        lsp = await start_serve(root)
        try:
            for n in range(4):
                _edit_round(root, n)
                # calls between edits: the MCP servers only read while a server runs
                for s in (first, second):
                    res = await s.call("search_code", query=f"prune settings {n}")
                    assert not res.is_error, res.text
                near = await second.call("find_similar_code", path="pkg/store.py", line=4)
                assert not near.is_error, near.text
                await asyncio.sleep(0.3 if n % 2 else 0.0)
            status = await first.call("index_status")
            assert "a running `nearcode serve`" in status.text
            await _until_same(live_db, root, tmp_path)
            found = await first.call("search_code", query="prune settings 3", limit=3)
            assert found.hits()[0][3] == "prune_settings_3"
        finally:
            await stop_serve(lsp)

        # with the server gone, the next call syncs again: the MCP server writes
        _edit_round(root, 4)
        found = await second.call("search_code", query="prune settings 4", limit=3)
        assert found.hits()[0][3] == "prune_settings_4"
        status = await first.call("index_status")
        assert "kept up to date by: this server" in status.text
    await _until_same(live_db, root, tmp_path, timeout=0.0)


async def test_mcp_leaves_the_editors_unsaved_buffers_to_the_server(tmp_path: Path) -> None:
    """The server indexes an open buffer's unsaved text in place of the file; an MCP server
    that synced would put the disk's text back (and nothing would undo it until the next
    edit). It reads instead, and finds the unsaved code."""
    root = tmp_path / "ws"
    shutil.copytree(DATA / "server_ws", root)
    root = root.resolve()
    path = root / "pkg" / "text.py"
    unsaved = path.read_text() + _function("unsaved_helper_for_agents", "an unsaved helper")
    async with mcp_session(root) as mcp:
        assert not (await mcp.call("index_status")).is_error  # its first sync is done
        lsp = await start_serve(root)
        try:
            lsp.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(
                uri=path.as_uri(), language_id="python", version=1, text=unsaved)))
            deadline = time.monotonic() + 30
            while True:
                found = await mcp.call("search_code", query="unsaved helper for agents")
                if found.hits() and found.hits()[0][3] == "unsaved_helper_for_agents":
                    break
                assert time.monotonic() < deadline, found.text
                await asyncio.sleep(0.2)
            for _ in range(3):  # later calls leave it as it is
                again = await mcp.call("search_code", query="unsaved helper for agents")
                assert again.hits()[0][3] == "unsaved_helper_for_agents"
            live = Store(default_db_path(root))
            try:
                assert live.file_state("pkg/text.py").source == "buffer"  # type: ignore[union-attr]
            finally:
                live.close()
        finally:
            await stop_serve(lsp)
