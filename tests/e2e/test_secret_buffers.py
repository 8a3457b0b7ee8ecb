"""Secrets in the editor: a buffer that holds a token (opened, or edited to hold one), or a NUL,
is never indexed, so no token comes back from search, workspace/symbol, findSimilar,
completionContext or the near-duplicate hints. The disk side is tests/test_secrets.py."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import fake_tokens
from lsprotocol import types as t
from pytest_lsp import LanguageClient

from .conftest import DATA, request, wait_idle

TWIN = ("def fetch_page(path, retries):\n    attempts = 0\n    while attempts < retries:\n"
        "        attempts += 1\n        handle = open(path)\n{extra}"
        "        if handle.readable():\n            return handle.read()\n    return None\n")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The e2e fixture workspace with a function and a copy of it on disk (so that hints show),
    and a file on disk that holds a token."""
    root = tmp_path / "ws"
    shutil.copytree(DATA / "server_ws", root)
    (root / "pkg" / "twin.py").write_text(TWIN.format(extra=""))
    (root / "pkg" / "twin_copy.py").write_text(TWIN.format(extra=""))
    token = fake_tokens()["aws"]
    (root / "pkg" / "conf_disk.py").write_text(TWIN.format(extra=f"        key = '{token}'\n"))
    return root.resolve()


def open_doc(client: LanguageClient, path: Path, text: str) -> str:
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(
        uri=path.as_uri(), language_id="python", version=1, text=text)))
    return path.as_uri()


def leaks(found: Any, secrets: list[str]) -> list[str]:
    text = str(found)
    return [s for s in secrets if s in text]


async def test_secret_buffers_never_come_back(client: LanguageClient, workspace: Path) -> None:
    tokens = fake_tokens()
    markers = []
    for tool, token in tokens.items():  # unsaved buffers, each holding one token
        marker = f"marker_{tool.replace('-', '_')}"
        markers.append(marker)
        open_doc(client, workspace / "pkg" / f"buffer_{marker}.py",
                 TWIN.format(extra=f"        {marker} = {token!r}\n"))
    # a file of the workspace edited to hold a token, and a buffer holding a NUL
    app = workspace / "pkg" / "app.py"
    uri = open_doc(client, app, app.read_text())
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        t.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [t.TextDocumentContentChangeWholeDocument(
            app.read_text() + f"\nmarker_edited = {tokens['github']!r}\n")]))
    open_doc(client, workspace / "pkg" / "nul.py", "def marker_nul():\n    return '\0'\n")
    twin = open_doc(client, workspace / "pkg" / "twin.py", TWIN.format(extra=""))
    await asyncio.sleep(1.0)  # past the buffers' debounce
    await wait_idle(client)

    secrets = [*markers, "marker_edited", "marker_nul", "conf_disk", "buffer_marker",
               *(token.splitlines()[0] for token in tokens.values())]
    answers = [
        await request(client, "nearcode/search", {"query": " ".join(markers), "limit": 100}),
        await request(client, "nearcode/search", {"query": "fetch page retries attempts",
                                                  "limit": 100}),
        await request(client, "nearcode/findSimilar", {"text": TWIN.format(extra=""),
                                                       "limit": 100}),
        await request(client, "nearcode/completionContext", {
            "textDocument": {"uri": twin}, "position": {"line": 4, "character": 8},
            "limit": 50}),
        await client.workspace_symbol_async(t.WorkspaceSymbolParams(query="marker edited")),
    ]
    for answer in answers:
        assert leaks(answer, secrets) == []
    # the searches work: the clean copies come back, and the twin's hint points at its copy
    assert "twin_copy.py" in str(answers[1]) and "twin_copy.py" in str(answers[2])
    deadline = asyncio.get_running_loop().time() + 15
    while not client.diagnostics.get(twin):
        assert asyncio.get_running_loop().time() < deadline, "no duplicate hint on twin.py"
        await asyncio.sleep(0.1)
    related = str([d.related_information for d in client.diagnostics[twin]])
    assert "twin_copy.py" in related and leaks(related, secrets) == []
    # the edited file keeps its clean text from disk in the index
    app_hits = await request(client, "nearcode/search", {"query": "load settings file",
                                                         "paths": ["pkg/app.py"]})
    assert app_hits.results and leaks(app_hits, secrets) == []
