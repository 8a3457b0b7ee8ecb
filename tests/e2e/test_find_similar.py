"""nearcode/findSimilar: by position, by range, by text; unsaved edits change the answer."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as t
from pytest_lsp import LanguageClient

from .conftest import request


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().split("\n")) if needle in line)


async def test_position_uses_enclosing_chunk_and_excludes_it(client: LanguageClient,
                                                             workspace: Path):
    store = workspace / "pkg" / "store.py"
    line = line_of(store, "json.load(handle)")  # inside load_settings_file
    res = await request(client, "nearcode/findSimilar", {
        "textDocument": {"uri": store.as_uri()},
        "position": {"line": line, "character": 4},
    })
    symbols = [r.symbol for r in res.results]
    assert "load_settings_file" not in symbols  # the query's own chunk
    assert symbols[0] == "save_settings_file"  # shares settings/path/handle/json with it


async def test_range_and_text(client: LanguageClient, workspace: Path):
    text_py = workspace / "pkg" / "text.py"
    start = line_of(text_py, "def fahrenheit_to_celsius")
    res = await request(client, "nearcode/findSimilar", {
        "textDocument": {"uri": text_py.as_uri()},
        "range": {"start": {"line": start, "character": 0},
                  "end": {"line": start + 2, "character": 0}},
    })
    assert res.results[0].symbol == "TemperatureConverter.celsius_to_fahrenheit"
    assert all(r.symbol != "TemperatureConverter.fahrenheit_to_celsius" for r in res.results)

    pasted = "function dropFromCart(cart, id) { cart.items = cart.items.filter(x => x.id !== id); }"
    res = await request(client, "nearcode/findSimilar", {"text": pasted, "limit": 3})
    assert len(res.results) <= 3
    assert res.results[0].symbol == "removeItemFromCart"


async def test_unsaved_edit_changes_the_answer(client: LanguageClient, workspace: Path):
    app = workspace / "pkg" / "app.py"
    uri = app.as_uri()
    original = app.read_text()
    client.text_document_did_open(t.DidOpenTextDocumentParams(
        t.TextDocumentItem(uri=uri, language_id="python", version=1, text=original)))
    line = line_of(app, 'body = page["slug"]')
    params = {"textDocument": {"uri": uri}, "position": {"line": line, "character": 4}}
    before = await request(client, "nearcode/findSimilar", params)

    # replace render_page's body, unsaved, with cart code: the answer must follow the buffer
    lines = original.split("\n")
    new_body = ("    cart.items = cart.items.filter(item => item.id !== itemId)\n"
                "    cart.total = cart.items.reduce(sum, item.price)")
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        t.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [t.TextDocumentContentChangeWholeDocument(
            "\n".join(lines[: line] + new_body.split("\n") + lines[line + 2 :]))],
    ))
    after = await request(client, "nearcode/findSimilar", params)
    assert before.results[0].symbol != "removeItemFromCart"
    assert after.results[0].symbol == "removeItemFromCart"
    assert app.read_text() == original  # nothing was written to disk
