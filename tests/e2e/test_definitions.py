"""A hit is a definition, implementation first (#17), against the real server (fake embedder):
one hit per definition in search, findSimilar and workspace/symbol; every hit named (never
`/**`); a JSDoc a blank line above its function answers as that function; the implementation
above a test that matches a little better, and above a one-line option that does; negated globs
and includeTests to leave tests out."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
from helpers import DATA
from lsprotocol import types as t
from nearcode.code.chunking import MAX_LINES
from pytest_lsp import LanguageClient

from .conftest import request

IMPL = '''\
def parse_retry_after(header):
    """Seconds to wait from a Retry-After header value."""
    value = header.strip()
    if value.isdigit():
        return int(value)
    return parse_http_date(value)
'''
JS = textwrap.dedent("""\
    'use strict'

    const net = require('node:net')
    const tls = require('node:tls')

    /**
     * Opens a socket to the host, encrypted when tls is asked for.
     * @param {object} opts
     */

    function openSocket (opts) {
      return opts.tls ? tls.connect(opts) : net.connect(opts)
    }
    """)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """Overrides conftest's: a project with tests, a long function, a JSDoc'd function."""
    root = (tmp_path / "proj").resolve()
    for folder in ("src", "tests", "web"):
        (root / folder).mkdir(parents=True)
    (root / "src" / "retry.py").write_text(IMPL)
    (root / "tests" / "test_retry.py").write_text(
        IMPL.replace("    value =", "    # wait seconds: retry after header\n    value ="))
    body = "\n".join(f"    total_{i} = compute_step({i}) + total_{max(i - 1, 0)}"
                     for i in range(MAX_LINES * 2))
    (root / "src" / "crunch.py").write_text(
        f"import os\n\n\ndef crunch_totals(values):\n{body}\n    return values\n")
    (root / "src" / "other.py").write_text(
        f"def crunch_other_totals(values):\n{body}\n    return None\n")
    (root / "web" / "socket.js").write_text(JS)
    shutil.copy(DATA / "one_liners" / "client.py", root / "src" / "client.py")
    return root


def _spans(results: Any) -> list[tuple[str, int, int]]:
    return [(r.uri, r.range.start.line, r.range.end.line) for r in results]


def _one_per_definition(results: Any) -> None:
    spans = _spans(results)
    for i, (uri, start, end) in enumerate(spans):
        for other, s2, e2 in spans[i + 1:]:
            assert not (uri == other and start < e2 and s2 < end), (spans[i], (other, s2, e2))


async def test_search_hits_are_whole_named_definitions(client: LanguageClient, workspace: Path):
    res = await request(client, "nearcode/search",
                        {"query": "crunch totals compute step", "limit": 10})
    _one_per_definition(res.results)
    assert all(r.symbol and not r.symbol.startswith(("/*", "*", "#", "//")) for r in res.results)
    crunch = next(r for r in res.results if r.symbol == "crunch_totals")
    lines = (workspace / "src" / "crunch.py").read_text().split("\n")
    assert crunch.range.start.line == lines.index("def crunch_totals(values):")  # not `import`
    assert crunch.range.end.line == lines.index("    return values") + 1  # the whole function


async def test_a_jsdoc_a_blank_line_above_answers_as_its_function(client: LanguageClient,
                                                                 workspace: Path):
    res = await request(client, "nearcode/search",
                        {"query": "opens a socket to the host encrypted when tls is asked"})
    top = res.results[0]
    assert top.uri == (workspace / "web" / "socket.js").as_uri()
    assert top.symbol == "openSocket"
    assert top.range.start.line == JS.split("\n").index("/**")


async def test_implementation_above_a_test_that_matches_a_little_better(client: LanguageClient):
    res = await request(client, "nearcode/search",
                        {"query": "seconds to wait from a retry-after header"})
    tails = [r.uri.rsplit("/", 2)[-2] + "/" + r.uri.rsplit("/", 1)[-1] for r in res.results]
    assert tails.index("src/retry.py") < tails.index("tests/test_retry.py")
    for params in ({"paths": ["!tests/**"]}, {"includeTests": False}):
        only = await request(client, "nearcode/search",
                             {"query": "seconds to wait from a retry-after header", **params})
        assert only.results and all("/tests/" not in r.uri for r in only.results), params


async def test_the_function_doing_the_work_above_a_one_line_option(client: LanguageClient):
    """The option's doc matches a little better (tests/test_definitions.py shows by how much);
    the one-line prior puts the function that follows the redirects first."""
    res = await request(client, "nearcode/search", {
        "query": "how are redirects followed and when does following redirects stop"})
    symbols = [r.symbol for r in res.results]
    assert symbols[:2] == ["follow_redirects", "Client.redirect_policy"]


async def test_include_tests_must_be_a_boolean(client: LanguageClient):
    with pytest.raises(Exception, match="includeTests"):
        await request(client, "nearcode/search", {"query": "retry", "includeTests": "false"})


async def test_find_similar_never_answers_with_its_own_definition(client: LanguageClient,
                                                                  workspace: Path):
    uri = (workspace / "src" / "crunch.py").as_uri()
    last = len((workspace / "src" / "crunch.py").read_text().split("\n")) - 3
    res = await request(client, "nearcode/findSimilar", {
        "textDocument": {"uri": uri}, "position": {"line": last, "character": 4}})
    _one_per_definition(res.results)
    assert res.results and all(r.uri != uri for r in res.results)
    assert res.results[0].symbol == "crunch_other_totals"


async def test_workspace_symbol_gives_one_entry_per_definition(client: LanguageClient):
    symbols = await client.workspace_symbol_async(
        t.WorkspaceSymbolParams(query="crunch totals compute step"))
    names = [(s.location.uri, s.name) for s in symbols]
    assert len(names) == len(set(names))
    assert all(not s.name.startswith(("/*", "*")) for s in symbols)
