"""nearcode/indexStatus (indexing or idle, with counts) and the nearcode.reindex command."""

from __future__ import annotations

from typing import Any

from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams

from .. import protocol
from ..base import NearcodeServer


def register(server: NearcodeServer) -> None:
    server.feature(protocol.INDEX_STATUS)(index_status)
    server.command(protocol.CMD_REINDEX)(reindex)


def index_status(ls: NearcodeServer, raw: Any) -> dict[str, Any]:
    """nearcode/indexStatus: indexing or idle, with counts. Every indexed file is searchable
    by its words; `chunksEmbedded` of `chunks` are also found by meaning."""
    if ls.service is None:
        state = "indexing" if not ls.ready.is_set() else "idle"
        return {"state": state, "files": 0, "chunks": 0, "chunksEmbedded": 0,
                "pendingFiles": 0, "model": None}
    s = ls.service.status()
    return {"state": s.state, "files": s.files, "chunks": s.chunks,
            "chunksEmbedded": s.chunks_embedded, "pendingFiles": s.pending_files,
            "model": s.model}


def reindex(ls: NearcodeServer, *args: Any) -> dict[str, Any]:
    """Re-scan every folder; `{"rebuild": true}` drops the index and embeds everything again."""
    rebuild = _rebuild_argument(args)
    if ls.service is None:
        raise JsonRpcInternalError("nearcode is not initialized")
    ls.service.schedule_sync(rebuild=rebuild)
    return {"scheduled": True, "rebuild": rebuild}


def _rebuild_argument(args: tuple[Any, ...]) -> bool:
    """The `rebuild` flag of the command's one optional argument; only a real boolean counts
    (the string "false" dropping the index would be a nasty surprise)."""
    if not args or args == (None,):
        return False
    if len(args) > 1 or not isinstance(args[0], dict):
        raise JsonRpcInvalidParams("nearcode.reindex takes one optional argument, an object "
                                   "such as {\"rebuild\": true}")
    rebuild = args[0].get("rebuild", False)
    if not isinstance(rebuild, bool):
        raise JsonRpcInvalidParams(f"'rebuild' must be true or false, not {rebuild!r}")
    return rebuild
