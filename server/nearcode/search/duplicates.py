"""Near-duplicate code: pairs of functions that nearly repeat each other, grouped.

The road is `candidates → confirm → group → diff`:

  candidates  every eligible chunk (a named definition of at least `min_lines` lines of code)
              asks the vector index for its `neighbours` nearest chunks
              (`Store.vector_candidates`: sign-bit KNN in sqlite-vec, exact re-scoring of a small
              pool); pairs at or above the cosine `threshold` go on. No all-pairs loop in Python:
              the work is one KNN query per chunk.
  confirm     a lexical measure over the two token streams (`lexical_similarity`): embeddings
              alone call two short getters or two same-topic functions "the same".
  group       union-find over the confirmed pairs; largest groups first.
  diff        a unified diff of the two closest members, with file line numbers, so that a fix
              made in one copy and missing in the other shows at a glance.

The server's hints (lsp/features/duplicate_hints.py) use `duplicates_of` on one file's chunks;
`nearcode duplicates` (cli/duplicates.py) uses `find_duplicates` on the whole workspace.
"""

from __future__ import annotations

import difflib
import logging
import re
import textwrap
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec

from ..code.likeness import COMMENT_LINE, Tokens, code_tokens, lexical_similarity
from ..config import Settings
from ..store.base import Filter, StoredChunk, StoreError
from ..store.sqlite import Store
from .retrieval import Source

log = logging.getLogger(__name__)

THRESHOLD = Settings.duplicate_threshold  # cosine (docs/duplicates.md says why)
MIN_LINES = 5  # lines of code (non-blank, not comment-only) a chunk needs to take part
MIN_TOKENS = 30  # ... and code tokens: long one-liners are not enough either
LEXICAL_MIN = 0.65  # mean of the word and shape shingle overlaps
NEIGHBOURS = 10  # nearest chunks asked of the vector index per chunk
DIFF_CONTEXT = 1  # unchanged lines shown around each changed run

# Chunks that are not one definition: code between definitions, line windows of plain text.
NOT_DEFINITIONS = frozenset({"code", "lines", "module"})

# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Options:
    """What counts as a near-duplicate."""

    threshold: float = THRESHOLD
    min_lines: int = MIN_LINES
    lexical_min: float = LEXICAL_MIN
    neighbours: int = NEIGHBOURS
    exclude: tuple[str, ...] = ()  # gitignore-style: files that take no part at all


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
                "language": self.language}


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

    def to_json(self) -> dict[str, Any]:
        index = {m.key: i for i, m in enumerate(self.members)}
        return {
            "size": len(self.members),
            "similarity": round(self.similarity, 4),
            "members": [m.to_json() for m in self.members],
            "closest": {"a": index[self.closest.a.key], "b": index[self.closest.b.key],
                        "similarity": round(self.closest.similarity, 4),
                        "lexical": round(self.closest.lexical, 4)},
            "diff": self.diff,
        }


_DEFINES = r"\b(def|class|function|func|fn|fun|sub|struct|interface|impl|trait|enum|type)\s+"
_LEADING = re.compile(r"^\s*(@|#|//|/\*|\*|--|\[|\#\[)")


def _is_code(line: str) -> bool:
    s = line.strip()
    return bool(s) and not COMMENT_LINE.match(line) and not s.startswith(("@", '"""', "'''"))


def header_line(text: str, symbol: str | None) -> int:
    """0-based line of `text` (a chunk) that names its definition: a line that defines the
    symbol's last part (`def name`, `function name`...), else the first code line holding the
    name, else the first line of code."""
    lines = text.split("\n")
    name = (symbol or "").rsplit(".", 1)[-1]
    if name:
        defines = re.compile(_DEFINES + re.escape(name) + r"\b")
        for i, line in enumerate(lines):
            if defines.search(line) and _is_code(line):
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


