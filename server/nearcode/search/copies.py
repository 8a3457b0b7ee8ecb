"""Copies of code and what is shown of them: a near-duplicate pair's two members, groups of
members connected by pairs, the line that names a definition, and the diff between two copies."""

from __future__ import annotations

import difflib
import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..code.likeness import COMMENT_LINE
from ..code.roles import IMPL

DIFF_CONTEXT = 1  # unchanged lines shown around each changed run
FAMILY_MIN = 6  # a group of at least this many members ...
FAMILY_LINES = 12  # ... whose median member has at most this many lines is a family
WEIGHT_LINES = 15  # copies of this many lines or more count in full (shorter: in proportion)


@dataclass(frozen=True)
class Member:
    """One copy: a definition of a workspace folder (its chunk without the code between
    definitions merged in before it). Lines are 1-based and inclusive."""

    root: Path
    path: str
    start_line: int
    end_line: int
    symbol: str | None
    kind: str
    language: str
    text: str = field(repr=False)
    chunk_id: int = -1
    role: str = IMPL  # what its file is for (code/roles.py)

    @property
    def abspath(self) -> Path:
        return self.root / self.path

    @property
    def key(self) -> tuple[Path, int]:
        return (self.root, self.chunk_id)

    @property
    def location(self) -> str:
        return f"{self.path}:{self.start_line}-{self.end_line}"

    def overlaps(self, other: Member) -> bool:
        return (self.abspath == other.abspath and self.start_line <= other.end_line
                and other.start_line <= self.end_line)

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "abspath": str(self.abspath), "start_line": self.start_line,
                "end_line": self.end_line, "symbol": self.symbol, "kind": self.kind,
                "language": self.language, "role": self.role}


@dataclass(frozen=True)
class Pair:
    """Two members that are near-duplicates: cosine of their embeddings and lexical score."""

    a: Member
    b: Member
    similarity: float
    lexical: float


