"""nearcode/search and workspace/symbol against the real server (fake embedder)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types as t
from pytest_lsp import LanguageClient

from .conftest import request, result_paths


async def test_search_finds_function_by_its_words(client: LanguageClient, workspace: Path):
    res = await request(client, "nearcode/search", {"query": "convert celsius to fahrenheit"})
    assert res.results, "no results"
    top = res.results[0]
    assert top.symbol == "TemperatureConverter.celsius_to_fahrenheit"
    assert top.uri == (workspace / "pkg" / "text.py").as_uri()
    # the range is 0-based with an exclusive end at the start of the next line
    lines = (workspace / "pkg" / "text.py").read_text().split("\n")
    def_line = next(i for i, line in enumerate(lines) if "def celsius_to_fahrenheit" in line)
    assert top.range.start.line == def_line and top.range.start.character == 0
    assert top.range.end.character == 0
    assert lines[top.range.end.line - 1].strip().startswith("return celsius")
    assert "celsius_to_fahrenheit" in top.preview
    assert top.language == "python" and top.kind == "method"


async def test_search_limit_and_filters(client: LanguageClient):
    res = await request(client, "nearcode/search", {"query": "item cart settings", "limit": 2})
    assert len(res.results) == 2
    js = await request(client, "nearcode/search",
                       {"query": "item cart settings", "languages": ["javascript"]})
    assert js.results and all(r.language == "javascript" for r in js.results)
    only = await request(client, "nearcode/search",
                         {"query": "settings", "paths": ["pkg/store.py"]})
    assert only.results and set(result_paths(only.results)) == {"store.py"}


async def test_secret_file_is_never_indexed(client: LanguageClient):
    res = await request(client, "nearcode/search", {"query": "SECRET_TOKEN do not index me"})
    assert all(not r.uri.endswith("/.env") for r in res.results)


async def test_workspace_symbol_is_semantic_search(client: LanguageClient):
    symbols = await client.workspace_symbol_async(
        t.WorkspaceSymbolParams(query="remove item from cart"))
    assert symbols
    assert symbols[0].name == "removeItemFromCart"
    assert symbols[0].kind == t.SymbolKind.Function
    assert symbols[0].location.uri.endswith("/web/cart.js")
    assert await client.workspace_symbol_async(t.WorkspaceSymbolParams(query="  ")) == []


@pytest.mark.parametrize("command,args", [
    ("nearcode.search", ["count words"]),
    ("nearcode.search", [{"query": "count words", "limit": 1}]),
])
async def test_search_command(client: LanguageClient, command: str, args: list):
    res = await client.workspace_execute_command_async(
        t.ExecuteCommandParams(command=command, arguments=args))
    assert res["results"][0]["symbol"] == "count_words"