def eligible(chunk: StoredChunk, tokens: Tokens, min_lines: int) -> bool:
    """A named definition with enough code to be worth calling a copy."""
    return (chunk.symbol is not None and chunk.kind not in NOT_DEFINITIONS
            and tokens.lines >= min_lines and len(tokens.shape) >= MIN_TOKENS)


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
    """Connected groups of the pairs (union-find), largest first, then most similar first."""
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
        ms = tuple(sorted((members[k] for k in keys), key=_order))
        closest = max(group_pairs_, key=lambda p: (p.similarity, p.lexical))
        a, b = sorted((closest.a, closest.b), key=_order)
        closest = Pair(a, b, closest.similarity, closest.lexical)
        ordered = tuple(sorted(group_pairs_, key=lambda p: (-p.similarity, _order(p.a))))
        groups.append(Group(ms, ordered, closest, unified_diff(a, b)))
    groups.sort(key=lambda g: (-len(g.members), -g.similarity, _order(g.members[0])))
    return groups


def _order(m: Member) -> tuple[str, str, int]:
    return (str(m.root), m.path, m.start_line)


# ----------------------------------------------------------------------------- candidates


class _Catalog:
    """Chunks met during one run, as members with their tokens (None: not eligible), loaded
    from the stores on first sight."""

    def __init__(self, sources: Sequence[Source], options: Options) -> None:
        self.sources = list(sources)
        self.options = options
        self.spec = pathspec.GitIgnoreSpec.from_lines(options.exclude) if options.exclude else None
        self.entries: dict[tuple[int, int], tuple[Member, Tokens] | None] = {}

    def add(self, src: int, chunk: StoredChunk) -> tuple[Member, Tokens] | None:
        key = (src, chunk.id)
        if key not in self.entries:
            self.entries[key] = self._entry(src, chunk)
        return self.entries[key]

    def _entry(self, src: int, chunk: StoredChunk) -> tuple[Member, Tokens] | None:
        if chunk.symbol is None or chunk.kind in NOT_DEFINITIONS or self.excluded(chunk.path):
            return None
        skip = definition_start(chunk.text, chunk.symbol)
        text = "\n".join(chunk.text.split("\n")[skip:])
        tokens = code_tokens(text)
        if not eligible(chunk, tokens, self.options.min_lines):
            return None
        member = Member(self.sources[src].root, chunk.path, chunk.start_line + skip,
                        chunk.end_line, chunk.symbol, chunk.kind, chunk.language, text, chunk.id)
        return member, tokens

    def excluded(self, path: str) -> bool:
        return self.spec is not None and self.spec.match_file(path)

    def get(self, src: int, ids: Iterable[int]) -> dict[int, tuple[Member, Tokens] | None]:
        ids = list(dict.fromkeys(ids))
        missing = [i for i in ids if (src, i) not in self.entries]
        if missing:
            found = self.sources[src].store.chunks_by_id(missing)
            for i in missing:
                chunk = found.get(i)
                if chunk is None:
                    self.entries[(src, i)] = None  # deleted since the KNN answered
                else:
                    self.add(src, chunk)
        return {i: self.entries[(src, i)] for i in ids}


