"""How `nearcode search` and `nearcode similar` print their hits, as text or JSON.

One printer for both ways of answering, in this process (search.retrieval.Hit) and through a
running server (app.endpoint.WireHit), so that the output cannot tell them apart. Light on
purpose: json and pathlib only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol


class Shown(Protocol):
    """What printing needs of a hit."""

    @property
    def path(self) -> str: ...
    @property
    def abspath(self) -> Path: ...
    @property
    def start_line(self) -> int: ...
    @property
    def end_line(self) -> int: ...
    @property
    def symbol(self) -> str | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def preview(self) -> str: ...


def hit_json(hit: Shown) -> dict[str, Any]:
    """A hit as JSON: `path` relative to its workspace folder (posix), `abspath` absolute, as
    `duplicates --json` writes its members."""
    return {
        "path": hit.path, "abspath": str(hit.abspath),
        "start_line": hit.start_line, "end_line": hit.end_line,
        "symbol": hit.symbol, "kind": hit.kind, "language": hit.language,
        "score": round(hit.score, 6), "preview": hit.preview,
    }


def print_hits(hits: Sequence[Shown], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"results": [hit_json(h) for h in hits]}, indent=2))
        return
    if not hits:
        print("no results")
        return
    cwd = Path.cwd()
    for h in hits:
        try:
            shown = h.abspath.relative_to(cwd)
        except ValueError:
            shown = h.abspath
        name = f"  {h.symbol}" if h.symbol else ""
        print(f"{shown}:{h.start_line}-{h.end_line}{name}  ({h.kind}, {h.score:.4f})")
        for line in h.preview.splitlines():
            print(f"    {line}")
        print()
