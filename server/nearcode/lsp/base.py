"""The language server object the features share (server.py builds it).

It holds the state (the workspace, the indexing worker, the settings) and the helpers handlers
use: `run` (blocking query work off the event loop, domain errors mapped to JSON-RPC errors),
`locate` (a document URI to its workspace folder) and `document_text`. Errors map to JSON-RPC
here only (errors.py): InvalidInput → -32602, the rest of nearcode's → -32603 with the message.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from cattrs import Converter
from lsprotocol import types as t
from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams
from pygls.io_ import StdinAsyncReader, StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.protocol import JsonRPCNotification, JsonRPCRequestMessage, default_converter
from pygls.uris import to_fs_path

from .. import __version__, config
from ..app.endpoint_server import EndpointServer
from ..app.worker import IndexService
from ..app.workspace import Workspace
from ..errors import InvalidInput, NearcodeError
from ..index.folder import Folder
from ..search.similar import read_text
from .params import ParamsError
from .wire import NearcodeProtocol, read_messages

log = logging.getLogger(__name__)

R = TypeVar("R")

READY_TIMEOUT = 60.0  # seconds a request waits for the server to finish initializing

IndexedFn = Callable[[Folder, "set[str] | None"], None]


def _converter() -> Converter:
    """pygls' converter, but nearcode's own requests keep their params as plain JSON, so that
    params.py can check them and say exactly what is wrong."""
    conv: Converter = default_converter()  # type: ignore[no-untyped-call]
    conv.register_structure_hook(JsonRPCRequestMessage, lambda obj, cls: cls(
        id=obj["id"], method=obj["method"], jsonrpc=obj["jsonrpc"], params=obj.get("params")))
    conv.register_structure_hook(JsonRPCNotification, lambda obj, cls: cls(
        method=obj["method"], jsonrpc=obj["jsonrpc"], params=obj.get("params")))
    conv.register_structure_hook(str, _strict_str)  # 3 or null is not a string: -32602
    return conv


def _strict_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, not {type(value).__name__}")
    return value


class NearcodeServer(LanguageServer):
    """Holds the workspace, the indexing service and the watcher once initialized."""

    def __init__(self, defaults: dict[str, Any] | None = None) -> None:
        super().__init__("nearcode", __version__, converter_factory=_converter,
                         protocol_cls=NearcodeProtocol,
                         text_document_sync_kind=t.TextDocumentSyncKind.Incremental)
        self.ws: Workspace | None = None
        self.service: IndexService | None = None
        self.watcher: Any = None
        self.endpoint: EndpointServer | None = None  # answers the CLI (app/endpoint.py)
        self.settings = config.Settings()
        self.roots: list[Path] = []
        self.problems: list[str] = []
        self.failure: str | None = None  # why the workspace could not be opened
        self.loop: asyncio.AbstractEventLoop | None = None
        self.queries = ThreadPoolExecutor(max_workers=2, thread_name_prefix="nearcode-query")
        self.ready = asyncio.Event()  # set once `initialized` opened the workspace (or failed)
        self.defaults: dict[str, Any] = dict(defaults or {})  # settings from the command line
        self.on_indexed: list[IndexedFn] = []  # told which files the worker changed

    # -- transport: pygls' loops, reading with wire.py (every request gets an answer)

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        self._stop_event = threading.Event()
        reader = StdinAsyncReader(stdin or sys.stdin.buffer, self.thread_pool)
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        try:
            asyncio.run(read_messages(reader, self.wire, self._stop_event))
        except BrokenPipeError:
            log.error("the connection to the client is lost; stopping")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()  # type: ignore[no-untyped-call]

    def start_tcp(self, host: str, port: int) -> None:
        self._stop_event = stop = threading.Event()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.protocol.set_writer(writer)
            await read_messages(reader, self.wire, stop)
            self.shutdown()  # type: ignore[no-untyped-call]

        async def serve() -> None:
            self._server = await asyncio.start_server(connection, host, port)
            async with self._server:
                await self._server.serve_forever()

        try:
            asyncio.run(serve())
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()  # type: ignore[no-untyped-call]

    @property
    def wire(self) -> NearcodeProtocol:
        assert isinstance(self.protocol, NearcodeProtocol)
        return self.protocol

    # -- helpers used by the features

    def call_soon(self, fn: Callable[[], None]) -> None:
        """Run `fn` on the event loop thread (the only thread that writes to the client)."""
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(fn)

    def message(self, kind: t.MessageType, text: str) -> None:
        self.call_soon(lambda: self.window_show_message(t.ShowMessageParams(kind, text)))

    async def run(self, fn: Callable[..., R], *args: Any) -> R:
        """Run blocking query work off the event loop; map domain errors to JSON-RPC errors."""
        try:
            await asyncio.wait_for(self.ready.wait(), READY_TIMEOUT)
        except TimeoutError:
            raise JsonRpcInternalError("nearcode is not initialized") from None
        if self.ws is None:
            raise JsonRpcInternalError(self.failure or "nearcode is not initialized")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.queries, lambda: fn(*args))
        except InvalidInput as exc:
            raise JsonRpcInvalidParams(str(exc)) from exc
        except NearcodeError as exc:  # the index, the store or the model is unusable
            raise JsonRpcInternalError(f"nearcode: {exc}") from exc
        except Exception as exc:  # a bug: the traceback goes to the log, not to the client
            log.exception("%s failed", getattr(fn, "__name__", "a request"))
            raise JsonRpcInternalError(
                f"nearcode: internal error: {type(exc).__name__}: {exc}") from exc

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
