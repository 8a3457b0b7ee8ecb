"""nearcode/completionContext: snippets from other files that a completion at the cursor needs."""

from __future__ import annotations

from typing import Any

from ...search.completion import completion_context
from .. import protocol
from ..base import NearcodeServer
from ..convert import hit_to_json, string_index
from ..params import ParamsError, parse_context


def register(server: NearcodeServer) -> None:
    server.feature(protocol.COMPLETION_CONTEXT)(on_completion_context)


def context_at(ls: NearcodeServer, raw: Any) -> dict[str, Any]:
    """The answer to the raw params of nearcode/completionContext (runs on a query thread)."""
    p = parse_context(raw)
    assert ls.ws is not None
    folder, rel, path = ls.locate(p.uri)
    text = ls.document_text(p.uri, path)
    lines = text.split("\n")
    if p.position.line >= len(lines):
        raise ParamsError(f"position is past the end of the document ({len(lines)} lines)")
    character = string_index(ls.workspace.position_codec, lines[p.position.line],
                             p.position.character)
    hits = completion_context(ls.ws, folder, rel, text, p.position.line, character, p.limit,
                              p.max_chars)
    return {"snippets": [hit_to_json(h, with_text=True) for h in hits]}


async def on_completion_context(ls: NearcodeServer, raw: Any) -> dict[str, Any]:
    """nearcode/completionContext: snippets from other files for a completion at the cursor."""
    return await ls.run(context_at, ls, raw)
