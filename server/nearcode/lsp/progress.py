"""The indexing worker's reports as LSP: work-done progress, error messages, and nearcode's own
log records as window/logMessage. Everything is marshalled to the event loop thread."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from lsprotocol import types as t

from ..app.worker import ProgressSink
from ..index.folder import Folder
from ..index.indexer import Progress
from .base import NearcodeServer

log = logging.getLogger(__name__)

PROGRESS_EVERY = 0.25  # at most this often a $/progress report
FILES_SHARE = 10  # percent of the bar for writing the files (words), the rest for embedding


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
        now = time.monotonic()
        token = self.token
        if token is None or (now - self.last < PROGRESS_EVERY and progress.done < progress.total):
            return
        self.last = now
        share = progress.done / progress.total if progress.total else 1.0
        if progress.stage == "files":  # the lexical tier: quick, the first tenth of the bar
            pct = int(FILES_SHARE * share)
            text = f"{progress.done}/{progress.total} files"
        else:
            pct = int(FILES_SHARE + (100 - FILES_SHARE) * share)
            text = f"{progress.done}/{progress.total} chunks embedded"
        if progress.reason:
            text += f": {progress.reason}"
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
        for listener in self.ls.on_indexed:
            listener(folder, paths)


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
