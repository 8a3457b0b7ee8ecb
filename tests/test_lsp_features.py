"""LSP features in-process: the feature functions of lsp/features/ called with a stand-in for the
server (a real workspace with the fake model, no process, no protocol), beside the end-to-end
tests of tests/e2e/, and the conversion of LSP characters to Python string indices."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from helpers import DATA
from lsprotocol import types as t
from nearcode.app.workspace import Workspace
from nearcode.config import Settings
from nearcode.lsp.base import NearcodeServer
from nearcode.lsp.convert import client_character, string_index
from nearcode.lsp.features import completion, indexing, search, similar
from nearcode.lsp.params import ParamsError
from pygls.workspace import PositionCodec

UTF8, UTF16, UTF32 = (PositionCodec(e) for e in (t.PositionEncodingKind.Utf8,
                                                 t.PositionEncodingKind.Utf16,
                                                 t.PositionEncodingKind.Utf32))


class FakeServer:
    """What the features use of the server: the workspace, `locate`, `document_text` and
    pygls' workspace (open documents, the position codec)."""

    locate = NearcodeServer.locate
    document_text = NearcodeServer.document_text

    def __init__(self, ws: Workspace | None, codec: PositionCodec = UTF16) -> None:
        self.ws = ws
        self.service = None
        self.ready = SimpleNamespace(is_set=lambda: True)
        self.workspace = SimpleNamespace(position_codec=codec, text_documents={})

    def open(self, path: Path, text: str) -> str:
        uri = path.as_uri()
        self.workspace.text_documents[uri] = SimpleNamespace(source=text)
        return uri


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    root = tmp_path / "ws"
    shutil.copytree(DATA / "server_ws", root)
    workspace = Workspace([root], Settings(model="fake", db_path=str(tmp_path / "index.db")))
    workspace.sync()
    yield workspace
    workspace.close()


def test_characters_are_counted_in_the_negotiated_encoding() -> None:
    line = 'x = "😋" + y'  # the emoji: 1 Python character, 2 UTF-16 units, 4 UTF-8 bytes
    after = line.index("+")  # 8
    assert [client_character(c, line, after) for c in (UTF32, UTF16, UTF8)] == [8, 9, 11]
    for codec in (UTF32, UTF16, UTF8):
        assert string_index(codec, line, client_character(codec, line, after)) == after
        assert string_index(codec, line, 0) == 0
        assert string_index(codec, line, 10_000) == len(line)  # past the end: the end


def test_completion_context_reads_the_cursor_in_utf16(ws: Workspace) -> None:
    root = ws.folders[0].root
    before = '    banner = "🎉🎊🎉🎊"; return store.'
    text = f"from . import store\n\n\ndef main(path):\n{before}count(path)\n"

    def snippets(codec: PositionCodec, character: int) -> list[Any]:
        ls = FakeServer(ws, codec)
        uri = ls.open(root / "pkg" / "party.py", text)
        raw = {"textDocument": {"uri": uri}, "position": {"line": 4, "character": character}}
        return completion.context_at(ls, raw)["snippets"]  # type: ignore[arg-type]

    utf16 = snippets(UTF16, len(before.encode("utf-16-le")) // 2)
    assert utf16 == snippets(UTF32, len(before))  # the same cursor, counted two ways
    assert utf16 and all(s["uri"].endswith("/pkg/store.py") for s in utf16[:3])
    # the UTF-16 count read as a Python index lands 4 characters later, inside `count(`
    assert snippets(UTF32, len(before) + 4) != utf16


def test_search_feature(ws: Workspace) -> None:
    ls = FakeServer(ws)
    hits = search.search(ls, {"query": "count words", "limit": 3})  # type: ignore[arg-type]
    assert hits[0].symbol == "count_words"
    only_web = search.search(ls, {"query": "count words", "paths": ["web/"]})  # type: ignore[arg-type]
    assert only_web and all(h.path.startswith("web/") for h in only_web)
    with pytest.raises(ParamsError, match="'paths': bad path glob"):
        search.search(ls, {"query": "x", "paths": ["!"]})  # type: ignore[arg-type]


def test_find_similar_feature(ws: Workspace) -> None:
    ls = FakeServer(ws)
    root = ws.folders[0].root
    path = root / "pkg" / "text.py"
    line = path.read_text().split("\n").index(next(
        x for x in path.read_text().split("\n") if x.startswith("def count_words")))
    res = similar.find_similar(ls, {"textDocument": {"uri": path.as_uri()},  # type: ignore[arg-type]
                                    "position": {"line": line, "character": 0}})
    assert res["results"] and not any(
        r["uri"] == path.as_uri() and r["range"]["start"]["line"] <= line
        < r["range"]["end"]["line"] for r in res["results"])
    with pytest.raises(ParamsError, match="outside the workspace"):
        similar.find_similar(ls, {"textDocument": {"uri": "file:///elsewhere/x.py"},  # type: ignore[arg-type]
                                  "position": {"line": 0, "character": 0}})


def test_index_status_before_the_worker_starts() -> None:
    status = indexing.index_status(FakeServer(None), {})  # type: ignore[arg-type]
    assert status == {"state": "idle", "files": 0, "chunks": 0, "chunksEmbedded": 0,
                      "pendingFiles": 0, "model": None}
