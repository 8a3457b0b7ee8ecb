"""Near-duplicate hints: diagnostics with related information on open files, the per-file cap,
the exclude setting, refresh when either copy changes, and the "Show near duplicates" code action
with its command.

The workspace is tests/data/duplicates (its planted.json names the planted clones) and the
server runs the fake embedder, whose cosine is the overlap of word parts: the planted clones that
keep their words are found, the one with renamed identifiers is not (tests/test_duplicates.py
checks that one with the real model). The threshold is set low enough for every word-keeping
clone; the lexical check keeps the look-alike getters and statistics functions out.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Union

import pytest
import pytest_lsp
from lsprotocol import types as t
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

from .conftest import DATA, SERVER, wait_idle

FIXTURE = DATA / "duplicates"
PLANTED = json.loads((FIXTURE / "planted.json").read_text())
THRESHOLD = 0.75  # fake-embedder cosine: below every word-keeping planted clone (see module doc)
CLONES = [c for c in PLANTED["clones"] if not c.get("needs_model")]


def member(spec: str) -> tuple[str, str]:
    path, symbol = spec.split(":")
    return path, symbol


def partners() -> dict[str, set[str]]:
    """Planted file → the files its planted clones live in."""
    out: dict[str, set[str]] = {}
    for clone in CLONES:
        files = [member(m)[0] for m in clone["members"]]
        for f in files:
            out.setdefault(f, set()).update(x for x in files if x != f)
    return out


def capabilities() -> t.ClientCapabilities:
    return t.ClientCapabilities(
        window=t.WindowClientCapabilities(
            work_done_progress=True, show_document=t.ShowDocumentClientCapabilities(True)),
        workspace=t.WorkspaceClientCapabilities(workspace_folders=True),
    )


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "dups"
    shutil.copytree(FIXTURE, root)
    return root.resolve()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def lsp(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    _fix_code_action_union(lsp_client)
    yield lsp_client
    await lsp_client.shutdown_session()


async def start(client: LanguageClient, root: Path, **options: Any) -> None:
    await client.initialize_session(t.InitializeParams(
        capabilities=capabilities(), root_uri=root.as_uri(),
        workspace_folders=[t.WorkspaceFolder(root.as_uri(), "dups")],
        initialization_options={"duplicateThreshold": THRESHOLD, "watch": False, **options},
    ))
    await wait_idle(client)


def _fix_code_action_union(client: LanguageClient) -> None:
    """lsprotocol 2025.0.0 reads any code action that has a `command` as a Command, so a
    CodeAction that carries its command (ours) would reach the test as a garbled Command.
    A client-side workaround: a Command's `command` is a string, a CodeAction's an object."""
    converter = client.protocol._converter

    def structure(obj: Any, _: Any) -> t.Command | t.CodeAction:
        cls = t.Command if isinstance(obj.get("command"), str) else t.CodeAction
        return converter.structure(obj, cls)

    converter.register_structure_hook(Union[t.Command, t.CodeAction], structure)  # noqa: UP007


def open_doc(client: LanguageClient, path: Path, text: str | None = None) -> str:
    uri = path.as_uri()
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(
        uri=uri, language_id="python" if path.suffix == ".py" else "javascript", version=1,
        text=path.read_text() if text is None else text)))
    return uri


def change_doc(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        t.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [t.TextDocumentContentChangeWholeDocument(text)]))


async def wait_for(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def hints(client: LanguageClient, uri: str) -> list[t.Diagnostic]:
    return list(client.diagnostics.get(uri, []))


def related_files(diags: list[t.Diagnostic], root: Path) -> set[str]:
    return {Path(t_uri_path(r.location.uri)).relative_to(root).as_posix()
            for d in diags for r in d.related_information or []}


def t_uri_path(uri: str) -> str:
    from pygls.uris import to_fs_path

    return to_fs_path(uri) or uri


def function_line(path: Path, symbol: str) -> int:
    """0-based line that defines `symbol` in the fixture file."""
    lines = path.read_text().split("\n")
    return next(i for i, line in enumerate(lines)
                if symbol in line and line.lstrip().startswith(("def ", "export function")))


# ----------------------------------------------------------------------------- tests


async def test_open_files_get_hints_pointing_at_their_copies(lsp: LanguageClient, ws: Path):
    await start(lsp, ws)
    expected = partners()
    uris = {f: open_doc(lsp, ws / f) for f in expected}
    negatives = {f: open_doc(lsp, ws / f) for f in PLANTED["not_clones"]}
    await wait_for(lambda: all(hints(lsp, u) for u in uris.values()), "hints on every copy")
    for clone in CLONES:
        for spec in clone["members"]:
            path, symbol = member(spec)
            (d,) = hints(lsp, uris[path])
            assert d.severity == t.DiagnosticSeverity.Hint
            assert d.source == "nearcode" and d.code == "near-duplicate"
            assert d.range.start.line == function_line(ws / path, symbol)  # on the def line
            assert related_files([d], ws) == expected[path]
            other_path, other_symbol = member(next(m for m in clone["members"] if m != spec))
            related = d.related_information[0].location
            assert related.range.start.line <= function_line(ws / other_path, other_symbol)
            assert related.range.end.line > function_line(ws / other_path, other_symbol)
            assert d.message.startswith(f"Near-duplicate of {other_path}:")
            assert "(similarity 0." in d.message or "(similarity 1.00)" in d.message
    await asyncio.sleep(0.5)  # hints for the negatives would have come with the others
    for uri in negatives.values():
        assert hints(lsp, uri) == []  # getters, setters, statistics: no hints


async def test_at_most_max_diagnostics_per_file(lsp: LanguageClient, ws: Path):
    # a file with a copy of each planted Python clone: each of its functions has a duplicate
    sources = write_copies(ws)
    assert len(sources) >= 2
    await start(lsp, ws, maxDiagnosticsPerFile=1)
    uri = open_doc(lsp, ws / "copies.py")
    await wait_for(lambda: hints(lsp, uri), "hints on copies.py")
    await asyncio.sleep(0.5)
    assert len(hints(lsp, uri)) == 1


async def test_uncapped_file_gets_one_hint_per_copied_function(lsp: LanguageClient, ws: Path):
    sources = write_copies(ws)
    await start(lsp, ws)
    uri = open_doc(lsp, ws / "copies.py")
    await wait_for(lambda: len(hints(lsp, uri)) == len(sources), "a hint per copied function")


async def test_excluded_files_get_no_hints_and_are_no_copies(lsp: LanguageClient, ws: Path):
    clone = next(c for c in CLONES if "fixed" in c)
    (a, _), (b, _) = (member(m) for m in clone["members"])
    others = [f for f in partners() if f not in (a, b)]
    await start(lsp, ws, duplicateExclude=[str(Path(b).parent) + "/"])
    uri_a, uri_b = open_doc(lsp, ws / a), open_doc(lsp, ws / b)
    uri_other = open_doc(lsp, ws / others[0])
    await wait_for(lambda: hints(lsp, uri_other), "hints on a file that is not excluded")
    await asyncio.sleep(0.5)
    assert hints(lsp, uri_b) == []  # excluded folder: no hints
    assert hints(lsp, uri_a) == []  # its only copy is excluded: not a duplicate any more


async def test_diagnostics_false_turns_hints_off(lsp: LanguageClient, ws: Path):
    await start(lsp, ws, diagnostics=False)
    uris = [open_doc(lsp, ws / f) for f in partners()]
    await asyncio.sleep(1.5)
    assert all(hints(lsp, u) == [] for u in uris)


async def test_hints_follow_edits_of_either_copy(lsp: LanguageClient, ws: Path):
    clone = next(c for c in CLONES if "fixed" in c)
    (a, _), (b, symbol_b) = (member(m) for m in clone["members"])
    await start(lsp, ws)
    uri_a, uri_b = open_doc(lsp, ws / a), open_doc(lsp, ws / b)
    await wait_for(lambda: hints(lsp, uri_a) and hints(lsp, uri_b), "hints on both copies")

    # an unsaved edit makes b something else: both hints go, a's because it pointed at b
    original = (ws / b).read_text()
    rewritten = original.replace(_body(ws / b, symbol_b), "    return sorted(rows)[:per_page]\n")
    assert rewritten != original
    change_doc(lsp, uri_b, rewritten, 2)
    await wait_for(lambda: not hints(lsp, uri_a) and not hints(lsp, uri_b), "hints to go")

    # and back: both come again
    change_doc(lsp, uri_b, original, 3)
    await wait_for(lambda: hints(lsp, uri_a) and hints(lsp, uri_b), "hints to come back")


async def test_a_copy_saved_on_disk_refreshes_the_open_file(lsp: LanguageClient, ws: Path):
    clone = next(c for c in CLONES if c["members"][0].startswith("billing/"))
    (a, _), (b, symbol_b) = (member(m) for m in clone["members"])
    await start(lsp, ws)
    uri_a = open_doc(lsp, ws / a)
    await wait_for(lambda: hints(lsp, uri_a), "a hint on the open copy")
    path_b = ws / b
    path_b.write_text(path_b.read_text().replace(_body(path_b, symbol_b),
                                                 "    return Decimal(len(items))\n"))
    lsp.workspace_did_change_watched_files(t.DidChangeWatchedFilesParams(
        [t.FileEvent(path_b.as_uri(), t.FileChangeType.Changed)]))
    await wait_for(lambda: not hints(lsp, uri_a), "the hint to go")

    # a new file that copies a's function: a's hint comes back, pointing at it
    path_a, symbol_a = ws / a, member(clone["members"][0])[1]
    (ws / "again.py").write_text("from decimal import ROUND_HALF_UP, Decimal\n\n\n"
                                 + _function_text(path_a, symbol_a).replace(symbol_a, "again"))
    lsp.workspace_did_change_watched_files(t.DidChangeWatchedFilesParams(
        [t.FileEvent((ws / "again.py").as_uri(), t.FileChangeType.Created)]))
    await wait_for(lambda: related_files(hints(lsp, uri_a), ws) == {"again.py"},
                   "a hint pointing at the new copy")


async def test_closing_a_file_takes_its_hints_away(lsp: LanguageClient, ws: Path):
    await start(lsp, ws)
    path = next(iter(partners()))
    uri = open_doc(lsp, ws / path)
    await wait_for(lambda: hints(lsp, uri), "a hint")
    lsp.text_document_did_close(t.DidCloseTextDocumentParams(t.TextDocumentIdentifier(uri)))
    await wait_for(lambda: not hints(lsp, uri), "the hint to go")


async def test_code_action_and_command_show_the_duplicates(lsp: LanguageClient, ws: Path):
    clone = CLONES[0]
    (a, _), (b, symbol_b) = (member(m) for m in clone["members"])
    await start(lsp, ws)
    uri = open_doc(lsp, ws / a)
    await wait_for(lambda: hints(lsp, uri), "a hint")
    (d,) = hints(lsp, uri)

    # the cursor elsewhere, no diagnostic in context: no action
    actions = await lsp.text_document_code_action_async(t.CodeActionParams(
        t.TextDocumentIdentifier(uri), d.range, t.CodeActionContext(diagnostics=[])))
    assert not actions

    actions = await lsp.text_document_code_action_async(t.CodeActionParams(
        t.TextDocumentIdentifier(uri), d.range, t.CodeActionContext(diagnostics=[d])))
    assert actions is not None
    (action,) = actions
    assert isinstance(action, t.CodeAction)
    assert action.title == "Show near duplicates"
    assert action.kind == t.CodeActionKind.QuickFix
    assert action.command is not None and action.command.command == "nearcode.showDuplicates"

    result = await lsp.workspace_execute_command_async(t.ExecuteCommandParams(
        action.command.command, action.command.arguments))
    first = result["duplicates"][0]
    assert first["uri"] == (ws / b).as_uri()
    assert first["symbol"] == symbol_b
    (shown,) = lsp.shown_documents
    assert shown.uri == (ws / b).as_uri()
    assert shown.selection is not None
    assert shown.selection.start.line <= function_line(ws / b, symbol_b) < shown.selection.end.line


async def test_command_with_bad_arguments_is_an_error(lsp: LanguageClient, ws: Path):
    await start(lsp, ws)
    with pytest.raises(JsonRpcException, match="textDocument"):
        await show(lsp, {"position": {"line": 0, "character": 0}})
    with pytest.raises(JsonRpcException, match="outside the workspace"):
        await show(lsp, {"textDocument": {"uri": "file:///elsewhere.py"},
                         "position": {"line": 0, "character": 0}})
    # code that has no near-duplicate: an empty answer, nothing shown
    uri = (ws / PLANTED["not_clones"][0]).as_uri()
    res = await show(lsp, {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}})
    assert res["duplicates"] == []
    assert lsp.shown_documents == []


# ----------------------------------------------------------------------------- helpers


async def show(client: LanguageClient, arg: Any) -> Any:
    return await client.workspace_execute_command_async(
        t.ExecuteCommandParams("nearcode.showDuplicates", [arg]))


def write_copies(ws: Path) -> list[tuple[str, str]]:
    """copies.py: a copy of one member of each planted Python clone; returns those members."""
    sources = [member(c["members"][0]) for c in CLONES
               if member(c["members"][0])[0].endswith(".py")]
    copies = "\n\n".join(_function_text(ws / path, symbol) for path, symbol in sources)
    (ws / "copies.py").write_text("from decimal import ROUND_HALF_UP, Decimal\n\n\n" + copies)
    return sources


def _function_text(path: Path, symbol: str) -> str:
    """The definition of `symbol` in `path`: its def line and the indented lines after it."""
    lines = path.read_text().split("\n")
    start = function_line(path, symbol)
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith((" ", "}"))):
        end += 1
    return "\n".join(lines[start:end]).rstrip() + "\n"


def _body(path: Path, symbol: str) -> str:
    """The body of a Python function of the fixture (the lines after its def line)."""
    text = _function_text(path, symbol)
    return text.split("\n", 1)[1]


async def test_hint_range_counts_utf16_units_on_a_line_with_astral_characters(
        lsp: LanguageClient, ws: Path):
    """The hint spans its def line in UTF-16 code units (the default position encoding): a
    trailing comment with emoji ends two units per emoji after its Python length."""
    path, symbol = member(CLONES[0]["members"][0])
    function = _function_text(ws / path, symbol).replace(symbol, "party_total", 1)
    header, rest = function.split("\n", 1)
    header += "  # 🎉 party 🎊"
    (ws / "party.py").write_text("from decimal import ROUND_HALF_UP, Decimal\n\n\n"
                                 f"{header}\n{rest}")
    await start(lsp, ws)
    uri = open_doc(lsp, ws / "party.py")
    await wait_for(lambda: hints(lsp, uri), "a hint on party.py")
    (d,) = hints(lsp, uri)
    assert d.range.start.line == d.range.end.line == 3
    assert d.range.start.character == 0
    assert d.range.end.character == len(header.encode("utf-16-le")) // 2 == len(header) + 2
