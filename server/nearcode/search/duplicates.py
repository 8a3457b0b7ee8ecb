"""Near-duplicate code: pairs of functions that nearly repeat each other, grouped.

The road is `candidates → confirm → group → diff`:

  candidates  every eligible chunk (a named definition of at least `min_lines` lines of code)
              asks the vector index for its `neighbours` nearest chunks
              (`IndexStore.vector_candidates`: in SQLite a sign-bit KNN, exact re-scoring of a
              small pool); pairs at or above the cosine `threshold` go on. No all-pairs loop in
              Python: the work is one KNN query per chunk.
  confirm     a lexical measure over the two token streams (`lexical_similarity`): embeddings
              alone call two short getters or two same-topic functions "the same".
  group       union-find over the confirmed pairs, ordered by what to act on first
              (copies.group_order: implementation before tests and generated code,
              near-identical and longer copies first, families of short look-alikes last).
  diff        a unified diff of the two closest members, with file line numbers, so that a fix
              made in one copy and missing in the other shows at a glance.

Members, pairs, groups and diffs are in copies.py; this module finds them.

The server's hints (lsp/features/duplicate_hints.py) use `duplicates_of` on one file's chunks;
`nearcode duplicates` (cli/duplicates.py) uses `find_duplicates` on the whole workspace.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pathspec

from ..code.likeness import Tokens, code_tokens, lexical_similarity
from ..code.roles import definition_role, file_role
from ..config import Settings
from ..store.base import Filter, StoredChunk
from .copies import Group, Member, Pair, definition_start, group_pairs, member_order
from .retrieval import Source

log = logging.getLogger(__name__)

THRESHOLD = Settings.duplicate_threshold  # cosine (docs/duplicates.md says why)
MIN_LINES = 5  # lines of code (non-blank, not comment-only) a chunk needs to take part
MIN_TOKENS = 30  # ... and code tokens: long one-liners are not enough either
LEXICAL_MIN = 0.65  # mean of the word and shape shingle overlaps
NEIGHBOURS = 10  # nearest chunks asked of the vector index per chunk

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


def eligible(chunk: StoredChunk, tokens: Tokens, min_lines: int) -> bool:
    """A named definition with enough code to be worth calling a copy."""
    return (chunk.symbol is not None and chunk.kind not in NOT_DEFINITIONS
            and tokens.lines >= min_lines and len(tokens.shape) >= MIN_TOKENS)


# ----------------------------------------------------------------------------- candidates


class _Catalog:
    """Chunks met during one run, as members with their tokens (None: not eligible), loaded
    from the stores on first sight."""

    def __init__(self, sources: Sequence[Source], options: Options) -> None:
        self.sources = list(sources)
        self.options = options
        self.spec = pathspec.GitIgnoreSpec.from_lines(options.exclude) if options.exclude else None
        self.entries: dict[tuple[int, int], tuple[Member, Tokens] | None] = {}
        self.roles: dict[tuple[int, str], str] = {}  # role of each file met (code/roles.py)

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
                        chunk.end_line, chunk.symbol, chunk.kind, chunk.language, text, chunk.id,
                        definition_role(self._role(src, chunk.path), chunk.symbol))
        return member, tokens

    def _role(self, src: int, path: str) -> str:
        """What a file is for, from its path and first lines (a generated-code header)."""
        if (src, path) not in self.roles:
            first = self.sources[src].store.chunk_at(path, 1)
            self.roles[(src, path)] = file_role(path, first.text if first is not None else "")
        return self.roles[(src, path)]

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
        found.sort(key=lambda p: (-p.similarity, -p.lexical, member_order(p.b)))
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
        for chunk in source.store.definitions(options.min_lines, NOT_DEFINITIONS):
            entry = catalog.add(src, chunk)
            if entry is not None:
                queries.append((src, *entry))
    pairs = _neighbour_pairs(catalog, queries, seen=set())
    groups = group_pairs(pairs)
    return Report(groups, total, len(queries), len(pairs), time.monotonic() - started, options)
