"""The endpoint's server side (endpoint.py has the address and the wire): a running
`nearcode serve` answers `nearcode search` and `nearcode similar` for the CLI.

It answers only what the CLI in its own process would answer alike:
- the folder is one of the server's workspace folders and holds none of the others (whose
  files its index leaves to them, where the CLI's would include them);
- the settings the CLI would load there, with its command line on top, equal the server's in
  every field that changes results, the index file included (`include_tests` may differ: it
  applies per query);
- the model loaded is the one the settings name now;
- what the watcher saw change is indexed: the CLI would have synced it. It waits for that up to
  FRESH_WAIT_S, then answers from the index as it is, with a note saying so. (A write the
  watcher has not been told of yet, a few milliseconds after it on an idle machine, can be
  missing; starting the CLI's process takes longer than that.)
Otherwise the reply is an error and the CLI searches alone. So is a request the CLI's own
process would refuse (an empty query, an unknown language, a bad glob): the CLI then says why in
its own words. A request that is not what the CLI sends gets an error reply; nothing a client
sends stops the server.

Requests run on WORKERS threads of their own (each SQLite reader keeps one connection per
thread), never on the language server's event loop.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import selectors
import socket
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .. import config
from ..code.languages import check_language
from ..errors import InvalidInput, NearcodeError, Unavailable
from ..index.folder import Folder
from ..search.retrieval import Hit, Retriever, Source
from ..search.similar import read_text, similar_at
from ..store.base import compile_globs
from .endpoint import MAX_REQUEST, BadMessage, address, make_private, receive, send
from .watch import Watcher
from .worker import IndexService
from .workspace import Workspace

log = logging.getLogger(__name__)

FRESH_WAIT_S = 10.0  # at most this long for the changes seen to be indexed before answering
READ_TIMEOUT_S = 5.0  # for a request to arrive once connected
WORKERS = 2
POLL_S = 0.05
# Settings that change no search or similar result (include_tests applies per query)
NOT_RESULTS = frozenset({"diagnostics", "duplicate_threshold", "duplicate_exclude",
                         "max_diagnostics_per_file", "watch", "include_tests", "db_path"})


class NotServed(Unavailable):
    """A request this server does not answer as the CLI would: another index, settings or
    model, or a folder it does not serve."""


@dataclasses.dataclass(frozen=True)
class Request:
    """A search (`query`, `languages`, `paths`) or similar (`file`, `start`, `end`) request
    of the CLI in `cwd`, for workspace folder `root` with the settings `overrides` of its
    command line."""

    op: str
    root: Path
    cwd: Path
    overrides: dict[str, Any]
    k: int
    query: str = ""
    languages: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    file: Path | None = None
    start: int | None = None
    end: int | None = None

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> Request:
        """The request in `raw`; BadMessage naming what is wrong."""
        op = _field(raw, "op", str)
        if op not in ("search", "similar"):
            raise BadMessage(f"unknown op {op!r}")
        common: dict[str, Any] = {
            "op": op, "root": _path(raw, "root"), "cwd": _path(raw, "cwd"),
            "overrides": _field(raw, "overrides", dict), "k": _field(raw, "k", int)}
        if op == "search":
            return cls(**common, query=_field(raw, "query", str),
                       languages=_strings(raw, "languages"), paths=_strings(raw, "paths"))
        return cls(**common, file=_path(raw, "file"), start=_line(raw, "start"),
                   end=_line(raw, "end"))


def _field(raw: dict[str, Any], name: str, kind: type) -> Any:
    value = raw.get(name)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise BadMessage(f"{name!r} must be a {kind.__name__}")
    return value


def _path(raw: dict[str, Any], name: str) -> Path:
    path = Path(_field(raw, name, str))
    if not path.is_absolute():
        raise BadMessage(f"{name!r} must be an absolute path")
    return path


def _strings(raw: dict[str, Any], name: str) -> tuple[str, ...]:
    values = _field(raw, name, list)
    if not all(isinstance(v, str) for v in values):
        raise BadMessage(f"{name!r} must be a list of strings")
    return tuple(values)


def _line(raw: dict[str, Any], name: str) -> int | None:
    return None if raw.get(name) is None else int(_field(raw, name, int))


@dataclasses.dataclass
class _View:
    """The workspace as search.similar sees it, narrowed to one folder."""

    retriever: Retriever
    folder: Folder

    def folder_for(self, path: Path) -> tuple[Folder, str] | None:
        rel = self.folder.relative(path)
        return None if rel is None else (self.folder, rel)


class EndpointServer:
    """Listens on one socket per served folder and answers on WORKERS threads; `stop()`
    removes the sockets."""

    def __init__(self, ws: Workspace, service: IndexService, watcher: Watcher) -> None:
        self.ws = ws
        self.service = service
        self.watcher = watcher
        self._stop = threading.Event()
        self._selector = selectors.DefaultSelector()
        self._listening: list[tuple[socket.socket, Path, tuple[int, int]]] = []
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="nearcode-endpoint")
        self._thread = threading.Thread(target=self._accept_loop, name="nearcode-endpoint",
                                        daemon=True)
        self._retrievers: dict[tuple[Path, bool], Retriever] = {}
        self._lock = threading.Lock()
        self.last_used = time.monotonic()  # when the last question came (or the start)

    # -- listening

    def start(self) -> None:
        """Listen for every folder that can be served; nothing when none can."""
        for folder in self.ws.folders:
            if any(folder.root in other.root.parents for other in self.ws.folders):
                continue  # its index leaves the inner folder's files out; the CLI's would not
            try:
                sock = self._listen(folder)
            except OSError as exc:  # the CLI then searches alone, as before
                log.info("no endpoint for the CLI for %s (%s)", folder.root, exc)
                continue
            if sock is not None:
                self._selector.register(sock, selectors.EVENT_READ, folder)
        if self._listening:
            self._thread.start()

    def _listen(self, folder: Folder) -> socket.socket | None:
        path = address(folder.root)
        if path is None or not make_private(path.parent):
            return None
        if os.path.lexists(path):
            if _answers(path):
                log.info("another nearcode server answers the CLI for %s", folder.root)
                return None
            path.unlink(missing_ok=True)  # left by a server that is gone
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(str(path))  # fails when another server bound it first
            os.chmod(path, 0o600)
            sock.listen(16)
            st = os.stat(path)
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        self._listening.append((sock, path, (st.st_dev, st.st_ino)))
        log.info("answering nearcode search/similar for %s at %s", folder.root, path)
        return sock

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.25):
                try:
                    conn, _ = key.fileobj.accept()  # type: ignore[union-attr]
                except OSError:
                    continue
                self._pool.submit(self._serve, conn, key.data)

    def stop(self) -> None:
        """Stop listening and remove the sockets (those still ours)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        for sock, path, identity in self._listening:
            sock.close()
            try:
                st = os.stat(path)
                if (st.st_dev, st.st_ino) == identity:
                    path.unlink()
            except OSError:
                pass
        self._listening.clear()
        self._selector.close()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- answering

    @property
    def listening(self) -> bool:
        """True when some folder's socket is open."""
        return bool(self._listening)

    def _serve(self, conn: socket.socket, folder: Folder) -> None:
        self.last_used = time.monotonic()
        with conn:
            conn.setblocking(True)
            conn.settimeout(READ_TIMEOUT_S)
            if not _same_user(conn):
                return
            try:
                reply = self.answer(receive(conn, MAX_REQUEST), folder)
            except Exception as exc:  # a bad request, a timeout, a bug: a reply, never a crash
                reply = _error_reply(exc)
            try:
                send(conn, reply)
            except OSError:
                pass  # the CLI gave up waiting

    def answer(self, raw: dict[str, Any], folder: Folder) -> dict[str, Any]:
        """The reply to request `raw` made on `folder`'s socket."""
        request = Request.parse(raw)
        settings, problems = self._settings(request, folder)
        note = self._wait_fresh()
        retriever = self._retriever(folder, settings.include_tests)
        if request.op == "search":
            hits = self._search(request, retriever)
        else:
            hits = self._similar(request, _View(retriever, folder))
        return {"ok": True, "hits": [_hit(h) for h in hits], "warnings": problems,
                "note": note}

    def _settings(self, request: Request, folder: Folder) -> tuple[config.Settings, list[str]]:
        """The settings the CLI would use; NotServed unless this server answers alike."""
        if request.root != folder.root:
            raise NotServed(f"this endpoint serves {folder.root}, not {request.root}")
        settings, problems = config.load(request.root, request.overrides)
        ours = self.ws.settings
        differ = [f.name for f in dataclasses.fields(config.Settings) if f.name not in NOT_RESULTS
                  and getattr(settings, f.name) != getattr(ours, f.name)]
        theirs_db = request.cwd / config.db_path_for(request.root, settings)
        our_db = config.db_path_for(folder.root, ours, len(self.ws.folders)).absolute()
        if theirs_db.resolve() != our_db.resolve():
            differ.append("db_path")
        if differ:
            raise NotServed(f"other settings: {', '.join(differ)}")
        if not self.ws.model_is_current():
            raise NotServed("the settings name another model than the one loaded")
        return settings, problems

    def _wait_fresh(self) -> str | None:
        """Once every change the watcher saw is written (with its words at least): None, or a
        note while vectors are still filling in; after FRESH_WAIT_S, or when stopping, a note
        that the index may lag."""
        deadline = time.monotonic() + FRESH_WAIT_S
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if self.watcher.settled():
                if (self.service.wait_written(max(0.0, min(left, 0.5)))
                        and self.watcher.settled()):
                    return self._embedding_note()
            elif left > 0:
                time.sleep(POLL_S)
            if left <= 0:
                break
        pending = self.service.status().pending_files
        to_go = f" ({pending} files to go)" if pending else ""
        return f"the running nearcode server is still indexing{to_go}: results may miss changes"

    def _embedding_note(self) -> str | None:
        """None when every chunk has its vector; else a note that some are found by their
        words only (the lexical tier: the server is still embedding them)."""
        status = self.service.status()
        if status.chunks_embedded >= status.chunks:
            return None
        return (f"the running nearcode server is still embedding ({status.chunks_embedded:,} of "
                f"{status.chunks:,} chunks): the others are found by their words only")

    def _retriever(self, folder: Folder, include_tests: bool) -> Retriever:
        """A retriever over `folder` alone (kept: it caches the outlines of files)."""
        with self._lock:
            key = (folder.root, include_tests)
            found = self._retrievers.get(key)
            if found is None or found.embedder is not self.ws.embedder:
                settings = dataclasses.replace(self.ws.settings, include_tests=include_tests)
                found = Retriever([Source(folder.root, folder.store)], self.ws.embedder, settings)
                self._retrievers[key] = found
            return found

    def _search(self, request: Request, retriever: Retriever) -> list[Hit]:
        """As cli/search_here.py searches (its checks too, so that a bad request is refused)."""
        if not request.query.strip():
            raise InvalidInput("the query is empty")
        languages = [check_language(lang) for lang in request.languages]
        compile_globs(request.paths)
        _check_k(request.k)
        return retriever.search(request.query, request.k, languages, list(request.paths))

    def _similar(self, request: Request, view: _View) -> list[Hit]:
        """As cli/search_here.py finds similar code: the file as it is on disk."""
        _check_k(request.k)
        assert request.file is not None
        if view.folder_for(request.file) is None:  # read nothing outside the workspace
            raise InvalidInput(f"{request.file} is outside {view.folder.root}")
        start, end = request.start, request.end
        if start is not None and (start < 1 or end is None or end < start):
            raise InvalidInput("bad line range")
        return similar_at(view, request.file, read_text(request.file), start, end, request.k,
                          whole_chunk=start is not None and start == end)


