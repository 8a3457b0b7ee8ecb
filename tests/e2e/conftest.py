"""End-to-end fixtures: the real `nearcode serve` as a subprocess, driven over LSP by pytest-lsp.

The server runs with the deterministic fake embedder (`--model fake`) so that these tests are
fast; test_real_model.py runs the shipped model. Each test gets a fresh copy of a fixture
workspace (tests/data/server_ws) and its own cache dir (tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient

DATA = Path(__file__).resolve().parent.parent / "data"
SERVER = [sys.executable, "-m", "nearcode", "serve", "--model", "fake"]


def capabilities() -> t.ClientCapabilities:
    return t.ClientCapabilities(
        window=t.WindowClientCapabilities(work_done_progress=True),
        workspace=t.WorkspaceClientCapabilities(workspace_folders=True),
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A fresh copy of the fixture workspace."""
    root = tmp_path / "ws"
    shutil.copytree(DATA / "server_ws", root)
    return root.resolve()


@pytest.fixture
def workspace2(tmp_path: Path) -> Path:
    root = tmp_path / "ws2"
    shutil.copytree(DATA / "server_ws2", root)
    return root.resolve()


async def status(client: LanguageClient) -> Any:
    return await client.protocol.send_request_async("nearcode/indexStatus", {})


async def wait_idle(client: LanguageClient, timeout: float = 60.0, files: int = 1) -> Any:
    """Poll nearcode/indexStatus until the index is idle with at least `files` files."""
    deadline = time.monotonic() + timeout
    while True:
        s = await status(client)
        if s.state == "idle" and s.pendingFiles == 0 and s.files >= files:
            return s
        if time.monotonic() > deadline:
            raise AssertionError(f"index not idle after {timeout}s: {s}")
        await asyncio.sleep(0.1)


async def request(client: LanguageClient, method: str, params: Any) -> Any:
    return await client.protocol.send_request_async(method, params)


def result_paths(results: Any) -> list[str]:
    """The file names (path tail) of hits, in rank order."""
    return [r.uri.rsplit("/", 1)[-1] for r in results]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, workspace: Path):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(t.InitializeParams(
        capabilities=capabilities(), root_uri=workspace.as_uri(),
        workspace_folders=[t.WorkspaceFolder(workspace.as_uri(), "ws")],
    ))
    await wait_idle(lsp_client)
    yield
    await lsp_client.shutdown_session()