@dataclass(frozen=True)
class Group:
    """Members connected by confirmed pairs; `closest` is the pair with the highest cosine."""

    members: tuple[Member, ...]
    pairs: tuple[Pair, ...]
    closest: Pair
    diff: str

    @property
    def similarity(self) -> float:
        return self.closest.similarity

    @property
    def secondary(self) -> bool:
        """Wholly in tests, docs, examples, vendored or generated code: worth less than a
        copy in the product's own code."""
        return all(m.role != IMPL for m in self.members)

    @property
    def family(self) -> bool:
        """Many short look-alikes (a deliberate pattern: handlers, getters, table entries),
        shown as one line rather than as a pair to merge."""
        lines = sorted(m.end_line - m.start_line + 1 for m in self.members)
        return len(lines) >= FAMILY_MIN and lines[len(lines) // 2] <= FAMILY_LINES

    @property
    def weight(self) -> float:
        """How much acting on it is worth: how identical the closest copies read (lexical,
        0..1) times how much code they hold (full from WEIGHT_LINES lines)."""
        a, b = self.closest.a, self.closest.b
        lines = min(a.end_line - a.start_line, b.end_line - b.start_line) + 1
        return self.closest.lexical * min(1.0, lines / WEIGHT_LINES)

    def to_json(self) -> dict[str, Any]:
        index = {m.key: i for i, m in enumerate(self.members)}
        return {
            "size": len(self.members),
            "similarity": round(self.similarity, 4),
            "weight": round(self.weight, 4),
            "secondary": self.secondary,
            "family": self.family,
            "members": [m.to_json() for m in self.members],
            "closest": {"a": index[self.closest.a.key], "b": index[self.closest.b.key],
                        "similarity": round(self.closest.similarity, 4),
                        "lexical": round(self.closest.lexical, 4)},
            "diff": self.diff,
        }


_DEFINES = r"\b(def|class|function|func|fn|fun|sub|struct|interface|impl|trait|enum|type)\s+"
_DEFINES_RE = re.compile(_DEFINES)
_LEADING = re.compile(r"^\s*(@|#|//|/\*|\*|--|\[|\#\[)")


def _is_code(line: str) -> bool:
    s = line.strip()
    return bool(s) and not COMMENT_LINE.match(line) and not s.startswith(("@", '"""', "'''"))


def _defines(line: str, name: str) -> bool:
    """Whether `line` defines `name` (`def name`, `function name`, `fn name`...)."""
    for m in _DEFINES_RE.finditer(line):
        after = line[m.end():]
        if after.startswith(name) and not after[len(name):len(name) + 1].isidentifier():
            return True
    return False


def header_line(text: str, symbol: str | None) -> int:
    """0-based line of `text` (a chunk) that names its definition: a line that defines the
    symbol's last part (`def name`, `function name`...), else the first code line holding the
    name, else the first line of code."""
    lines = text.split("\n")
    name = (symbol or "").rsplit(".", 1)[-1]
    if name:
        for i, line in enumerate(lines):
            if name in line and _is_code(line) and _defines(line, name):
                return i
        for i, line in enumerate(lines):
            if name in line and _is_code(line):
                return i
    return next((i for i, line in enumerate(lines) if _is_code(line)), 0)


def definition_start(text: str, symbol: str | None) -> int:
    """0-based line where the definition begins: its header line, moved up over the decorators
    and comments directly above it. Lines before it are code between definitions that the
    chunker merged in (imports, a module docstring): no part of the copy."""
    lines = text.split("\n")
    row = header_line(text, symbol)
    while row > 0 and _LEADING.match(lines[row - 1]):
        row -= 1
    return row


# ----------------------------------------------------------------------------- diff


def unified_diff(a: Member, b: Member, context: int = DIFF_CONTEXT) -> str:
    """The lines that differ between two members, as a unified diff with file line numbers.

    Both are dedented first, so a method and a function copy differ only where the code does.
    Empty when the two read the same."""
    a_lines = textwrap.dedent(a.text).split("\n")
    b_lines = textwrap.dedent(b.text).split("\n")
    matcher = difflib.SequenceMatcher(None, a_lines, b_lines, autojunk=False)
    out: list[str] = []
    for ops in matcher.get_grouped_opcodes(context):
        a0, a1, b0, b1 = ops[0][1], ops[-1][2], ops[0][3], ops[-1][4]
        out.append(f"@@ -{_span(a.start_line + a0, a1 - a0)} "
                   f"+{_span(b.start_line + b0, b1 - b0)} @@")
        for tag, i1, i2, j1, j2 in ops:
            if tag == "equal":
                out += [" " + line for line in a_lines[i1:i2]]
                continue
            out += ["-" + line for line in a_lines[i1:i2]]
            out += ["+" + line for line in b_lines[j1:j2]]
    if not out:
        return ""
    return "\n".join([f"--- {a.location}", f"+++ {b.location}", *out])


def _span(start: int, length: int) -> str:
    # unified diff convention: an empty range names the line before it
    return f"{start - 1 if length == 0 else start},{length}"


# ----------------------------------------------------------------------------- grouping


def group_pairs(pairs: Iterable[Pair]) -> list[Group]:
    """Connected groups of the pairs (union-find), in `group_order`."""
    parent: dict[tuple[Path, int], tuple[Path, int]] = {}

    def find(x: tuple[Path, int]) -> tuple[Path, int]:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    members: dict[tuple[Path, int], Member] = {}
    pair_list = list(pairs)
    for p in pair_list:
        members[p.a.key], members[p.b.key] = p.a, p.b
        ra, rb = find(p.a.key), find(p.b.key)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    by_root: dict[tuple[Path, int], list[Pair]] = {}
    for p in pair_list:
        by_root.setdefault(find(p.a.key), []).append(p)
    groups = []
    for group_pairs_ in by_root.values():
        keys = {m.key for p in group_pairs_ for m in (p.a, p.b)}
        ms = tuple(sorted((members[k] for k in keys), key=member_order))
        closest = max(group_pairs_, key=lambda p: (p.similarity, p.lexical))
        a, b = sorted((closest.a, closest.b), key=member_order)
        closest = Pair(a, b, closest.similarity, closest.lexical)
        ordered = tuple(sorted(group_pairs_, key=lambda p: (-p.similarity, member_order(p.a))))
        groups.append(Group(ms, ordered, closest, unified_diff(a, b)))
    groups.sort(key=group_order)
    return groups


def group_order(g: Group) -> tuple[bool, bool, float, int, tuple[str, str, int]]:
    """What a developer should act on first: groups in implementation code before those
    wholly in tests or generated code, pairs and small groups before families of short
    look-alikes, then near-identical and longer copies first (`weight`)."""
    return (g.secondary, g.family, -round(g.weight, 2), -len(g.members),
            member_order(g.members[0]))


def member_order(m: Member) -> tuple[str, str, int]:
    return (str(m.root), m.path, m.start_line)
