"""The server on a cloned repository whose pyproject names an index path: untrusted, the path is
ignored; trusted by the editor, a path that is not a nearcode index is refused, never moved."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest_lsp
from lsprotocol import types as t
from nearcode import config
from pytest_lsp import ClientServerConfig, LanguageClient

from .conftest import SERVER, capabilities, status, wait_idle

NOTES = "my notes\n"


def _plant(workspace: Path) -> Path:
    """A user file outside the workspace, named as the index path by the workspace."""
    victim = workspace.parent / "notes.txt"
    victim.write_text(NOTES)
    (workspace / "pyproject.toml").write_text(f'[tool.nearcode]\ndb_path = "{victim}"\n')
    return victim


async def _messages(client: LanguageClient, kind: t.MessageType, words: str) -> list[str]:
    for _ in range(100):
        found = [m.message for m in client.messages if m.type == kind and words in m.message]
        if found:
            return found
        await asyncio.sleep(0.05)
    return []


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def untrusted(lsp_client: LanguageClient, workspace: Path):  # type: ignore[no-untyped-def]
    _plant(workspace)
    await lsp_client.initialize_session(t.InitializeParams(
        capabilities=capabilities(), root_uri=workspace.as_uri()))
    await wait_idle(lsp_client)
    yield
    await lsp_client.shutdown_session()


async def test_untrusted_workspace_cannot_choose_the_index_path(untrusted: LanguageClient,
                                                                workspace: Path) -> None:
    victim = workspace.parent / "notes.txt"
    assert await _messages(untrusted, t.MessageType.Warning, "not trusted")
    assert victim.read_text() == NOTES
    assert not list(workspace.parent.glob("*.corrupt"))
    assert config.default_db_path(workspace).is_file()  # indexed where nearcode keeps indexes
    assert (await status(untrusted)).files >= 1


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def trusted(lsp_client: LanguageClient, workspace: Path):  # type: ignore[no-untyped-def]
    _plant(workspace)
    await lsp_client.initialize_session(t.InitializeParams(
        capabilities=capabilities(), root_uri=workspace.as_uri(),
        initialization_options={"workspaceTrusted": True}))
    yield
    await lsp_client.shutdown_session()


async def test_trusted_path_that_is_not_an_index_is_refused_not_moved(trusted: LanguageClient,
                                                                     workspace: Path) -> None:
    errors = await _messages(trusted, t.MessageType.Error, "not a usable nearcode index")
    assert errors and "notes.txt" in errors[0]
    victim = workspace.parent / "notes.txt"
    assert victim.read_text() == NOTES
    assert not list(workspace.parent.glob("*.corrupt"))
    s = await status(trusted)  # the server still answers
    assert s.files == 0
