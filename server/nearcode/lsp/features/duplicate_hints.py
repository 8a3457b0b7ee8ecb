"""Near-duplicate hints in the editor: diagnostics, a code action, and `nearcode.showDuplicates`.

Hints go to open documents only: a hint is for the code in front of the user, the workspace-wide
report is `nearcode duplicates`, and computing them costs one KNN query per function of the file
(instead of one per function of the workspace after every change).

When they are computed: after the initial indexing of every folder (never during it), then after
each indexing step the service reports (`ProgressSink.indexed`): the changed files that are open,
the open files whose hints pointed at a changed file, and the open files that a changed file now
nearly repeats. A worker thread of its own does this, so queries and indexing never wait for it.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from lsprotocol import types as t
from pygls.uris import to_fs_path
from pygls.workspace import PositionCodec

from ...index.folder import Folder
from ...search.copies import Member, Pair, header_line
from ...search.duplicates import Options, duplicates_of
from .. import protocol
from ..base import NearcodeServer
from ..convert import client_character
from ..params import ParamsError

log = logging.getLogger(__name__)

CODE = "near-duplicate"  # Diagnostic.code of the hints
ACTION_TITLE = "Show near duplicates"
REFRESH_ALL_OVER = 50  # more changed files than this in one step: recompute every open file

FileKey = tuple[Path, str]  # (folder root, path relative to it)
UTF16 = PositionCodec()  # LSP's default position encoding


class HintServer(Protocol):
    """What the hints need of the language server (base.NearcodeServer)."""

    ws: Any
    settings: Any

    @property
    def workspace(self) -> Any: ...
    @property
    def client_capabilities(self) -> t.ClientCapabilities: ...

    def call_soon(self, fn: Any) -> None: ...
    def text_document_publish_diagnostics(self, params: t.PublishDiagnosticsParams) -> None: ...


@dataclass(frozen=True)
class FileHints:
    """A file's diagnostics and the files they point at."""

    diagnostics: list[t.Diagnostic]
    points_at: frozenset[FileKey]


# ----------------------------------------------------------------------------- pure parts


def options_for(settings: Any) -> Options:
    return Options(threshold=settings.duplicate_threshold,
                   exclude=tuple(settings.duplicate_exclude))


def chunk_range(member: Member) -> t.Range:
    """A member's whole span (end exclusive, at the start of the line after it)."""
    return t.Range(t.Position(member.start_line - 1, 0), t.Position(member.end_line, 0))


def header_range(member: Member, codec: PositionCodec = UTF16) -> t.Range:
    """The range of the line that names the member's definition, without its indentation and
    trailing blanks, in the code units of `codec`."""
    lines = member.text.split("\n")
    row = header_line(member.text, member.symbol)
    line = lines[row]
    indent = len(line) - len(line.lstrip())
    return t.Range(t.Position(member.start_line - 1 + row, client_character(codec, line, indent)),
                   t.Position(member.start_line - 1 + row,
                              client_character(codec, line, len(line.rstrip()))))


def _shown(pair: Pair, root: Path) -> str:
    other = pair.b
    where = other.path if other.root == root else f"{other.root.name}/{other.path}"
    return f"{where}:{other.start_line}"


def diagnostic(pairs: list[Pair], root: Path, codec: PositionCodec = UTF16) -> t.Diagnostic:
    """The hint on `pairs[0].a` (pairs most similar first)."""
    best = pairs[0]
    more = f" and {len(pairs) - 1} more" if len(pairs) > 1 else ""
    related = [
        t.DiagnosticRelatedInformation(
            t.Location(p.b.abspath.as_uri(), chunk_range(p.b)),
            f"near-duplicate: {p.b.symbol or p.b.path} (similarity {p.similarity:.2f})")
        for p in pairs
    ]
    return t.Diagnostic(
        range=header_range(best.a, codec),
        message=f"Near-duplicate of {_shown(best, root)} (similarity {best.similarity:.2f}){more}",
        severity=t.DiagnosticSeverity.Hint,
        code=CODE,
        source=protocol.DIAGNOSTIC_SOURCE,
        related_information=related,
    )


def file_hints(by_chunk: dict[int, list[Pair]], root: Path, cap: int,
               codec: PositionCodec = UTF16) -> FileHints:
    """At most `cap` hints, the most similar first, and the files they point at."""
    ranked = sorted((pairs for pairs in by_chunk.values() if pairs),
                    key=lambda ps: (-ps[0].similarity, ps[0].a.start_line))[:cap]
    diags = [diagnostic(pairs, root, codec) for pairs in ranked]
    points = frozenset((p.b.root, p.b.path) for pairs in ranked for p in pairs)
    return FileHints(diags, points)


