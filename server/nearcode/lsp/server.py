"""`nearcode serve`: the language server. Handlers are thin: check params, run the query on a
worker thread, convert the answer. Domain errors become JSON-RPC errors only here.

Logs go to stderr and, from INFO up, to the client as window/logMessage; never to stdout,
which carries the protocol in stdio mode.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types as t
from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import JsonRPCNotification, JsonRPCRequestMessage, default_converter
from pygls.uris import to_fs_path

from .. import __version__, config
from ..app.worker import IndexService, ProgressSink
from ..app.workspace import Workspace
from ..embed.base import ModelError
from ..index.folder import Folder, WorkspaceError
from ..index.indexer import Progress
from ..search.completion import completion_context
from ..search.retrieval import Hit
from ..search.similar import LocationError, read_text, similar_at
from ..store import indexfile
from ..store.base import StoreError
from . import protocol
from .convert import hit_to_json, hit_to_symbol
from .features import duplicate_hints
from .params import ParamsError, parse_context, parse_search, parse_similar

log = logging.getLogger(__name__)

BUFFER_DEBOUNCE = 0.3  # seconds of quiet after an edit before the buffer is indexed
PROGRESS_EVERY = 0.25  # at most this often a $/progress report

R = TypeVar("R")


def _converter():  # type: ignore[no-untyped-def]
    """pygls' converter, but nearcode's own requests keep their params as plain JSON, so that
    params.py can check them and say exactly what is wrong."""
    conv = default_converter()
    conv.register_structure_hook(JsonRPCRequestMessage, lambda obj, cls: cls(**obj))
    conv.register_structure_hook(JsonRPCNotification, lambda obj, cls: cls(**obj))
    return conv


class NearcodeServer(LanguageServer):
    """Holds the workspace, the indexing service and the watcher once initialized."""

    def __init__(self) -> None:
        super().__init__("nearcode", __version__, converter_factory=_converter,
                         text_document_sync_kind=t.TextDocumentSyncKind.Incremental)
        self.ws: Workspace | None = None
        self.service: IndexService | None = None
        self.watcher: Any = None
        self.settings = config.Settings()
        self.roots: list[Path] = []
        self.problems: list[str] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self.queries = ThreadPoolExecutor(max_workers=2, thread_name_prefix="nearcode-query")
        self._debounce: dict[str, asyncio.TimerHandle] = {}
        self.ready = threading.Event()
        self.defaults: dict[str, Any] = {}  # settings given on the command line

    # -- helpers used by handlers

    def call_soon(self, fn: Callable[[], None]) -> None:
        """Run `fn` on the event loop thread (the only thread that writes to the client)."""
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(fn)

    def message(self, kind: t.MessageType, text: str) -> None:
        self.call_soon(lambda: self.window_show_message(t.ShowMessageParams(kind, text)))

    async def run(self, fn: Callable[..., R], *args: Any) -> R:
        """Run blocking query work off the event loop; map domain errors to JSON-RPC errors."""
        if not self.ready.wait(timeout=60) or self.ws is None:
            raise JsonRpcInternalError("nearcode is not initialized")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.queries, lambda: fn(*args))
        except (ParamsError, LocationError, WorkspaceError) as exc:
            raise JsonRpcInvalidParams(str(exc)) from exc
        except (ModelError, StoreError) as exc:
            raise JsonRpcInternalError(f"nearcode: {exc}") from exc

    def locate(self, uri: str) -> tuple[Folder, str, Path]:
        """(folder, relative path, absolute path) of a document URI inside the workspace."""
        assert self.ws is not None
        fs = to_fs_path(uri) if uri.startswith("file:") else None
        if fs is None:
            raise ParamsError(f"not a file URI: {uri}")
        path = Path(fs)
        found = self.ws.folder_for(path)
        if found is None:
            raise ParamsError(f"{uri} is outside the workspace folders")
        return found[0], found[1], path.resolve()

    def document_text(self, uri: str, path: Path) -> str:
        """The editor's text for `uri` when it is open, else the file on disk."""
        doc = self.workspace.text_documents.get(uri)
        return doc.source if doc is not None else read_text(path)


server = NearcodeServer()
hints = duplicate_hints.register(server)  # near-duplicate hints, code action, showDuplicates


# ----------------------------------------------------------------------------- progress & logs


