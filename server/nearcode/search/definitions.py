"""From a file's chunks to its definitions: what one search hit stands for.

A long function is cut into several chunks, a long function's inner functions get chunks of
their own, a class is cut into its header and its members, a document into overlapping line
windows. A person wants one hit per thing: the function, the method, the class's own code, the
section of a document. `outline(path, chunks)` groups a file's stored chunks into those
definitions (contiguous runs of chunks of one definition; inner functions belong to the
function around them, methods do not belong to their class) and names every one of them, so
no hit is nameless. Pure: works on chunks read from any store.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..code.roles import HEADER_LINES, definition_role, file_role
from ..code.syntax import DOC_GAP
from ..store.base import StoredChunk
from .copies import definition_start, header_line

# kinds whose inner definitions belong to them (a closure is part of its function; a method
# is not part of its class, a method of a Go type not part of the type)
ABSORBING_KINDS = frozenset({"function", "method", "constructor"})
WINDOW_KINDS = frozenset({"lines"})  # line windows of text without a grammar
NAME_CHARS = 60  # a name made of a file's first statement is cut to this many characters
_CLOSER = re.compile(r"^\s*[})\]]+[;,)]*\s*$|^\s*end\s*$")  # a line that only closes a block
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_NOT_STATEMENT = re.compile(
    r"^\s*(?:$|//|/\*|\*|#(?!\[)|--|\"\"\"|'''|'use strict'|\"use strict\")")


@dataclass(frozen=True)
class Definition:
    """One definition of a file: lines start..end (1-based, inclusive) over its chunks.

    `whole` is False for a section of line windows, whose hits keep the window's own lines
    (a section can run for hundreds of lines)."""

    path: str
    start_line: int
    end_line: int
    name: str
    kind: str
    role: str
    chunk_ids: tuple[int, ...]
    text: str
    whole: bool = True


def outline(path: str, chunks: Sequence[StoredChunk]) -> list[Definition]:
    """The definitions of the file at `path`, given all its stored chunks, in file order."""
    ordered = sorted(chunks, key=lambda c: c.start_line)
    if not ordered:
        return []
    first = ordered[0].text if ordered[0].start_line <= HEADER_LINES else ""
    role = file_role(path, first)
    kinds: dict[str, str] = {}
    for c in ordered:
        if c.symbol:
            kinds.setdefault(c.symbol, c.kind)
    headings = _headings(ordered) if ordered[0].language == "markdown" else []
    runs: list[tuple[object, list[StoredChunk]]] = []
    for c in ordered:
        key = _key(c, kinds, headings)
        if runs and key is not None and runs[-1][0] == key:
            runs[-1][1].append(c)
        else:
            runs.append((key, [c]))
    return [_definition(path, role, first, key, run, kinds) for key, run in runs]


def _key(c: StoredChunk, kinds: dict[str, str], headings: list[tuple[int, str]]) -> object:
    """What makes consecutive chunks one definition; None: the chunk stands alone."""
    if c.kind in WINDOW_KINDS:
        return ("section", _heading_at(headings, c.start_line)) if headings else None
    if not c.symbol:
        return None
    return ("symbol", _root(c.symbol, kinds))


def _root(symbol: str, kinds: dict[str, str]) -> str:
    """The outermost function-like definition `symbol` lies in (itself when none)."""
    parts = symbol.split(".")
    for i in range(1, len(parts)):
        prefix = ".".join(parts[:i])
        if kinds.get(prefix) in ABSORBING_KINDS:
            return prefix
    return symbol


def _definition(path: str, role: str, first: str, key: object, run: list[StoredChunk],
                kinds: dict[str, str]) -> Definition:
    base = PurePosixPath(path).name
    start, end = run[0].start_line, max(c.end_line for c in run)
    text = "\n".join(c.text for c in run)
    ids = tuple(c.id for c in run)
    if isinstance(key, tuple) and key[0] == "symbol":
        root = str(key[1])
        start, end, text = _tighten(run, root)
        return Definition(path, start, end, root, kinds.get(root, run[0].kind),
                          definition_role(path, root, first), ids, text)
    if isinstance(key, tuple) and key[0] == "section":
        name = f"{base} › {key[1]}" if key[1] else f"{base} (top)"
        return Definition(path, start, end, name, "section", role, ids, text, whole=False)
    c = run[0]
    if c.kind in WINDOW_KINDS:
        return Definition(path, start, end, f"{base}:{start}-{end}", c.kind, role, ids, text,
                          whole=False)
    return Definition(path, start, end, f"{base}: {_first_statement(c.text)}", c.kind, role,
                      ids, text)


def _tighten(run: list[StoredChunk], symbol: str) -> tuple[int, int, str]:
    """Lines and text of a definition without what the chunker merged into its chunks from
    around it: code before its header (imports, an `impl X {` line) and closing lines of the
    block around it (a class's `}`, indented less than its header)."""
    start = run[0].start_line
    lines = [""] * (max(c.end_line for c in run) - start + 1)  # blank lines between chunks
    for c in run:
        lines[c.start_line - start : c.end_line - start + 1] = c.text.split("\n")
    head = _doc_above(lines, definition_start(run[0].text, symbol))
    indent = _indent(lines[header_line(run[0].text, symbol)])
    tail = len(lines) - 1
    while tail > head and _CLOSER.match(lines[tail]) and _indent(lines[tail]) < indent:
        tail -= 1
    return start + head, start + tail, "\n".join(lines[head : tail + 1])


def _doc_above(lines: list[str], head: int) -> int:
    """`head` moved up over a doc comment (`/** ... */`, `///`) that ends at most DOC_GAP blank
    lines above it, as the chunker keeps such a comment with its definition."""
    row = head - 1
    while row >= 0 and head - row - 1 < DOC_GAP and not lines[row].strip():
        row -= 1
    if row < 0 or row == head - 1 or not (lines[row].rstrip().endswith("*/")
                                          or lines[row].lstrip().startswith("///")):
        return head
    while row > 0 and lines[row - 1].lstrip().startswith(("/*", "*", "///")):
        row -= 1
    return row if lines[row].lstrip().startswith(("/**", "///")) else head


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _first_statement(text: str) -> str:
    """The first line of code (not a comment, docstring or blank), cut to NAME_CHARS."""
    line = next((ln.strip() for ln in text.split("\n") if not _NOT_STATEMENT.match(ln)), "")
    if not line:
        line = next((ln.strip() for ln in text.split("\n") if ln.strip()), "")
        line = line.lstrip("/*#-\"' ").strip()
    return line if len(line) <= NAME_CHARS else line[: NAME_CHARS - 1] + "…"


def _headings(chunks: Sequence[StoredChunk]) -> list[tuple[int, str]]:
    """(line, heading text) of a markdown file's ATX headings, in order, from its windows."""
    found: dict[int, str] = {}
    for c in chunks:
        fenced = False
        for i, line in enumerate(c.text.split("\n")):
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
            m = None if fenced else _HEADING.match(line)
            if m:
                found.setdefault(c.start_line + i, m.group(1))
    return sorted(found.items())


def _heading_at(headings: list[tuple[int, str]], line: int) -> str | None:
    """The last heading at or above `line` (else the first one, for text before it: None)."""
    last = None
    for at, text in headings:
        if at > line:
            break
        last = text
    return last
