"""nearcode/indexStatus (indexing or idle, with counts) and the nearcode.reindex command."""

from __future__ import annotations

from typing import Any

from pygls.exceptions import JsonRpcInternalError

from .. import protocol
from ..base import NearcodeServer


def register(server: NearcodeServer) -> None:
    server.feature(protocol.INDEX_STATUS)(index_status)
    server.command(protocol.CMD_REINDEX)(reindex)


def index_status(ls: NearcodeServer, raw: Any) -> dict[str, Any]:
    """nearcode/indexStatus: indexing or idle, with counts."""
    if ls.service is None:
        state = "indexing" if not ls.ready.is_set() else "idle"
        return {"state": state, "files": 0, "chunks": 0, "pendingFiles": 0, "model": None}
    s = ls.service.status()
    return {"state": s.state, "files": s.files, "chunks": s.chunks,
            "pendingFiles": s.pending_files, "model": s.model}


def reindex(ls: NearcodeServer, *args: Any) -> dict[str, Any]:
    """Re-scan every folder; `{"rebuild": true}` drops the index and embeds everything again."""
    if ls.service is None:
        raise JsonRpcInternalError("nearcode is not initialized")
    rebuild = bool(args and isinstance(args[0], dict) and args[0].get("rebuild"))
    ls.service.schedule_sync(rebuild=rebuild)
    return {"scheduled": True, "rebuild": rebuild}