class LspSink(ProgressSink):
    """Index progress as LSP work-done progress, errors as messages, all marshalled to the loop."""

    def __init__(self, ls: NearcodeServer) -> None:
        self.ls = ls
        self.token: str | None = None
        self.last = 0.0
        self.queue: asyncio.Queue[Callable[[], Any]] = asyncio.Queue()
        caps = ls.client_capabilities.window
        self.enabled = bool(caps and caps.work_done_progress)
        asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        while True:
            step = await self.queue.get()
            try:
                result = step()
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                log.debug("progress step failed", exc_info=True)

    def _push(self, step: Callable[[], Any]) -> None:
        if self.enabled:
            self.ls.call_soon(lambda: self.queue.put_nowait(step))

    def begin(self, title: str) -> None:
        token = self.token = str(uuid.uuid4())

        async def start() -> None:
            await self.ls.work_done_progress.create_async(token)
            self.ls.work_done_progress.begin(
                token, t.WorkDoneProgressBegin(title=title, percentage=0, cancellable=False))

        self._push(start)

    def report(self, progress: Progress) -> None:
        import time

        now = time.monotonic()
        token = self.token
        if token is None or (now - self.last < PROGRESS_EVERY and progress.done < progress.total):
            return
        self.last = now
        pct = int(100 * progress.done / progress.total) if progress.total else 100
        text = f"{progress.done}/{progress.total} files"
        self._push(lambda: self.ls.work_done_progress.report(
            token, t.WorkDoneProgressReport(message=text, percentage=pct)))

    def end(self, message: str) -> None:
        token, self.token = self.token, None
        if token is not None:
            self._push(lambda: self.ls.work_done_progress.end(
                token, t.WorkDoneProgressEnd(message=message)))

    def error(self, message: str) -> None:
        self.ls.message(t.MessageType.Error, message)

    def indexed(self, folder: Folder, paths: set[str] | None) -> None:
        hints.indexed(folder, paths)


class LspLogHandler(logging.Handler):
    """Forwards nearcode's own log records to the client as window/logMessage."""

    LEVELS = {logging.ERROR: t.MessageType.Error, logging.WARNING: t.MessageType.Warning,
              logging.INFO: t.MessageType.Info}

    def __init__(self, ls: NearcodeServer) -> None:
        super().__init__(logging.INFO)
        self.ls = ls

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith("nearcode"):
            return  # pygls' own records would echo its messages back at it
        kind = self.LEVELS.get(record.levelno, t.MessageType.Log)
        text = self.format(record)
        self.ls.call_soon(lambda: self.ls.window_log_message(t.LogMessageParams(kind, text)))


# ----------------------------------------------------------------------------- lifecycle


def _roots(params: t.InitializeParams) -> list[Path]:
    roots: list[Path] = []
    for folder in params.workspace_folders or []:
        fs = to_fs_path(folder.uri)
        if fs:
            roots.append(Path(fs))
    if not roots and params.root_uri:
        fs = to_fs_path(params.root_uri)
        if fs:
            roots.append(Path(fs))
    if not roots and params.root_path:
        roots.append(Path(params.root_path))
    return roots


@server.feature(t.INITIALIZE)
def on_initialize(ls: NearcodeServer, params: t.InitializeParams) -> None:
    """Read roots and settings; the model and the index start after `initialized`."""
    ls.roots = [r for r in _roots(params) if r.is_dir()]
    first = ls.roots[0] if ls.roots else None
    options = params.initialization_options
    trusted = False
    if isinstance(options, dict):
        options = dict(options)
        # the editor vouches for the folder (VS Code's workspace trust): a repository's own
        # files cannot set this, only the client the user installed
        trusted = options.pop(protocol.TRUST_OPTION, None) is True
    merged = {**ls.defaults, **options} if isinstance(options, dict) else options
    ls.settings, ls.problems = config.load(first, merged if options is not None else ls.defaults,
                                           trusted=trusted)


@server.feature(t.INITIALIZED)
def on_initialized(ls: NearcodeServer, params: t.InitializedParams) -> None:
    """Open the indexes and start indexing in the background."""
    ls.loop = asyncio.get_running_loop()
    logging.getLogger("nearcode").addHandler(LspLogHandler(ls))
    for problem in ls.problems:
        ls.message(t.MessageType.Warning, f"nearcode: {problem}")
    if not ls.roots:
        ls.message(t.MessageType.Warning, "nearcode: no workspace folder is open; nothing to index")
        ls.ready.set()
        return
    try:
        ls.ws = _open_workspace(ls.roots, ls.settings)
    except (ModelError, WorkspaceError, StoreError) as exc:
        ls.message(t.MessageType.Error, f"nearcode: {exc}")
        ls.ready.set()
        return
    ls.service = IndexService(ls.ws, LspSink(ls))
    ls.service.start()
    if ls.settings.watch:
        from ..app.watch import Watcher

        ls.watcher = Watcher(ls.ws.folders,
                             lambda f, rels: ls.service.schedule_paths(f, rels),  # type: ignore[union-attr]
                             lambda f: ls.service.schedule_sync(f))  # type: ignore[union-attr]
        try:
            ls.watcher.start()
        except OSError as exc:  # e.g. inotify limits: editor events still keep the index fresh
            log.warning("cannot watch the workspace (%s); relying on editor events", exc)
            ls.watcher = None
    ls.ready.set()


