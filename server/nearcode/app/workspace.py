"""A workspace: its folders, each with a store and an indexer, and one embedder and retriever.

The CLI and the server both start here, so that both index and answer the same way.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from ..config import Settings, db_path_for
from ..embed.base import Embedder
from ..embed.registry import load_embedder, resolve
from ..index.folder import Folder, WorkspaceError, check_root
from ..index.indexer import Indexer, ProgressFn, Report
from ..search.retrieval import Retriever, Source
from ..store.base import StoreError
from ..store.factory import open_store
from ..store.sqlite import Store

log = logging.getLogger(__name__)


class Workspace:
    """Folders + embedder + retriever. `close()` when done."""

    def __init__(self, roots: Sequence[Path], settings: Settings,
                 embedder: Embedder | None = None, write_shared: bool = False) -> None:
        if not roots:
            raise WorkspaceError("no workspace folder given")
        self.settings = settings
        unique = list(dict.fromkeys(check_root(Path(r)) for r in roots))
        self.root = unique[0]  # its model choice (`nearcode models use`) is the workspace's
        self._model_folder = self._resolved_folder() if embedder is None else None
        self.embedder = (embedder if embedder is not None
                         else load_embedder(settings, self.root))
        self.folders: list[Folder] = []
        for root in unique:
            inner = [r for r in unique if root in r.parents]  # indexed by their own folder
            db = db_path_for(root, settings, len(roots))
            store = open_store(root, db, settings, write_shared)
            self.folders.append(Folder(root, store, Indexer(root, store, self.embedder, settings,
                                                               inner)))
        self.retriever = Retriever(
            [Source(f.root, f.store) for f in self.folders], self.embedder, settings)
        self.write_lock = threading.Lock()  # one writer at a time across folders
        self._warming: threading.Thread | None = None

    def _resolved_folder(self) -> Path | None:
        if self.settings.model == "fake":
            return None
        return resolve(self.settings.model, self.root).folder

    def model_is_current(self) -> bool:
        """False when the settings name another model now than the one loaded (a model was
        trained and activated for this workspace, or `nearcode models use` ran, since start)."""
        return self._model_folder is None or self._resolved_folder() == self._model_folder

    def reload_model_if_changed(self) -> bool:
        """Switch to the model the settings name now, if that changed since start. The next
        sync re-embeds."""
        if self.model_is_current():
            return False
        self._model_folder = self._resolved_folder()
        self.embedder = load_embedder(self.settings, self.root)
        self.retriever.embedder = self.embedder
        for folder in self.folders:
            folder.indexer.embedder = self.embedder
        log.info("now using model %s", self.embedder.model_id)
        return True

    def ask_once(self) -> None:
        """This process asks one question, then exits (`nearcode search` or `similar` without a
        server): the coarse vector search runs in the index (vec0) instead of first loading
        every chunk's sign bits and vectors into memory, which pays off only over many
        questions (the first question at 7k chunks: ~9 ms instead of ~45). Call it before the
        sync: the model opens on a thread beside it (ONNX Runtime builds its session, ~85 ms,
        without holding the GIL); the first embedding waits for it, or opens it and says why
        it could not be opened."""
        for folder in self.folders:
            if isinstance(folder.store, Store):
                folder.store.memory_bits = False
        load = getattr(self.embedder, "load", None)
        if load is None or self._warming is not None:
            return

        def open_model() -> None:
            try:
                load()
            except Exception as exc:  # the first embedding tries again, on the caller's thread
                log.debug("model not opened ahead: %s", exc)

        self._warming = threading.Thread(target=open_model, name="nearcode-model", daemon=True)
        self._warming.start()

    def warm_in_background(self) -> None:
        """Load each index's sign bits and vectors into memory on a thread of their own (a
        server at start): the first question would otherwise pay the load, ~1 s at 100k
        chunks; one asked meanwhile goes to vec0. `close()` waits for it."""
        if self._warming is not None:
            return
        stores = [f.store for f in self.folders if isinstance(f.store, Store)]
        for store in stores:  # a question before the thread gets going does not load them too
            store.sign_bits.announced.set()

        def warm() -> None:
            for store in stores:  # each one's warm() ends its announcement, come what may
                try:
                    store.warm()
                except StoreError as exc:  # the answers will load them, or say why
                    log.debug("sign bits not loaded ahead: %s", exc)
                except Exception:  # a background thread: keep serving, say what went wrong
                    log.exception("sign bits not loaded ahead")

        self._warming = threading.Thread(target=warm, name="nearcode-warm", daemon=True)
        self._warming.start()

    def sync(self, progress: ProgressFn | None = None,
             cancel: threading.Event | None = None) -> Report:
        """Bring every folder's index up to date."""
        total = Report()
        with self.write_lock:
            for folder in self.folders:
                total.add(folder.indexer.sync(progress, cancel))
        return total

    def folder_for(self, path: Path) -> tuple[Folder, str] | None:
        """The (innermost) folder holding `path`, and the path relative to it."""
        best: tuple[Folder, str] | None = None
        for folder in self.folders:
            rel = folder.relative(path)
            deeper = best is None or len(folder.root.parts) > len(best[0].root.parts)
            if rel is not None and deeper:
                best = (folder, rel)
        return best

    def counts(self) -> tuple[int, int]:
        files = chunks = 0
        for folder in self.folders:
            f, c = folder.store.counts()
            files, chunks = files + f, chunks + c
        return files, chunks

    def unembedded(self) -> int:
        """Chunks without a vector yet (found by their words until they have one)."""
        return sum(folder.store.unembedded_count() for folder in self.folders)

    def close(self) -> None:
        if self._warming is not None:  # its reads end before the connections close
            self._warming.join()
        for folder in self.folders:
            folder.store.close()
