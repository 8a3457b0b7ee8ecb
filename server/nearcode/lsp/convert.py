"""Between nearcode and LSP shapes: hits as the `Hit` JSON of nearcode's requests and as
SymbolInformation, and characters of a line as the client counts them.

LSP lines are 0-based and a range's end is exclusive: a chunk on 1-based lines 10–20 becomes
start {line: 9, character: 0}, end {line: 20, character: 0}. An LSP character counts code units
of the position encoding negotiated at initialize (UTF-16 unless the client chose otherwise):
an emoji is one Python character but two UTF-16 code units, so a character is converted with
pygls' position codec before it indexes a Python string, and back.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types as t
from pygls.workspace import PositionCodec

from ..search.retrieval import Hit

SYMBOL_KINDS = {
    "function": t.SymbolKind.Function, "method": t.SymbolKind.Method,
    "class": t.SymbolKind.Class, "interface": t.SymbolKind.Interface,
    "enum": t.SymbolKind.Enum, "struct": t.SymbolKind.Struct,
    "type": t.SymbolKind.TypeParameter, "variable": t.SymbolKind.Variable,
    "module": t.SymbolKind.Module, "constant": t.SymbolKind.Constant,
    "property": t.SymbolKind.Property, "constructor": t.SymbolKind.Constructor,
    "macro": t.SymbolKind.Function,
}


def uri_of(hit: Hit) -> str:
    return hit.abspath.as_uri()


def lsp_range(hit: Hit) -> t.Range:
    return t.Range(t.Position(hit.start_line - 1, 0), t.Position(hit.end_line, 0))


def hit_to_json(hit: Hit, with_text: bool = False) -> dict[str, Any]:
    """The `Hit` of the request contract (README): uri, range, score, symbol, kind, language,
    preview, and with `with_text` the chunk's whole text."""
    out: dict[str, Any] = {
        "uri": uri_of(hit),
        "range": {"start": {"line": hit.start_line - 1, "character": 0},
                  "end": {"line": hit.end_line, "character": 0}},
        "score": round(hit.score, 6),
        "language": hit.language,
        "preview": hit.preview,
        "kind": hit.kind,
    }
    if hit.symbol:
        out["symbol"] = hit.symbol
    if with_text:
        out["text"] = hit.text
    return out


def hit_to_symbol(hit: Hit) -> t.SymbolInformation:
    """A hit as a workspace symbol: named after its symbol (or its first line)."""
    name = hit.symbol or (hit.preview.splitlines() or [hit.path])[0].strip()
    return t.SymbolInformation(
        name=name,
        kind=SYMBOL_KINDS.get(hit.kind, t.SymbolKind.File),
        location=t.Location(uri_of(hit), lsp_range(hit)),
        container_name=hit.path,
    )


def string_index(codec: PositionCodec, line: str, character: int) -> int:
    """The index into `line` of LSP `character` (code units of the codec's encoding); past the
    end of the line, its end."""
    if character >= codec.client_num_units(line):
        return len(line)
    return int(codec.position_from_client_units([line], t.Position(0, character)).character)


def client_character(codec: PositionCodec, line: str, index: int) -> int:
    """The LSP character of index `index` of `line` (code units of the codec's encoding)."""
    return int(codec.client_num_units(line[:index]))