def _open_workspace(roots: list[Path], settings: config.Settings) -> Workspace:
    """The workspace; an index file that cannot be opened is set aside and rebuilt (it holds
    nothing that indexing cannot recreate)."""
    try:
        return Workspace(roots, settings)
    except StoreError as exc:
        moved = [indexfile.set_aside(config.db_path_for(root, settings, len(roots)))
                 for root in roots]
        if not any(moved):
            raise  # not an index of nearcode's own: left alone, the error says so
        log.warning("%s; starting a fresh index", exc)
        return Workspace(roots, settings)


@server.feature(t.SHUTDOWN)
def on_shutdown(ls: NearcodeServer, params: Any) -> None:
    """Stop watching and indexing; every file write in flight completes first."""
    if ls.watcher is not None:
        ls.watcher.stop()
    if ls.service is not None:
        ls.service.stop()
    if ls.ws is not None:
        ls.ws.close()
    ls.queries.shutdown(wait=False, cancel_futures=True)


# ----------------------------------------------------------------------------- documents


def _schedule_buffer(ls: NearcodeServer, uri: str, closed: bool = False) -> None:
    if ls.ws is None or ls.service is None:
        return
    try:
        folder, rel, _ = ls.locate(uri)
    except ParamsError:
        return
    pending = ls._debounce.pop(uri, None)
    if pending is not None:
        pending.cancel()
    service = ls.service
    if closed:
        service.schedule_buffer(folder, rel, None)
        return

    def fire() -> None:
        ls._debounce.pop(uri, None)
        doc = ls.workspace.text_documents.get(uri)
        if doc is not None:
            service.schedule_buffer(folder, rel, doc.source)

    assert ls.loop is not None
    ls._debounce[uri] = ls.loop.call_later(BUFFER_DEBOUNCE, fire)


@server.feature(t.TEXT_DOCUMENT_DID_OPEN)
def on_did_open(ls: NearcodeServer, params: t.DidOpenTextDocumentParams) -> None:
    _schedule_buffer(ls, params.text_document.uri)


@server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
def on_did_change(ls: NearcodeServer, params: t.DidChangeTextDocumentParams) -> None:
    _schedule_buffer(ls, params.text_document.uri)


@server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
def on_did_close(ls: NearcodeServer, params: t.DidCloseTextDocumentParams) -> None:
    _schedule_buffer(ls, params.text_document.uri, closed=True)


@server.feature(t.TEXT_DOCUMENT_DID_SAVE)
def on_did_save(ls: NearcodeServer, params: t.DidSaveTextDocumentParams) -> None:
    _schedule_buffer(ls, params.text_document.uri)


