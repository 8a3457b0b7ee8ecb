"""initialize, initialized and shutdown: settings and roots first, then the workspace opens and
indexing starts in the background; at shutdown every write in flight completes."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types as t
from pygls.uris import to_fs_path

from ... import config
from ...app.endpoint_server import EndpointServer
from ...app.watch import Watcher
from ...app.worker import IndexService
from ...app.workspace import Workspace
from ...errors import NearcodeError
from ...store import indexfile
from ...store.base import StoreError
from .. import protocol
from ..base import NearcodeServer
from ..progress import LspLogHandler, LspSink

log = logging.getLogger(__name__)


def register(server: NearcodeServer) -> None:
    server.feature(t.INITIALIZE)(on_initialize)
    server.feature(t.INITIALIZED)(on_initialized)
    server.feature(t.SHUTDOWN)(on_shutdown)


def roots_of(params: t.InitializeParams) -> list[Path]:
    """The workspace folders of an initialize request (else its root URI or root path)."""
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


def on_initialize(ls: NearcodeServer, params: t.InitializeParams) -> None:
    """Read roots and settings; the model and the index start after `initialized`."""
    ls.roots = [r for r in roots_of(params) if r.is_dir()]
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
        ls.ws = open_workspace(ls.roots, ls.settings)
    except Exception as exc:  # a bad folder, an unusable index or model, a bug: say so, answer
        if not isinstance(exc, NearcodeError):
            log.exception("cannot open the workspace")
        ls.failure = f"nearcode cannot open the workspace: {exc}"
        ls.message(t.MessageType.Error, ls.failure)
        ls.ready.set()
        return
    for folder in ls.ws.folders:
        if folder.store.read_only:
            ls.message(t.MessageType.Warning, f"nearcode: {folder.store.path} cannot be written "
                       "(a read-only folder): searching it as it is, without updating it")
    service = ls.service = IndexService(ls.ws, LspSink(ls))
    service.start()
    if ls.settings.watch:
        ls.watcher = Watcher(ls.ws.folders, service.schedule_paths,
                             lambda f: service.schedule_sync(f))
        try:
            ls.watcher.start()
        except OSError as exc:  # e.g. inotify limits: editor events still keep the index fresh
            log.warning("cannot watch the workspace (%s); relying on editor events", exc)
            ls.watcher = None
    if ls.watcher is not None:  # unwatched, the index may lag behind the disk the CLI reads
        ls.endpoint = EndpointServer(ls.ws, service, ls.watcher)
        ls.endpoint.start()
    ls.ready.set()


def open_workspace(roots: list[Path], settings: config.Settings) -> Workspace:
    """The workspace; an index file of nearcode's that cannot be opened or has corrupt pages is
    set aside and rebuilt (it holds nothing that indexing cannot recreate)."""
    for root in roots:
        indexfile.set_aside_if_damaged(config.db_path_for(root, settings, len(roots)))
    try:
        return Workspace(roots, settings)
    except StoreError as exc:
        moved = [indexfile.set_aside(config.db_path_for(root, settings, len(roots)))
                 for root in roots]
        if not any(moved):
            raise  # not an index of nearcode's own: left alone, the error says so
        log.warning("%s; starting a fresh index", exc)
        return Workspace(roots, settings)


def on_shutdown(ls: NearcodeServer, params: Any) -> None:
    """Stop answering the CLI, watching and indexing; every file write in flight completes
    first."""
    if ls.endpoint is not None:
        ls.endpoint.stop()
    if ls.watcher is not None:
        ls.watcher.stop()
    if ls.service is not None:
        ls.service.stop()
    if ls.ws is not None:
        ls.ws.close()
    ls.queries.shutdown(wait=False, cancel_futures=True)
