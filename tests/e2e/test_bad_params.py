"""Bad params get JSON-RPC errors with clear messages, and the server keeps answering."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from .conftest import request

INVALID_PARAMS = -32602


@pytest.mark.parametrize("method,params,message", [
    ("nearcode/search", {}, "'query' is required"),
    ("nearcode/search", {"query": 3}, "'query' must be a string"),
    ("nearcode/search", {"query": ""}, "'query' must not be empty"),
    ("nearcode/search", {"query": " \t\n"}, "'query' must not be empty"),
    ("nearcode/search", {"query": "x", "limit": "ten"}, "'limit' must be an integer"),
    ("nearcode/search", {"query": "x", "languages": ["klingon"]}, "unknown language"),
    ("nearcode/search", {"query": "x", "paths": ["!"]}, "'paths': bad path glob '!'"),
    ("nearcode/search", {"query": "x", "paths": ["pkg/**", "\\"]}, "bad path glob"),
    ("nearcode/findSimilar", {}, "give 'text'"),
    ("nearcode/findSimilar", {"textDocument": {"uri": "file:///elsewhere/x.py"},
                              "position": {"line": 0, "character": 0}}, "outside the workspace"),
    ("nearcode/completionContext", {"textDocument": {"uri": 5}}, "textDocument.uri"),
    ("nearcode/completionContext", {"position": {"line": 0, "character": 0}},
     "'textDocument' is required"),
])
async def test_errors_are_clear(client: LanguageClient, method: str, params: Any, message: str):
    with pytest.raises(JsonRpcException) as info:
        await request(client, method, params)
    assert info.value.code == INVALID_PARAMS
    assert message in info.value.message


async def test_position_past_the_end(client: LanguageClient, workspace: Path):
    uri = (workspace / "pkg" / "app.py").as_uri()
    for method in ("nearcode/findSimilar", "nearcode/completionContext"):
        with pytest.raises(JsonRpcException) as info:
            await request(client, method, {"textDocument": {"uri": uri},
                                            "position": {"line": 10_000, "character": 0}})
        assert info.value.code == INVALID_PARAMS
        assert "past the end" in info.value.message


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=4),
    max_leaves=10,
)
keys = st.sampled_from(["query", "limit", "languages", "paths", "textDocument", "position",
                        "range", "text", "maxChars"])
params_strategy = st.dictionaries(keys, json_values, max_size=5)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(method=st.sampled_from(["nearcode/search", "nearcode/findSimilar",
                               "nearcode/completionContext", "nearcode/indexStatus"]),
       params=params_strategy)
async def test_fuzzed_params_never_kill_the_server(client: LanguageClient, method: str,
                                                   params: dict):
    try:
        result = await request(client, method, params)
    except JsonRpcException as exc:
        assert exc.code == INVALID_PARAMS, exc.message  # bad input, never an internal error
    else:
        assert result is not None
    # and it still answers a good request correctly
    res = await request(client, "nearcode/search", {"query": "count words", "limit": 1})
    assert res.results[0].symbol == "count_words"
