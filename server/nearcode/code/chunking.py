"""Cut a file's text into chunks worth embedding: functions, methods, classes, or line windows.

Pure: `chunk_text(text, language, path)` reads nothing and writes nothing. For languages with a
grammar the chunks follow the syntax tree: one chunk per definition (its leading comments and
decorators included), a class split into its header and its members when it has several, code
between definitions kept as chunks of its own, tiny leftovers merged into a neighbour and anything
oversized split on line boundaries. Invariants the tests check: chunks are sorted, do not overlap,
start and end on non-blank lines, and every non-blank line of the file lies in exactly one chunk.
Other text gets overlapping line windows that together cover every non-blank line.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from .languages import BY_NAME, LanguageSpec
from .syntax import Item, items, parser

log = logging.getLogger(__name__)

# Bump when chunk boundaries or embedded texts change: indexes made by another version are
# chunked again on their next sync.
CHUNKER_VERSION = "5"
MAX_LINES = 60  # a chunk longer than this is split on line boundaries
MAX_CHARS = 2400  # ... and so is one with more characters than this
MIN_CHARS = 80  # code between definitions with fewer non-blank characters joins a neighbour
WINDOW_LINES = 40  # line windows for text without a grammar
WINDOW_OVERLAP = 10
NESTED_SPLIT_LINES = 30  # a function longer than this chunks its inner functions apart...
NESTED_MIN_LINES = 4  # ... those of at least this many lines


@dataclass(frozen=True)
class Chunk:
    """A span of one file, with what it is and the text to embed for it.

    Lines are 1-based and inclusive. `hash` is the sha256 of `embed_text`, the text the model
    sees (header + code); it keys the embedding cache, so the header holds no path: a renamed
    file's chunks keep their vectors.
    """

    path: str
    language: str
    start_line: int
    end_line: int
    text: str
    symbol: str | None = None
    kind: str = "code"
    hash: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.hash:
            digest = hashlib.sha256(self.embed_text.encode("utf-8", "surrogatepass")).hexdigest()
            object.__setattr__(self, "hash", digest)

    @property
    def header(self) -> str:
        """One line naming the chunk, prepended to its code for the model."""
        return " ".join(p for p in (self.language, self.kind, self.symbol) if p)

    @property
    def embed_text(self) -> str:
        return f"{self.header}\n{self.text}"


# ----------------------------------------------------------------------------- entry point


def chunk_text(text: str, language: str, path: str) -> list[Chunk]:
    """Chunks of `text` (a file of `language` at workspace-relative `path`), in file order."""
    lines = text.split("\n")
    spec = BY_NAME.get(language)
    spans: list[_Span] | None = None
    if spec is not None and spec.grammar:
        try:
            spans = _tree_spans(text, lines, spec)
        except Exception:  # a grammar failure must not lose the file: fall back to windows
            log.warning("tree-sitter failed on %s; using line windows", path, exc_info=True)
    if spans is None:
        spans = list(_windows(lines, 0, len(lines) - 1, None, "lines"))
    else:
        spans = [piece for span in spans for piece in _split_oversized(span, lines)]
    return [
        Chunk(
            path=path,
            language=language,
            start_line=s.start + 1,
            end_line=s.end + 1,
            text="\n".join(lines[s.start : s.end + 1]),
            symbol=s.symbol,
            kind=s.kind,
        )
        for s in spans
    ]


# ----------------------------------------------------------------------------- spans


@dataclass
class _Span:
    """Rows [start, end], 0-based inclusive. `item` is False for code between definitions."""

    start: int
    end: int
    symbol: str | None
    kind: str
    item: bool = True


def _tree_spans(text: str, lines: list[str], spec: LanguageSpec) -> list[_Span]:
    assert spec.grammar is not None
    tree = parser(spec.grammar).parse(text.encode("utf-8", "surrogatepass"))
    return _level(tree.root_node, 0, len(lines) - 1, lines, spec, None, "code")


def _level(
    node: Any, lo: int, hi: int, lines: list[str], spec: LanguageSpec,
    owner: str | None, gap_kind: str, inner_only: bool = False,
) -> list[_Span]:
    """Spans covering rows [lo, hi] of `node`: its definitions (with `inner_only`, only those
    that `_inner_function` accepts) plus the code between them."""
    raw: list[_Span] = []
    cursor = lo
    for it in items(node, spec, 0):
        if inner_only and not _inner_function(it):
            continue
        start = max(it.start, cursor)
        if start > it.end or it.end > hi:
            continue
        if start > cursor:
            raw.append(_Span(cursor, start - 1, owner, gap_kind, item=False))
        in_class = gap_kind not in ("code", "module", "function", "method")
        raw.extend(_expand(it, start, lines, spec, owner, in_class))
        cursor = it.end + 1
    if cursor <= hi:
        raw.append(_Span(cursor, hi, owner, gap_kind, item=False))
    return _merge_tiny([s for s in (_trim(s, lines) for s in raw) if s is not None], lines)


def _expand(
    it: Item, start: int, lines: list[str], spec: LanguageSpec, owner: str | None,
    in_class: bool,
) -> list[_Span]:
    qual = ".".join(p for p in (owner, it.name) if p) or None
    # a function in a class is a method; one in a namespace or module stays a function
    kind = "method" if it.role == "function" and it.kind == "function" and in_class else it.kind
    if it.role == "namespace":
        return _level(it.node, start, it.end, lines, spec, qual, "module")
    if it.role == "class":
        members = items(it.node, spec, 0)
        big = it.end - start + 1 > MAX_LINES or _chars(lines, start, it.end) > MAX_CHARS
        if len(members) >= 2 or (big and members):
            return _level(it.node, start, it.end, lines, spec, qual, it.kind)
    elif it.end - start + 1 > NESTED_SPLIT_LINES and any(
            _inner_function(inner) for inner in items(it.node, spec, 0)):
        # a long function with real functions inside (closures, decorators' wrappers): those
        # get chunks of their own, and the first chunk is named after the function around
        # them (its signature is in it), which is how search/definitions.py groups them back
        spans = _level(it.node, start, it.end, lines, spec, qual, kind, inner_only=True)
        if spans and spans[0].symbol != qual:
            spans[0] = replace(spans[0], symbol=qual, kind=kind)
        return spans
    return [_Span(start, it.end, qual, kind)]


def _inner_function(it: Item) -> bool:
    """A definition inside a function worth its own chunk: a declared function of a few lines,
    not a lambda or callback stored in a variable (`const total = useMemo(() => ...)`)."""
    return (it.role == "function" and it.end - it.start + 1 >= NESTED_MIN_LINES
            and it.node.type not in ("lexical_declaration", "variable_declaration",
                                      "expression_statement"))


# ----------------------------------------------------------------------------- line helpers


def _blank(line: str) -> bool:
    return not line.strip()


def _chars(lines: list[str], start: int, end: int) -> int:
    return sum(len(line) + 1 for line in lines[start : end + 1])


def _dense_chars(lines: list[str], start: int, end: int) -> int:
    return sum(len("".join(line.split())) for line in lines[start : end + 1])


def _trim(span: _Span, lines: list[str]) -> _Span | None:
    start, end = span.start, span.end
    while start <= end and _blank(lines[start]):
        start += 1
    while end >= start and _blank(lines[end]):
        end -= 1
    return replace(span, start=start, end=end) if start <= end else None


def _merge_tiny(spans: list[_Span], lines: list[str]) -> list[_Span]:
    """Fold code-between-definitions too small to mean anything alone into a neighbour."""
    out: list[_Span] = []
    carry: int | None = None  # start row of a tiny span waiting for the next one
    for span in spans:
        if carry is not None:
            span = replace(span, start=carry)
            carry = None
        tiny = not span.item and _dense_chars(lines, span.start, span.end) < MIN_CHARS
        if tiny and out:
            out[-1] = replace(out[-1], end=span.end)
        elif tiny:
            carry = span.start
        else:
            out.append(span)
    if carry is not None:  # the whole level was tiny: keep it rather than lose lines
        out.append(_Span(carry, spans[-1].end, spans[-1].symbol, spans[-1].kind, item=False))
    return out


def _split_oversized(span: _Span, lines: list[str]) -> Iterator[_Span]:
    """Pieces of about equal size, at most MAX_LINES lines and MAX_CHARS characters each, cut
    at a blank line where one is near the cut, each trimmed of blank edges."""
    total_lines = span.end - span.start + 1
    total_chars = _chars(lines, span.start, span.end)
    pieces = max(-(-total_lines // MAX_LINES), -(-total_chars // MAX_CHARS))
    if pieces <= 1:
        yield span
        return
    target_lines = -(-total_lines // pieces)
    target_chars = -(-total_chars // pieces)
    start = span.start
    while start <= span.end:
        end, size = start, len(lines[start]) + 1
        while end < span.end and end - start + 1 < target_lines:
            nxt = len(lines[end + 1]) + 1
            if size + nxt > min(MAX_CHARS, target_chars * 5 // 4):
                break
            end, size = end + 1, size + nxt
        if end < span.end:
            for cut in range(end, start + (end - start) * 2 // 3, -1):
                if _blank(lines[cut]):
                    end = cut
                    break
        if span.end - end <= 2 and (  # do not leave a sliver behind, if the piece still fits
                span.end - start + 1 <= MAX_LINES
                and _chars(lines, start, span.end) <= MAX_CHARS):
            end = span.end
        piece = _trim(replace(span, start=start, end=end), lines)
        if piece is not None:
            yield piece
        start = end + 1


def _windows(lines: list[str], lo: int, hi: int, symbol: str | None, kind: str) -> Iterator[_Span]:
    """Overlapping windows of WINDOW_LINES lines (fewer where lines are long) over [lo, hi]."""
    start = lo
    while start <= hi:
        while start <= hi and _blank(lines[start]):
            start += 1
        if start > hi:
            return
        end, size = start, len(lines[start]) + 1
        while (end < hi and end - start + 1 < WINDOW_LINES
               and size + len(lines[end + 1]) < MAX_CHARS):
            end += 1
            size += len(lines[end]) + 1
        piece = _trim(_Span(start, end, symbol, kind, item=False), lines)
        if piece is not None:
            yield piece
        if end >= hi:
            return
        start = max(start + 1, end + 1 - WINDOW_OVERLAP)