# ----------------------------------------------------------------------------- the hints


class Hints:
    """Keeps the near-duplicate diagnostics of open documents up to date."""

    def __init__(self, ls: HintServer) -> None:
        self.ls = ls
        self._lock = threading.Lock()
        self._synced: set[Path] = set()
        self._ready = False  # every folder's initial indexing is done
        self._all = False  # recompute every open document
        self._changed: set[FileKey] = set()
        self._scheduled = False
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nearcode-hints")
        # worker thread only:
        self._points: dict[str, frozenset[FileKey]] = {}  # uri → files its hints point at
        self._published: set[str] = set()  # uris that have hints now

    @property
    def enabled(self) -> bool:
        return bool(self.ls.settings.diagnostics) and self.ls.ws is not None

    # -- from the indexing thread

    def indexed(self, folder: Folder, paths: set[str] | None) -> None:
        """Files of `folder` changed in the index (None: possibly all of them)."""
        if not self.enabled:
            return
        with self._lock:
            if not self._ready:
                if paths is not None:
                    return  # still indexing for the first time: no hints yet
                self._synced.add(folder.root)
                if not self._synced >= {f.root for f in self.ls.ws.folders}:
                    return
                self._ready = True
                self._all = True
            elif paths is None or len(paths) > REFRESH_ALL_OVER:
                self._all = True
            else:
                self._changed |= {(folder.root, p) for p in paths}
            if not self._scheduled:
                self._scheduled = True
                self._worker.submit(self._refresh)

    # -- the worker

    def _refresh(self) -> None:
        with self._lock:
            everything, changed = self._all, self._changed
            self._all, self._changed, self._scheduled = False, set(), False
        try:
            self._publish_for(everything, changed)
        except Exception:  # e.g. the index closed at shutdown: hints are best effort
            log.debug("refreshing near-duplicate hints failed", exc_info=True)

    def _open_documents(self) -> dict[str, tuple[int, Folder, str]]:
        out = {}
        for uri in list(self.ls.workspace.text_documents):
            located = self._locate(uri)
            if located is not None:
                out[uri] = located
        return out

    def _locate(self, uri: str) -> tuple[int, Folder, str] | None:
        fs = to_fs_path(uri) if uri.startswith("file:") else None
        if fs is None:
            return None
        found = self.ls.ws.folder_for(Path(fs))
        if found is None:
            return None
        folder, rel = found
        return self.ls.ws.folders.index(folder), folder, rel

    def _publish_for(self, everything: bool, changed: set[FileKey]) -> None:
        docs = self._open_documents()
        by_file = {(folder.root, rel): uri for uri, (_, folder, rel) in docs.items()}
        options = options_for(self.ls.settings)
        computed: dict[str, dict[int, list[Pair]]] = {}
        if everything:
            targets = set(docs)
        else:
            targets = {uri for key, uri in by_file.items() if key in changed}
            targets |= {uri for uri, points in self._points.items()
                        if uri in docs and points & changed}
            for root, rel in changed:  # open files that a changed file now nearly repeats
                src = next((i for i, f in enumerate(self.ls.ws.folders) if f.root == root), None)
                if src is None:
                    continue
                pairs = self._pairs(src, rel, options)
                uri = by_file.get((root, rel))
                if uri is not None:
                    computed[uri] = pairs
                for found in pairs.values():
                    targets |= {by_file[k] for p in found
                                if (k := (p.b.root, p.b.path)) in by_file}
        for uri in sorted(self._published - set(docs)):  # closed: take their hints away
            self._publish(uri, FileHints([], frozenset()))
        for uri in sorted(targets):
            src, folder, rel = docs[uri]
            pairs = computed[uri] if uri in computed else self._pairs(src, rel, options)
            cap = self.ls.settings.max_diagnostics_per_file
            codec = self.ls.workspace.position_codec
            self._publish(uri, file_hints(pairs, folder.root, cap, codec))

    def _pairs(self, src: int, rel: str, options: Options) -> dict[int, list[Pair]]:
        folder = self.ls.ws.folders[src]
        chunks = folder.store.chunks_of_file(rel)
        return duplicates_of(self.ls.ws.retriever.sources, src, chunks, options)

    def _publish(self, uri: str, hints: FileHints) -> None:
        if not hints.diagnostics and uri not in self._published:
            return  # nothing shown, nothing to take away
        if hints.diagnostics:
            self._published.add(uri)
            self._points[uri] = hints.points_at
        else:
            self._published.discard(uri)
            self._points.pop(uri, None)
        params = t.PublishDiagnosticsParams(uri=uri, diagnostics=hints.diagnostics)
        self.ls.call_soon(lambda: self.ls.text_document_publish_diagnostics(params))

    # -- code action and command (query threads)

    def code_actions(self, params: t.CodeActionParams) -> list[t.CodeAction]:
        """"Show near duplicates" for each of our hints among the request's diagnostics."""
        actions = []
        for d in params.context.diagnostics:
            if d.source != protocol.DIAGNOSTIC_SOURCE or d.code != CODE:
                continue
            arg = {"textDocument": {"uri": params.text_document.uri},
                   "position": {"line": d.range.start.line, "character": d.range.start.character}}
            actions.append(t.CodeAction(
                title=ACTION_TITLE, kind=t.CodeActionKind.QuickFix, diagnostics=[d],
                command=t.Command(title=ACTION_TITLE, command=protocol.CMD_SHOW_DUPLICATES,
                                  arguments=[arg])))
        return actions

    def duplicates_at(self, raw: Any) -> list[dict[str, Any]]:
        """The near-duplicates of the function at {textDocument: {uri}, position}, closest first."""
        uri, line = _parse_show(raw)
        located = self._locate(uri)
        if located is None:
            raise ParamsError(f"{uri} is outside the workspace folders")
        src, folder, rel = located
        chunk = folder.store.chunk_at(rel, line + 1)
        if chunk is None:
            return []
        found = duplicates_of(self.ls.ws.retriever.sources, src, [chunk],
                              options_for(self.ls.settings)).get(chunk.id, [])
        return [{"uri": p.b.abspath.as_uri(),
                 "range": _range_json(chunk_range(p.b)),
                 "symbol": p.b.symbol, "similarity": round(p.similarity, 4),
                 "lexical": round(p.lexical, 4)} for p in found]

    def can_show_documents(self) -> bool:
        window = self.ls.client_capabilities.window
        return bool(window and window.show_document and window.show_document.support)