def _check_k(k: int) -> None:
    if k < 1:
        raise InvalidInput(f"k must be at least 1, got {k}")


def _hit(hit: Hit) -> dict[str, Any]:
    """A hit on the wire (endpoint.WireHit)."""
    return {"path": hit.path, "root": str(hit.root), "start_line": hit.start_line,
            "end_line": hit.end_line, "symbol": hit.symbol, "kind": hit.kind,
            "language": hit.language, "score": hit.score, "preview": hit.preview}


def _error_reply(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, BadMessage):
        kind = "bad request"
    elif isinstance(exc, InvalidInput):
        kind = "invalid"
    elif isinstance(exc, NotServed):
        kind = "not served"
    elif isinstance(exc, NearcodeError):
        kind = "unavailable"
    elif isinstance(exc, OSError):  # the request did not arrive in time, or whole
        kind = "bad request"
    else:
        log.exception("answering the CLI failed")
        kind = "internal"
    return {"ok": False, "error": kind, "message": f"{type(exc).__name__}: {exc}"}


def _same_user(conn: socket.socket) -> bool:
    """False when the caller is another user (Linux; elsewhere the folder's mode keeps them
    out)."""
    if not hasattr(socket, "SO_PEERCRED"):
        return True
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    uid: int = struct.unpack("3i", creds)[1]  # (pid, uid, gid)
    return uid == os.getuid()


def _answers(path: Path) -> bool:
    """True when a server is listening on socket `path` (False: a stale one)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True
