"""File-system events → debounced sets of changed paths, the same change sets a scan finds.

watchdog reports every write; an editor's save or a branch switch can fire hundreds. Events are
collected per path and handed on once the path has been quiet for `QUIET` seconds (or waited
`MAX_WAIT`), all paths of one folder together. Changes to ignore files, and folder moves or
deletions, ask for a full sync instead (it re-stats everything but embeds only what changed).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from ..index.folder import Folder
from ..index.scan import IGNORE_FILES

log = logging.getLogger(__name__)

QUIET = 0.2
MAX_WAIT = 1.0

OnPaths = Callable[[Folder, set[str]], None]
OnSync = Callable[[Folder], None]


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher, folder: Folder) -> None:
        self.watcher = watcher
        self.folder = folder

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                path = raw.decode() if isinstance(raw, bytes) else raw
                self.watcher.note(self.folder, Path(path), event.is_directory, event.event_type)


class Watcher:
    """Watches folders and reports quiet, coalesced changes through the two callbacks."""

    def __init__(self, folders: list[Folder], on_paths: OnPaths, on_sync: OnSync) -> None:
        self.folders = folders
        self.on_paths = on_paths
        self.on_sync = on_sync
        self._observer = Observer()
        self._lock = threading.Lock()
        self._pending: dict[int, dict[str, float]] = {}  # folder index -> rel path -> last event
        self._first: dict[int, float] = {}
        self._needs_sync: set[int] = set()
        self._handing_on = False  # quiet changes taken from _pending, not yet scheduled
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._flush_loop, name="nearcode-watch",
                                        daemon=True)

    def start(self) -> None:
        for folder in self.folders:
            self._observer.schedule(_Handler(self, folder), str(folder.root), recursive=True)
        self._observer.start()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._observer.stop()
        self._observer.join(timeout=5)
        self._thread.join(timeout=5)

    def settled(self) -> bool:
        """True when every change seen so far has been handed on (none waits for quiet)."""
        with self._lock:
            return not self._first and not self._handing_on

    def note(self, folder: Folder, path: Path, is_dir: bool, kind: str) -> None:
        """Record one event (called on watchdog's thread)."""
        rel = folder.relative(path) if not path.is_symlink() else _lexical_rel(folder, path)
        if rel is None or rel == ".":
            return
        parts = rel.split("/")
        flt = folder.indexer.filter
        if any(flt.ignored("/".join(parts[:i]), is_dir=True) for i in range(1, len(parts))):
            return  # inside an ignored folder (.git, node_modules...): not ours
        i = self.folders.index(folder)
        now = time.monotonic()
        with self._lock:
            if parts[-1] in IGNORE_FILES or (is_dir and kind in ("deleted", "moved")):
                flt.reset()
                self._needs_sync.add(i)
            elif is_dir and kind == "created":
                self._needs_sync.add(i)  # a folder appeared (copied, checked out): walk it
            elif not is_dir:
                self._pending.setdefault(i, {})[rel] = now
            self._first.setdefault(i, now)

    def _flush_loop(self) -> None:
        while not self._stop.wait(QUIET / 2):
            now = time.monotonic()
            ready_paths: list[tuple[int, set[str]]] = []
            ready_sync: list[int] = []
            with self._lock:
                for i in list(self._first):
                    pending = self._pending.get(i, {})
                    last = max(pending.values(), default=self._first[i])
                    if now - last < QUIET and now - self._first[i] < MAX_WAIT:
                        continue
                    if i in self._needs_sync:
                        ready_sync.append(i)
                    elif pending:
                        ready_paths.append((i, set(pending)))
                    self._pending.pop(i, None)
                    self._needs_sync.discard(i)
                    del self._first[i]
                self._handing_on = bool(ready_sync or ready_paths)
            try:
                for i in ready_sync:
                    self.on_sync(self.folders[i])
                for i, rels in ready_paths:
                    self.on_paths(self.folders[i], rels)
            finally:
                with self._lock:
                    self._handing_on = False


def _lexical_rel(folder: Folder, path: Path) -> str | None:
    """Relative path without resolving symlinks (a link's own path, not its target's)."""
    try:
        return path.absolute().relative_to(folder.root).as_posix()
    except ValueError:
        return None
