"""Indexing as the editor sees it: status, $/progress, files saved on disk, multi-root, reindex."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient

from .conftest import SERVER, capabilities, request, status, wait_idle


async def test_status_fields(client: LanguageClient, workspace: Path):
    s = await status(client)
    assert s.state == "idle" and s.pendingFiles == 0
    # app.py, store.py, text.py, __init__.py (empty: no chunks), cart.js; never .env
    assert s.files == 5
    assert s.chunks > 0
    assert s.model == "fake-bow-256"


async def test_progress_was_reported(client: LanguageClient):
    # progress notifications may trail the status by a moment: wait for the end report
    for _ in range(100):
        reports = next(iter(client.progress_reports.values()), [])
        if reports and type(reports[-1]).__name__ == "WorkDoneProgressEnd":
            break
        await asyncio.sleep(0.05)
    assert client.progress_reports, "no $/progress token was created"
    kinds = [type(r).__name__ for r in reports]
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"
    assert all(k == "WorkDoneProgressReport" for k in kinds[1:-1])


async def search_symbols(client: LanguageClient, query: str) -> list[str]:
    res = await request(client, "nearcode/search", {"query": query})
    return [r.symbol for r in res.results]


async def wait_for_symbol(client: LanguageClient, query: str, symbol: str,
                          timeout: float = 10.0) -> float:
    started = time.monotonic()
    while symbol not in await search_symbols(client, query):
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{symbol} not searchable after {timeout}s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def test_file_saved_on_disk_becomes_searchable(client: LanguageClient, workspace: Path):
    (workspace / "pkg" / "billing.py").write_text(
        "def compute_invoice_total(lines):\n    return sum(l.amount for l in lines)\n")
    await wait_for_symbol(client, "compute invoice total", "compute_invoice_total")
    (workspace / "pkg" / "billing.py").unlink()
    started = time.monotonic()
    while "compute_invoice_total" in await search_symbols(client, "compute invoice total"):
        assert time.monotonic() - started < 10, "deleted file still searchable"
        await asyncio.sleep(0.05)


async def test_did_change_watched_files_and_reindex(client: LanguageClient, workspace: Path):
    path = workspace / "web" / "greet.js"
    path.write_text("function greetVisitorByName(name) {\n  return 'hi ' + name;\n}\n")
    client.workspace_did_change_watched_files(t.DidChangeWatchedFilesParams(
        [t.FileEvent(path.as_uri(), t.FileChangeType.Created)]))
    await wait_for_symbol(client, "greet visitor by name", "greetVisitorByName")
    res = await client.workspace_execute_command_async(
        t.ExecuteCommandParams(command="nearcode.reindex", arguments=[{"rebuild": True}]))
    assert res["scheduled"] is True
    await asyncio.sleep(0.2)
    s = await wait_idle(client)
    assert s.files == 6
    assert "greetVisitorByName" in await search_symbols(client, "greet visitor by name")


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def multi(lsp_client: LanguageClient, workspace: Path, workspace2: Path):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(t.InitializeParams(
        capabilities=capabilities(),
        workspace_folders=[t.WorkspaceFolder(workspace.as_uri(), "ws"),
                           t.WorkspaceFolder(workspace2.as_uri(), "ws2")],
    ))
    await wait_idle(lsp_client, files=6)
    yield
    await lsp_client.shutdown_session()


async def test_multi_root(multi: LanguageClient, workspace: Path, workspace2: Path):
    s = await status(multi)
    assert s.files == 6
    res = await request(multi, "nearcode/search", {"query": "circle area radius"})
    assert res.results[0].uri == (workspace2 / "geometry.py").as_uri()
    res = await request(multi, "nearcode/search", {"query": "slugify title"})
    assert res.results[0].uri == (workspace / "pkg" / "text.py").as_uri()
    # findSimilar from a file of the second root
    geo = workspace2 / "geometry.py"
    line = geo.read_text().split("\n").index("def rectangle_area(width, height):")
    res = await request(multi, "nearcode/findSimilar", {
        "textDocument": {"uri": geo.as_uri()}, "position": {"line": line, "character": 4}})
    assert res.results[0].symbol == "circle_area"
    assert "rectangle_area" not in [r.symbol for r in res.results]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def misconfigured(lsp_client: LanguageClient, workspace: Path):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(t.InitializeParams(
        capabilities=capabilities(), root_uri=workspace.as_uri(),
        initialization_options={"maxFileBytes": "huge", "colour": "blue", "lexicalWeight": 0.5},
    ))
    await wait_idle(lsp_client)
    yield
    await lsp_client.shutdown_session()


async def test_bad_settings_are_reported_once_and_defaults_used(misconfigured: LanguageClient):
    for _ in range(50):  # the warning may trail the index by a moment
        if misconfigured.messages:
            break
        await asyncio.sleep(0.05)
    warnings = [m.message for m in misconfigured.messages if m.type == t.MessageType.Warning]
    assert len([w for w in warnings if "maxFileBytes" in w]) == 1
    assert len([w for w in warnings if "colour" in w]) == 1
    s = await status(misconfigured)
    assert s.files == 5  # the server started and indexed with the default size limit


SLOW = ClientServerConfig(server_command=SERVER,
                          server_env={**os.environ, "NEARCODE_FAKE_EMBED_DELAY_S": "0.25"})


@pytest_lsp.fixture(config=SLOW)
async def slow_model(lsp_client: LanguageClient, workspace: Path):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(t.InitializeParams(
        capabilities=capabilities(), root_uri=workspace.as_uri(),
        workspace_folders=[t.WorkspaceFolder(workspace.as_uri(), "ws")],
    ))
    yield
    await lsp_client.shutdown_session()


async def test_every_file_is_searchable_before_embedding_finishes(slow_model: LanguageClient):
    """The lexical tier: with a model that takes 0.25 s a text, a search finds a file by its
    words while indexStatus still counts chunks without vectors; then every chunk gets one."""
    deadline = time.monotonic() + 30
    while (s := await status(slow_model)).files < 5:
        assert time.monotonic() < deadline, s
        await asyncio.sleep(0.05)
    res = await request(slow_model, "nearcode/search", {"query": "slugify title"})
    during = await status(slow_model)
    assert res.results[0].symbol == "slugify_title" and res.results[0].uri.endswith("/pkg/text.py")
    assert during.state == "indexing" and during.chunksEmbedded < during.chunks
    done = await wait_idle(slow_model, timeout=60)
    assert done.chunksEmbedded == done.chunks > 0
    for _ in range(100):  # the end report may trail the status by a moment
        reports = next(iter(slow_model.progress_reports.values()), [])
        if reports and type(reports[-1]).__name__ == "WorkDoneProgressEnd":
            break
        await asyncio.sleep(0.05)
    messages = [getattr(r, "message", "") or "" for r in reports]
    assert any(m.endswith(" files") for m in messages), messages
    assert any("chunks embedded" in m for m in messages), messages
