"""The editor's documents: an open buffer's text is indexed in place of the file on disk (after
BUFFER_DEBOUNCE seconds of quiet), the file counts again once the buffer closes, and files the
client reports as changed on disk are checked again."""

from __future__ import annotations

import asyncio

from lsprotocol import types as t

from ..base import NearcodeServer
from ..params import ParamsError

BUFFER_DEBOUNCE = 0.3  # seconds of quiet after an edit before the buffer is indexed


class Buffers:
    """Schedules open buffers for indexing, one pending timer per document."""

    def __init__(self, ls: NearcodeServer) -> None:
        self.ls = ls
        self._pending: dict[str, asyncio.TimerHandle] = {}

    def schedule(self, uri: str, closed: bool = False) -> None:
        """Index the buffer of `uri` once it has been quiet (at once when `closed`)."""
        ls = self.ls
        if ls.ws is None or ls.service is None:
            return
        try:
            folder, rel, _ = ls.locate(uri)
        except ParamsError:
            return
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        service = ls.service
        if closed:
            service.schedule_buffer(folder, rel, None)
            return

        def fire() -> None:
            self._pending.pop(uri, None)
            doc = ls.workspace.text_documents.get(uri)
            if doc is not None:
                service.schedule_buffer(folder, rel, doc.source)

        assert ls.loop is not None
        self._pending[uri] = ls.loop.call_later(BUFFER_DEBOUNCE, fire)


def on_watched_files(ls: NearcodeServer, params: t.DidChangeWatchedFilesParams) -> None:
    """workspace/didChangeWatchedFiles: check the files again."""
    if ls.service is None:
        return
    for change in params.changes:
        try:
            folder, rel, _ = ls.locate(change.uri)
        except ParamsError:
            continue
        ls.service.schedule_paths(folder, {rel})


def register(server: NearcodeServer) -> Buffers:
    buffers = Buffers(server)

    @server.feature(t.TEXT_DOCUMENT_DID_OPEN)
    def on_did_open(ls: NearcodeServer, params: t.DidOpenTextDocumentParams) -> None:
        buffers.schedule(params.text_document.uri)

    @server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
    def on_did_change(ls: NearcodeServer, params: t.DidChangeTextDocumentParams) -> None:
        buffers.schedule(params.text_document.uri)

    @server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
    def on_did_close(ls: NearcodeServer, params: t.DidCloseTextDocumentParams) -> None:
        buffers.schedule(params.text_document.uri, closed=True)

    @server.feature(t.TEXT_DOCUMENT_DID_SAVE)
    def on_did_save(ls: NearcodeServer, params: t.DidSaveTextDocumentParams) -> None:
        buffers.schedule(params.text_document.uri)

    server.feature(t.WORKSPACE_DID_CHANGE_WATCHED_FILES)(on_watched_files)
    return buffers