def _range_json(r: t.Range) -> dict[str, Any]:
    return {"start": {"line": r.start.line, "character": r.start.character},
            "end": {"line": r.end.line, "character": r.end.character}}


def _parse_show(raw: Any) -> tuple[str, int]:
    if not isinstance(raw, dict):
        raise ParamsError("give {textDocument: {uri}, position: {line, character}}")
    doc = raw.get("textDocument")
    if not isinstance(doc, dict) or not isinstance(doc.get("uri"), str):
        raise ParamsError("'textDocument.uri' must be a string")
    pos = raw.get("position")
    line = pos.get("line") if isinstance(pos, dict) else None
    if not isinstance(line, int) or isinstance(line, bool) or line < 0:
        raise ParamsError("'position.line' must be an integer >= 0")
    return doc["uri"], line


# ----------------------------------------------------------------------------- registration


def register(server: NearcodeServer) -> Hints:
    """Add the code action and the command to `server`, and the hints to what the indexing
    worker tells of changed files; returns the hints."""
    hints = Hints(server)
    server.on_indexed.append(hints.indexed)

    @server.feature(t.TEXT_DOCUMENT_CODE_ACTION,
                    t.CodeActionOptions(code_action_kinds=[t.CodeActionKind.QuickFix]))
    def on_code_action(ls: NearcodeServer, params: t.CodeActionParams) -> list[t.CodeAction] | None:
        """textDocument/codeAction: "Show near duplicates" on a near-duplicate hint."""
        return hints.code_actions(params) or None

    @server.command(protocol.CMD_SHOW_DUPLICATES)
    async def cmd_show_duplicates(ls: NearcodeServer, *args: Any) -> dict[str, Any]:
        """Near-duplicates of the function at [{textDocument, position}]; opens the closest."""
        found = await ls.run(hints.duplicates_at, args[0] if args else None)
        if found and hints.can_show_documents():
            first = found[0]["range"]
            await ls.window_show_document_async(t.ShowDocumentParams(
                uri=found[0]["uri"], take_focus=True,
                selection=t.Range(t.Position(**first["start"]), t.Position(**first["end"]))))
        return {"duplicates": found}

    return hints
