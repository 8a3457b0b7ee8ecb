"""The server's indexing worker: one thread that performs every index write, in order.

Editors and the file watcher only *schedule* work (paths that changed, buffers that were edited
or closed, a full sync); the worker coalesces what piled up and runs it, reporting progress.
Queries never wait for it: they read what is committed (SQLite WAL readers).

A full sync writes the lexical tier (every changed file with its words: searchable at once);
then, whenever nothing else is queued, the worker embeds the chunks that have no vector yet, a
step of `EMBED_STEP` chunks at a time, so that edits are never stuck behind a first index.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..index.folder import Folder
from ..index.indexer import Progress
from .workspace import Workspace
from .writelock import ServerLeases

log = logging.getLogger(__name__)

STORM = 500  # more pending paths than this in one folder: a full sync is cheaper


@dataclass
class Status:
    """What `nearcode/indexStatus` reports."""

    state: str  # "indexing" | "idle"
    files: int
    chunks: int
    pending_files: int
    model: str
    chunks_embedded: int  # of `chunks`; the others are found by their words until then


@dataclass
class _Work:
    sync: set[int] = field(default_factory=set)  # folder indexes to sync fully
    rebuild: bool = False
    paths: dict[int, set[str]] = field(default_factory=dict)
    buffers: dict[tuple[int, str], str | None] = field(default_factory=dict)  # None: closed
    embed: bool = False  # a step of filling in vectors (taken only when nothing else waits)

    def __bool__(self) -> bool:
        return bool(self.sync or self.paths or self.buffers)

    def count(self) -> int:
        return sum(len(p) for p in self.paths.values()) + len(self.buffers)


class ProgressSink:
    """Where the worker reports: begin/report/end of a run, and errors. Defaults do nothing."""

    def begin(self, title: str) -> None: ...
    def report(self, progress: Progress) -> None: ...
    def end(self, message: str) -> None: ...
    def error(self, message: str) -> None: ...
    def indexed(self, folder: Folder, paths: set[str] | None) -> None:
        """Files changed in the index (None: possibly all of them)."""


class IndexService:
    """Schedules and runs index writes for a workspace on one background thread."""

    def __init__(self, ws: Workspace, sink: ProgressSink | None = None) -> None:
        self.ws = ws
        self.sink = sink or ProgressSink()
        self._work = _Work()
        self._cond = threading.Condition()
        self._running = False  # a batch of work is being done
        self._current = (0, 0)  # (done, total) of the running sync
        self._filling = False  # chunks may be waiting for vectors
        self._embedding = False  # the batch running is a step of filling them in
        self._embedded = 0  # chunks embedded since the last sync began
        self._sync_started = 0.0
        self._files_indexed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="nearcode-indexer", daemon=True)
        self.initial_done = threading.Event()
        # a running server keeps its indexes fresh: other processes (nearcode mcp) read them
        # and leave the writing to it (writelock.py)
        self._leases = ServerLeases(ws)

    # -- scheduling (any thread)

    def start(self) -> None:
        self.schedule_sync()
        self._thread.start()
        self.ws.warm_in_background()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the file being written, then stop (nothing is left half-written)."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def schedule_sync(self, folder: Folder | None = None, rebuild: bool = False) -> None:
        with self._cond:
            targets = [folder] if folder else self.ws.folders
            self._work.sync.update(self.ws.folders.index(f) for f in targets)
            self._work.rebuild |= rebuild
            self._cond.notify_all()

    def schedule_paths(self, folder: Folder, rels: set[str]) -> None:
        with self._cond:
            i = self.ws.folders.index(folder)
            pending = self._work.paths.setdefault(i, set())
            pending |= rels
            if len(pending) > STORM:
                del self._work.paths[i]
                self._work.sync.add(i)
            self._cond.notify_all()

    def schedule_buffer(self, folder: Folder, rel: str, text: str | None) -> None:
        """Index an open buffer's text (None: the buffer was closed)."""
        with self._cond:
            self._work.buffers[(self.ws.folders.index(folder), rel)] = text
            self._cond.notify_all()

    def status(self) -> Status:
        with self._cond:
            busy = self._running or bool(self._work) or self._filling
            pending = self._work.count() + max(0, self._current[1] - self._current[0])
            if self._work.sync:
                pending = max(pending, 1)
        files, chunks = self.ws.counts()
        return Status("indexing" if busy else "idle", files, chunks, pending,
                      self.ws.embedder.model_id, max(0, chunks - self.ws.unembedded()))

    def wait_written(self, timeout: float) -> bool:
        """Block until every change queued is written, with its words at least (vectors may
        still be filling in): what answers to the CLI wait for."""
        return self._wait(lambda: bool(self._work) or (self._running and not self._embedding),
                          timeout)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Block until no work is queued or running, every chunk embedded (tests, CLI)."""
        return self._wait(lambda: self._running or bool(self._work) or self._filling, timeout)

    def _wait(self, busy: Callable[[], bool], timeout: float) -> bool:
        """Block while `busy()` (read under the lock), at most `timeout` seconds; False when
        it still is."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while busy():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    # -- the worker

    def _take(self) -> _Work | None:
        with self._cond:
            while not self._work and not self._filling and not self._stop.is_set():
                self._cond.wait()
            if self._stop.is_set():
                return None
            work, self._work = self._work, _Work()
            work.embed = not work and self._filling
            self._running, self._embedding = True, work.embed
            return work

    def _loop(self) -> None:
        if not self._leases.acquire(self._stop):
            return
        try:
            self._work_loop()
        finally:
            self._leases.release()

    def _work_loop(self) -> None:
        while True:
            work = self._take()
            if work is None:
                return
            try:
                self._run(work)
            except Exception as exc:  # keep serving: report and carry on
                log.exception("indexing failed")
                self.sink.error(f"nearcode: indexing failed: {exc}")
                if work.embed:  # not step after failing step: the next sync tries again
                    with self._cond:
                        self._filling = False
                    self.sink.end("embedding failed")
            finally:
                with self._cond:
                    self._running = False
                    self._current = (0, 0)
                    self._cond.notify_all()
                self.initial_done.set()

    def _run(self, work: _Work) -> None:
        if work.embed:
            self._embed_step()
            return
        for (i, rel), text in work.buffers.items():
            folder = self.ws.folders[i]
            if text is None:
                folder.indexer.drop_buffer(rel)
            else:
                folder.indexer.set_buffer(rel, text)
            self.sink.indexed(folder, {rel})
        for i, rels in work.paths.items():
            if i in work.sync:
                continue
            folder = self.ws.folders[i]
            folder.indexer.update(rels)
            self.sink.indexed(folder, rels)
        if work.sync:
            self._sync([self.ws.folders[i] for i in sorted(work.sync)], work.rebuild)

    def _sync(self, folders: list[Folder], rebuild: bool) -> None:
        """The lexical tier of every folder; the vectors follow in `_embed_step`s."""
        if self.ws.reload_model_if_changed():
            folders = self.ws.folders  # a new model: every folder is embedded again
        if not self._filling:  # else the progress of the fill under way goes on
            self.sink.begin("nearcode: indexing")
            self._sync_started, self._files_indexed, self._embedded = time.monotonic(), 0, 0
        offset = 0

        def progress(p: Progress) -> None:
            with self._cond:
                self._current = (offset + p.done, offset + p.total)
            self.sink.report(Progress(offset + p.done, offset + p.total, p.path))

        for folder in folders:
            if rebuild:
                folder.store.ensure_model(self.ws.embedder.model_id, self.ws.embedder.dim,
                                          rebuild=True)
            report = folder.indexer.sync_lexical(progress, self._stop)
            offset = self._current[1]
            self._files_indexed += report.files_indexed
        with self._cond:
            self._filling = True  # ends with the first step that finds nothing to embed

    def _embed_step(self) -> None:
        """Embed one step's chunks in the first folder that has any; when none has, the
        indexing run is over."""
        for folder in self.ws.folders:
            n = folder.indexer.embed_pending()
            if n:
                self._embedded += n
                total = self._embedded + self.ws.unembedded()
                self.sink.report(Progress(self._embedded, total, reason=folder.indexer.reason,
                                          stage="embedding"))
                return
        with self._cond:
            self._filling = False
        for folder in self.ws.folders:
            self.sink.indexed(folder, None)  # synced and embedded: duplicate hints can look
        self.sink.end(f"indexed {self._files_indexed} changed files, embedded "
                      f"{self._embedded} chunks in {time.monotonic() - self._sync_started:.1f}s")