@server.feature(t.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def on_watched_files(ls: NearcodeServer, params: t.DidChangeWatchedFilesParams) -> None:
    if ls.service is None:
        return
    for change in params.changes:
        try:
            folder, rel, _ = ls.locate(change.uri)
        except ParamsError:
            continue
        ls.service.schedule_paths(folder, {rel})


# ----------------------------------------------------------------------------- requests


def _search(ls: NearcodeServer, raw: Any) -> list[Hit]:
    p = parse_search(raw)
    from ..code.languages import UnknownLanguageError, check_language

    try:
        languages = [check_language(lang) for lang in p.languages]
    except UnknownLanguageError as exc:
        raise ParamsError(str(exc)) from exc
    assert ls.ws is not None
    return ls.ws.retriever.search(p.query, p.limit, languages, p.paths)


def _find_similar(ls: NearcodeServer, raw: Any) -> dict[str, Any]:
    p = parse_similar(raw)
    assert ls.ws is not None
    if p.uri is None:
        assert p.text is not None
        hits = ls.ws.retriever.similar(p.text, p.limit)
        return {"results": [hit_to_json(h) for h in hits]}
    _, _, path = ls.locate(p.uri)
    text = p.text if p.text is not None else ls.document_text(p.uri, path)
    lines = text.split("\n")
    if p.start is not None and p.end is not None:
        if p.start.line >= len(lines):
            raise ParamsError(f"range starts past the end of the document ({len(lines)} lines)")
        last = p.end.line if p.end.character > 0 or p.end.line == p.start.line else p.end.line - 1
        hits = similar_at(ls.ws, path, text, p.start.line + 1, min(last, len(lines) - 1) + 1,
                          p.limit)
    else:
        pos = p.position
        if pos is None or pos.line >= len(lines):
            raise ParamsError(f"position is past the end of the document ({len(lines)} lines)")
        hits = similar_at(ls.ws, path, text, pos.line + 1, pos.line + 1, p.limit,
                          whole_chunk=True)
    return {"results": [hit_to_json(h) for h in hits]}


def _completion_context(ls: NearcodeServer, raw: Any) -> dict[str, Any]:
    p = parse_context(raw)
    assert ls.ws is not None
    folder, rel, path = ls.locate(p.uri)
    text = ls.document_text(p.uri, path)
    lines = text.split("\n")
    if p.position.line >= len(lines):
        raise ParamsError(f"position is past the end of the document ({len(lines)} lines)")
    hits = completion_context(ls.ws, folder, rel, text, p.position.line, p.position.character,
                              p.limit, p.max_chars)
    return {"snippets": [hit_to_json(h, with_text=True) for h in hits]}


@server.feature(protocol.SEARCH)
async def on_search(ls: NearcodeServer, raw: Any) -> dict[str, Any]:
    """nearcode/search: natural language (or identifier) → code."""
    return {"results": [hit_to_json(h) for h in await ls.run(_search, ls, raw)]}


@server.feature(protocol.FIND_SIMILAR)
async def on_find_similar(ls: NearcodeServer, raw: Any) -> dict[str, Any]:
    """nearcode/findSimilar: code (a position, a range, or text) → similar code."""
    return await ls.run(_find_similar, ls, raw)


@server.feature(protocol.COMPLETION_CONTEXT)
async def on_completion_context(ls: NearcodeServer, raw: Any) -> dict[str, Any]:
    """nearcode/completionContext: snippets from other files for a completion at the cursor."""
    return await ls.run(_completion_context, ls, raw)


@server.feature(protocol.INDEX_STATUS)
def on_index_status(ls: NearcodeServer, raw: Any) -> dict[str, Any]:
    """nearcode/indexStatus: indexing or idle, with counts."""
    if ls.service is None:
        state = "indexing" if not ls.ready.is_set() else "idle"
        return {"state": state, "files": 0, "chunks": 0, "pendingFiles": 0, "model": None}
    s = ls.service.status()
    return {"state": s.state, "files": s.files, "chunks": s.chunks,
            "pendingFiles": s.pending_files, "model": s.model}


@server.feature(t.WORKSPACE_SYMBOL)
async def on_workspace_symbol(ls: NearcodeServer, params: t.WorkspaceSymbolParams
                              ) -> list[t.SymbolInformation]:
    """workspace/symbol: semantic search results as symbols, for every editor's symbol UI."""
    if not params.query.strip():
        return []
    hits = await ls.run(_search, ls, {"query": params.query, "limit": 20})
    return [hit_to_symbol(h) for h in hits]


@server.command(protocol.CMD_REINDEX)
def cmd_reindex(ls: NearcodeServer, *args: Any) -> dict[str, Any]:
    """Re-scan every folder; `{"rebuild": true}` drops the index and embeds everything again."""
    if ls.service is None:
        raise JsonRpcInternalError("nearcode is not initialized")
    rebuild = bool(args and isinstance(args[0], dict) and args[0].get("rebuild"))
    ls.service.schedule_sync(rebuild=rebuild)
    return {"scheduled": True, "rebuild": rebuild}


@server.command(protocol.CMD_SEARCH)
async def cmd_search(ls: NearcodeServer, *args: Any) -> dict[str, Any]:
    """The search request as a command: argument {query, ...} or a query string."""
    raw = args[0] if args else None
    hits = await ls.run(_search, ls, {"query": raw} if isinstance(raw, str) else raw)
    return {"results": [hit_to_json(h) for h in hits]}


@server.command(protocol.CMD_FIND_SIMILAR)
async def cmd_find_similar(ls: NearcodeServer, *args: Any) -> dict[str, Any]:
    """The findSimilar request as a command: argument {textDocument, position|range|text}."""
    return await ls.run(_find_similar, ls, args[0] if args else None)


# ----------------------------------------------------------------------------- entry point


def serve(tcp: bool = False, host: str = "127.0.0.1", port: int = 2087,
          defaults: dict[str, Any] | None = None) -> None:
    """Run until the client says exit. In stdio mode stdout carries only the protocol.

    `defaults`: settings from the command line; the editor's initializationOptions win."""
    server.defaults = dict(defaults or {})
    if tcp:
        server.start_tcp(host, port)
        return
    protocol_out = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print() must not corrupt the protocol stream
    server.start_io(sys.stdin.buffer, protocol_out)