def _neighbour_pairs(
    catalog: _Catalog, queries: Sequence[tuple[int, Member, Tokens]],
    seen: set[frozenset[tuple[int, int]]] | None = None,
) -> list[Pair]:
    """Confirmed pairs of each query chunk with its nearest neighbours in every source.

    `seen` (pairs already judged) makes a whole-workspace run judge each pair once; without
    it every query gets all of its own pairs."""
    opts = catalog.options
    ids_by_src: dict[int, list[int]] = {}
    for src, member, _ in queries:
        ids_by_src.setdefault(src, []).append(member.chunk_id)
    vectors = {(src, cid): v for src, ids in ids_by_src.items()
               for cid, v in catalog.sources[src].store.vectors_of(ids).items()}
    pairs: list[Pair] = []
    for src, member, tokens in queries:
        vector = vectors.get((src, member.chunk_id))
        if vector is None:
            continue
        for other_src, source in enumerate(catalog.sources):
            own = frozenset({member.chunk_id}) if other_src == src else frozenset()
            hits = source.store.vector_candidates(vector, opts.neighbours, Filter(exclude_ids=own),
                                                  pool=4 * opts.neighbours)
            close = [(cid, s) for cid, s in hits if s >= opts.threshold]
            if not close:
                continue
            entries = catalog.get(other_src, [cid for cid, _ in close])
            for cid, score in close:
                entry = entries.get(cid)
                if entry is None:
                    continue
                if seen is not None:
                    key = frozenset({(src, member.chunk_id), (other_src, cid)})
                    if key in seen:
                        continue
                    seen.add(key)
                other, other_tokens = entry
                if member.overlaps(other):  # overlapping line windows of one file
                    continue
                lexical = lexical_similarity(tokens, other_tokens)
                if lexical >= opts.lexical_min:
                    pairs.append(Pair(member, other, min(score, 1.0), lexical))
    return pairs


def duplicates_of(
    sources: Sequence[Source], src: int, chunks: Sequence[StoredChunk], options: Options,
) -> dict[int, list[Pair]]:
    """Near-duplicates of some chunks of source `src` (e.g. one file's), anywhere.

    Returns: chunk id → its pairs, most similar first; in each pair `a` is the chunk itself.
    Chunks that are not eligible (too short, not a definition, excluded) have none."""
    catalog = _Catalog(sources, options)
    queries = []
    for chunk in chunks:
        entry = catalog.add(src, chunk)
        if entry is not None:
            queries.append((src, *entry))
    out: dict[int, list[Pair]] = {}
    for pair in _neighbour_pairs(catalog, queries, seen=None):
        out.setdefault(pair.a.chunk_id, []).append(pair)
    for found in out.values():
        found.sort(key=lambda p: (-p.similarity, -p.lexical, _order(p.b)))
    return out


@dataclass
class Report:
    """A whole-workspace run: its groups and what it took."""

    groups: list[Group]
    chunks: int  # chunks in the index
    compared: int  # eligible chunks, each asked for its neighbours
    pairs: int  # confirmed pairs
    seconds: float
    options: Options


def find_duplicates(sources: Sequence[Source], options: Options = Options()) -> Report:
    """Every group of near-duplicates over all sources (one KNN query per eligible chunk)."""
    started = time.monotonic()
    catalog = _Catalog(sources, options)
    queries = []
    total = 0
    for src, source in enumerate(sources):
        total += source.store.counts()[1]
        for chunk in _definitions(source.store, options.min_lines):
            entry = catalog.add(src, chunk)
            if entry is not None:
                queries.append((src, *entry))
    pairs = _neighbour_pairs(catalog, queries, seen=set())
    groups = group_pairs(pairs)
    return Report(groups, total, len(queries), len(pairs), time.monotonic() - started, options)


def _definitions(store: Store, min_lines: int) -> list[StoredChunk]:
    """Chunks that may be eligible, read in one query (the line count is only an upper bound
    of the lines of code, so the exact test comes later)."""
    kinds = sorted(NOT_DEFINITIONS)
    sql = (
        "SELECT c.id, f.path, c.language, c.start_line, c.end_line, c.symbol, c.kind, c.hash,"
        " c.text FROM chunks c JOIN files f ON f.id = c.file_id"
        f" WHERE c.symbol IS NOT NULL AND c.kind NOT IN ({','.join('?' * len(kinds))})"
        " AND c.end_line - c.start_line + 1 >= ? ORDER BY f.path, c.start_line"
    )
    try:
        rows = store.db.execute(sql, [*kinds, min_lines]).fetchall()
    except Exception as exc:  # sqlite errors of either driver
        raise StoreError(f"reading {store.path} failed: {exc}") from exc
    return [StoredChunk(*r) for r in rows]
