"""nearcode/completionContext: definitions from other files that the cursor's code needs."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as t
from pytest_lsp import LanguageClient

from .conftest import request


async def test_imported_definitions_come_first(client: LanguageClient, workspace: Path):
    app = workspace / "pkg" / "app.py"
    uri = app.as_uri()
    # the user is typing a new function that will call something imported
    text = app.read_text() + "\n\ndef publish(path, title):\n    page = "
    client.text_document_did_open(t.DidOpenTextDocumentParams(
        t.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    lines = text.split("\n")
    res = await request(client, "nearcode/completionContext", {
        "textDocument": {"uri": uri},
        "position": {"line": len(lines) - 1, "character": len(lines[-1])},
        "limit": 5,
    })
    snippets = res.snippets
    assert 0 < len(snippets) <= 5
    assert all(not s.uri.endswith("/app.py") for s in snippets)  # other files only
    symbols = [s.symbol for s in snippets]
    imported = {"load_settings_file", "merge_settings", "slugify_title"}
    assert set(symbols[:3]) == imported
    for s in snippets:
        assert s.text and s.text.split("\n")[0] in Path(s.uri[len("file://"):]).read_text()
    assert len({(s.uri, s.range.start.line) for s in snippets}) == len(snippets)


async def test_max_chars_bounds_the_text(client: LanguageClient, workspace: Path):
    app = workspace / "pkg" / "app.py"
    res = await request(client, "nearcode/completionContext", {
        "textDocument": {"uri": app.as_uri()}, "position": {"line": 6, "character": 0},
        "limit": 10, "maxChars": 200,
    })
    assert sum(len(s.text) for s in res.snippets) <= 200


async def test_module_alias_dot_lists_module_members(client: LanguageClient, workspace: Path):
    new = workspace / "pkg" / "cli.py"
    text = "from . import store\n\n\ndef main(path):\n    return store."
    new.write_text(text)
    uri = new.as_uri()
    client.text_document_did_open(t.DidOpenTextDocumentParams(
        t.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    res = await request(client, "nearcode/completionContext", {
        "textDocument": {"uri": uri},
        "position": {"line": 4, "character": len("    return store.")},
    })
    assert res.snippets
    assert all(s.uri.endswith("/pkg/store.py") for s in res.snippets[:3])


async def test_cursor_after_astral_characters_counts_utf16_units(client: LanguageClient,
                                                                 workspace: Path):
    """The cursor's character counts UTF-16 code units (the default position encoding): with
    emoji before it on the line, the code before the cursor still ends at `store.` and the
    module's members come first (read as a Python index, it would end inside `count`)."""
    new = workspace / "pkg" / "party.py"
    before = '    banner = "🎉🎊🎉🎊"; return store.'
    text = f"from . import store\n\n\ndef main(path):\n{before}count(path)\n"
    new.write_text(text)
    uri = new.as_uri()
    client.text_document_did_open(t.DidOpenTextDocumentParams(
        t.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    utf16 = len(before.encode("utf-16-le")) // 2
    assert utf16 == len(before) + 4  # four astral characters: two code units each
    res = await request(client, "nearcode/completionContext", {
        "textDocument": {"uri": uri}, "position": {"line": 4, "character": utf16}})
    assert res.snippets
    assert all(s.uri.endswith("/pkg/store.py") for s in res.snippets[:3])
