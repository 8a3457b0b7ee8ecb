"""Who writes an index file, between processes: one `flock` on `<index>.lock` beside it.

SQLite keeps every single write whole, but two processes indexing the same folder can still
undo each other: one reads a file, the other indexes a newer version, the first then writes its
older text over it, and nothing notices until the file changes again; and a plain re-scan
replaces the editor's unsaved buffers that `nearcode serve` indexed with the text on disk.
So an index has one writer at a time:

- `nearcode serve` holds a *shared* lock for as long as it runs (`ServerLeases`): a server
  keeps the index fresh (watcher, open buffers). Two servers on one folder both hold it and
  write as before.
- A process that only syncs now and then (`nearcode mcp` before each tool call; the CLI's
  commands when no server answers them) takes the lock *exclusively* around its sync
  (`sync_unless_served`), and skips the sync when a server holds the shared lock: it then only
  reads, what the server keeps up to date. A server starting during such a sync waits for it
  to finish before its first write.

Locks end with their process (even on `kill -9`). Where `fcntl` is missing (Windows) there is
no lock: every process syncs, as before. A shared PostgreSQL index has its own advisory locks
and gets none here (only `nearcode index --store` opens one to write; everyone else reads it
through a local overlay index, which is locked here).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..index.folder import Folder
from ..index.indexer import Progress, Report
from .workspace import Workspace

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

LOCK_SUFFIX = ".lock"
POLL_S = 0.1
Acquired = Literal["acquired", "served", "busy"]


def lock_path(folder: Folder) -> Path | None:
    """The lock file of a folder's local SQLite index, or None (a shared PostgreSQL index)."""
    store = getattr(folder.store, "local", folder.store)  # an overlay's local index
    path = getattr(store, "path", None)
    if not isinstance(path, Path):
        return None
    return path.with_name(path.name + LOCK_SUFFIX)


class IndexLease:
    """The lock on one index file; each instance has its own open file (flock is per open
    file, so two instances conflict even within one process)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._fd

    def _try(self, mode: int) -> bool:
        if fcntl is None:
            return True
        try:
            fcntl.flock(self._open(), mode | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False
        except OSError as exc:  # no lock file can be made here: write unlocked, as on Windows
            log.warning("cannot lock %s (%s)", self.path, exc.strerror or exc)
            return True

    def try_shared(self) -> bool:
        return self._try(fcntl.LOCK_SH if fcntl else 0)

    def try_exclusive(self) -> Acquired:
        """'acquired' (we hold it exclusively), 'served' (a server holds it shared) or 'busy'
        (another process is syncing)."""
        if fcntl is None or self._try(fcntl.LOCK_EX):
            return "acquired"
        if not self._try(fcntl.LOCK_SH):
            return "busy"  # someone holds it exclusively
        # We hold it shared. Upgrading succeeds only when no one else shares it: the exclusive
        # holder seen a moment ago just finished. Otherwise a server shares it.
        if self._try(fcntl.LOCK_EX):
            return "acquired"
        self.release()
        return "served"

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the file drops its lock
            self._fd = None


# ----------------------------------------------------------------------------- servers


@dataclass
class ServerLeases:
    """`nearcode serve`'s shared locks on its folders' indexes, held until `release()`."""

    ws: Workspace
    _held: list[IndexLease] = field(default_factory=list)

    def acquire(self, stop: threading.Event) -> bool:
        """Take every folder's shared lock, waiting while another process syncs one (False
        when `stop` is set first)."""
        for folder in self.ws.folders:
            path = lock_path(folder)
            if path is None or folder.store.read_only:  # a read-only index is never written
                continue
            lease = IndexLease(path)
            told = False
            while not lease.try_shared():
                if not told:
                    log.info("another nearcode process is updating %s; waiting for it",
                             folder.root)
                    told = True
                if stop.wait(POLL_S):
                    lease.release()
                    return False
            self._held.append(lease)
        return True

    def release(self) -> None:
        for lease in self._held:
            lease.release()
        self._held.clear()


# ----------------------------------------------------------------------------- occasional sync


@dataclass
class SyncOutcome:
    """What `sync_unless_served` did, per folder root: 'synced', 'served' (a running server
    keeps it fresh; not touched) or 'busy' (another process was still syncing it)."""

    folders: dict[Path, str] = field(default_factory=dict)
    report: Report = field(default_factory=Report)  # of the folders synced here

    @property
    def served(self) -> bool:
        return any(state == "served" for state in self.folders.values())


def sync_unless_served(ws: Workspace, wait_s: float = 120.0,
                       progress: Callable[[Progress], None] | None = None) -> SyncOutcome:
    """Bring each folder's index up to date unless a server keeps it so; while another process
    syncs a folder, wait up to `wait_s` for it (its sync is ours too), then leave that folder
    as it is."""
    outcome = SyncOutcome()
    with ws.write_lock:
        for folder in ws.folders:
            path = lock_path(folder)
            if path is None:  # a shared index opened to be written (`nearcode index --store`):
                outcome.report.add(folder.indexer.sync(progress))  # its own advisory locks
                outcome.folders[folder.root] = "synced"
                continue
            lease = IndexLease(path)
            deadline = time.monotonic() + wait_s
            state = lease.try_exclusive()
            while state == "busy" and time.monotonic() < deadline:
                time.sleep(POLL_S)
                state = lease.try_exclusive()
            if state != "acquired":
                outcome.folders[folder.root] = state
                continue
            try:
                outcome.report.add(folder.indexer.sync(progress))
                outcome.folders[folder.root] = "synced"
            finally:
                lease.release()
    return outcome


def other_model(ws: Workspace, roots: Collection[Path] | None = None) -> tuple[Path, str] | None:
    """The first folder (of `roots`; default: all) whose index holds vectors of another model
    than the one `ws` loaded, and that model's id; None when they all match. A process reading
    what a server keeps must not answer with another model's vectors."""
    for folder in ws.folders:
        held = folder.store.model_id
        if (roots is None or folder.root in roots) and held is not None \
                and held != ws.embedder.model_id:
            return folder.root, held
    return None


def served(ws: Workspace) -> bool:
    """True when a server holds the shared lock of any of the workspace's local indexes."""
    for folder in ws.folders:
        path = lock_path(folder)
        if path is None:
            continue
        lease = IndexLease(path)
        try:
            if lease.try_exclusive() == "served":
                return True
        finally:
            lease.release()
    return False
