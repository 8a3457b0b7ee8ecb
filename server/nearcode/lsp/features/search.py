"""nearcode/search (natural language or an identifier → code), the same as the nearcode.search
command, and workspace/symbol answered by the same search for every editor's symbol UI."""

from __future__ import annotations

from typing import Any

from lsprotocol import types as t

from ...code.languages import check_language
from ...search.retrieval import Hit
from .. import protocol
from ..base import NearcodeServer
from ..convert import hit_to_json, hit_to_symbol
from ..params import parse_search


def register(server: NearcodeServer) -> None:
    server.feature(protocol.SEARCH)(on_search)
    server.feature(t.WORKSPACE_SYMBOL)(on_workspace_symbol)
    server.command(protocol.CMD_SEARCH)(cmd_search)


def search(ls: NearcodeServer, raw: Any) -> list[Hit]:
    """The hits for the raw params of nearcode/search (runs on a query thread)."""
    p = parse_search(raw)
    languages = [check_language(lang) for lang in p.languages]  # UnknownLanguageError: -32602
    assert ls.ws is not None
    return ls.ws.retriever.search(p.query, p.limit, languages, p.paths, p.chunks)


async def on_search(ls: NearcodeServer, raw: Any) -> dict[str, Any]:
    """nearcode/search: natural language (or identifier) → code."""
    return {"results": [hit_to_json(h) for h in await ls.run(search, ls, raw)]}


async def on_workspace_symbol(ls: NearcodeServer, params: t.WorkspaceSymbolParams
                              ) -> list[t.SymbolInformation]:
    """workspace/symbol: semantic search results as symbols."""
    if not params.query.strip():
        return []
    hits = await ls.run(search, ls, {"query": params.query, "limit": 20})
    return [hit_to_symbol(h) for h in hits]


async def cmd_search(ls: NearcodeServer, *args: Any) -> dict[str, Any]:
    """The search request as a command: argument {query, ...} or a query string."""
    raw = args[0] if args else None
    hits = await ls.run(search, ls, {"query": raw} if isinstance(raw, str) else raw)
    return {"results": [hit_to_json(h) for h in hits]}
