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
from functools import cached_property
from pathlib import PurePosixPath

from ..code.bodies import CLOSER, body_lines
from ..code.roles import HEADER_LINES, definition_role, file_role
from ..code.syntax import DOC_GAP
from ..store.base import StoredChunk
from .copies import definition_start, header_line

CALLABLE_KINDS = frozenset({"function", "method", "constructor"})
# kinds whose inner definitions belong to them (a closure is part of its function; a method
# is not part of its class, a method of a Go type not part of the type)
ABSORBING_KINDS = CALLABLE_KINDS
WINDOW_KINDS = frozenset({"lines"})  # line windows of text without a grammar
NAME_CHARS = 60  # a name made of a file's first statement is cut to this many characters
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_NOT_STATEMENT = re.compile(
    r"^\s*(?:$|//|/\*|\*|#(?!\[)|--|\"\"\"|'''|'use strict'|\"use strict\")")


class Definition:
    """One definition of a file, over a run of its chunks (in file order).

    Grouping is cheap; what reads the chunks' text (the lines without what was merged in, the
    name of nameless code) is worked out on first use, for the few definitions shown. `whole`
    is False for line windows, whose hits keep the window's own lines (a document's section
    can run for hundreds of lines)."""

    def __init__(self, path: str, key: object, chunks: list[StoredChunk], kind: str,
                 role: str) -> None:
        self.path = path
        self.key = key
        self.chunks = chunks
        self.kind = kind
        self.role = role
        self.whole = chunks[0].kind not in WINDOW_KINDS
        self.chunk_ids = tuple(c.id for c in chunks)

    @cached_property
    def _span(self) -> tuple[int, int, str]:
        if isinstance(self.key, tuple) and self.key[0] == "symbol":
            return _tighten(self.chunks, str(self.key[1]))
        return (self.chunks[0].start_line, max(c.end_line for c in self.chunks),
                "\n".join(c.text for c in self.chunks))

    @property
    def start_line(self) -> int:
        return self._span[0]

    @property
    def end_line(self) -> int:
        return self._span[1]

    @property
    def text(self) -> str:
        return self._span[2]

    @cached_property
    def body(self) -> int | None:
        """Lines of code in a function's or method's body (code/bodies.py); None otherwise."""
        return body_lines(self.text) if self.kind in CALLABLE_KINDS else None

    @cached_property
    def name(self) -> str:
        base = PurePosixPath(self.path).name
        if isinstance(self.key, tuple) and self.key[0] == "symbol":
            return str(self.key[1])
        if isinstance(self.key, tuple) and self.key[0] == "section":
            return f"{base} › {self.key[1]}" if self.key[1] else f"{base} (top)"
        c = self.chunks[0]
        if c.kind in WINDOW_KINDS:
            return f"{base}:{c.start_line}-{c.end_line}"
        return f"{base}: {_first_statement(c.text)}"


class Outline:
    """A file's chunks, grouped into definitions on demand: `at(chunk_id)` finds the run of
    chunks of one definition around a chunk without grouping the whole file."""

    def __init__(self, path: str, chunks: Sequence[StoredChunk]) -> None:
        self.path = path
        self.ordered = sorted(chunks, key=lambda c: c.start_line)
        self.index = {c.id: i for i, c in enumerate(self.ordered)}
        first = self.ordered[0] if self.ordered else None
        self.role = file_role(path, first.text if first and first.start_line <= HEADER_LINES
                              else "")
        self.kinds: dict[str, str] = {}
        for c in self.ordered:
            if c.symbol:
                self.kinds.setdefault(c.symbol, c.kind)
        self.headings = (_headings(self.ordered)
                         if first is not None and first.language == "markdown" else [])
        self._keys: dict[int, object] = {}
        self._found: dict[int, Definition] = {}

    def key(self, i: int) -> object:
        if i not in self._keys:
            self._keys[i] = _key(self.ordered[i], self.kinds, self.headings)
        return self._keys[i]

    def at(self, chunk_id: int) -> Definition | None:
        """The definition that holds the chunk (None: not a chunk of this file)."""
        i = self.index.get(chunk_id)
        if i is None:
            return None
        if chunk_id not in self._found:
            key = self.key(i)
            lo = hi = i
            if key is not None:
                while lo > 0 and self.key(lo - 1) == key:
                    lo -= 1
                while hi + 1 < len(self.ordered) and self.key(hi + 1) == key:
                    hi += 1
            d = self._make(key, self.ordered[lo : hi + 1])
            for c in d.chunks:
                self._found[c.id] = d
        return self._found[chunk_id]

    def all(self) -> list[Definition]:
        """Every definition of the file, in file order."""
        out: list[Definition] = []
        for c in self.ordered:
            d = self.at(c.id)
            if d is not None and (not out or out[-1] is not d):
                out.append(d)
        return out

    def _make(self, key: object, run: list[StoredChunk]) -> Definition:
        if isinstance(key, tuple) and key[0] == "symbol":
            root = str(key[1])
            return Definition(self.path, key, run, self.kinds.get(root, run[0].kind),
                              definition_role(self.role, root))
        if isinstance(key, tuple):
            return Definition(self.path, key, run, "section", self.role)
        return Definition(self.path, key, run, run[0].kind, self.role)


def outline(path: str, chunks: Sequence[StoredChunk]) -> list[Definition]:
    """The definitions of the file at `path`, given all its stored chunks, in file order."""
    return Outline(path, chunks).all()


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
    while tail > head and CLOSER.match(lines[tail]) and _indent(lines[tail]) < indent:
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
    """The first statement (not a comment, docstring or blank), on one line (a statement that
    opens a bracket runs on until it is closed), cut to NAME_CHARS."""
    lines = text.split("\n")
    i = next((i for i, ln in enumerate(lines) if not _NOT_STATEMENT.match(ln)), None)
    if i is None:
        line = next((ln.strip() for ln in lines if ln.strip()), "").lstrip("/*#-\"' ").strip()
    else:
        parts = [lines[i].strip()]
        depth = _depth(parts[0])
        while depth > 0 and i + 1 < len(lines) and sum(map(len, parts)) < NAME_CHARS:
            i += 1
            parts.append(lines[i].strip())
            depth += _depth(parts[-1])
        line = " ".join(p for p in parts if p)
    return line if len(line) <= NAME_CHARS else line[: NAME_CHARS - 1] + "…"


def _depth(line: str) -> int:
    return sum(line.count(c) for c in "([{") - sum(line.count(c) for c in ")]}")


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
