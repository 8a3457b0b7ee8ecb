"""nearcode/findSimilar and the nearcode.findSimilar command: code (the chunk at a position,
a range, or plain text) → similar code elsewhere."""

from __future__ import annotations

from typing import Any

from ...search.similar import similar_at
from .. import protocol
from ..base import NearcodeServer
from ..convert import hit_to_json
from ..params import ParamsError, parse_similar


def register(server: NearcodeServer) -> None:
    server.feature(protocol.FIND_SIMILAR)(on_find_similar)
    server.command(protocol.CMD_FIND_SIMILAR)(cmd_find_similar)


def find_similar(ls: NearcodeServer, raw: Any) -> dict[str, Any]:
    """The answer to the raw params of nearcode/findSimilar (runs on a query thread)."""
    p = parse_similar(raw)
    assert ls.ws is not None
    if p.uri is None:
        assert p.text is not None
        hits = ls.ws.retriever.similar(p.text, p.limit)
        return {"results": [hit_to_json(h) for h in hits]}
    _, _, path = ls.locate(p.uri)
    text = p.text if p.text is not None else ls.document_text(p.uri, path)
    lines = text.split("\n")
    if p.start is not None and p.end is not None:
        if p.start.line >= len(lines):
            raise ParamsError(f"range starts past the end of the document ({len(lines)} lines)")
        last = p.end.line if p.end.character > 0 or p.end.line == p.start.line else p.end.line - 1
        hits = similar_at(ls.ws, path, text, p.start.line + 1, min(last, len(lines) - 1) + 1,
                          p.limit)
    else:
        pos = p.position
        if pos is None or pos.line >= len(lines):
            raise ParamsError(f"position is past the end of the document ({len(lines)} lines)")
        hits = similar_at(ls.ws, path, text, pos.line + 1, pos.line + 1, p.limit,
                          whole_chunk=True)
    return {"results": [hit_to_json(h) for h in hits]}


async def on_find_similar(ls: NearcodeServer, raw: Any) -> dict[str, Any]:
    """nearcode/findSimilar: code (a position, a range, or text) → similar code."""
    return await ls.run(find_similar, ls, raw)


async def cmd_find_similar(ls: NearcodeServer, *args: Any) -> dict[str, Any]:
    """The findSimilar request as a command: argument {textDocument, position|range|text}."""
    return await ls.run(find_similar, ls, args[0] if args else None)
