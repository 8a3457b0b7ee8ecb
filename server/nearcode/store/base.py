"""What every index store is: the `IndexStore` protocol, the records it holds, and how
candidates are filtered.

Three stores implement it: `sqlite.Store` (the embedded default, one file per workspace folder),
`pg.PgStore` (a team's index in PostgreSQL) and `overlay.OverlayStore` (the shared index with
the user's own changes on top). tests/test_store_contract.py runs one suite over all three.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pathspec

from ..code.chunking import Chunk
from ..errors import InvalidInput, Unavailable


class StoreError(Unavailable):
    """The index file cannot be used (corrupt, locked, not an index)."""


@dataclass(frozen=True)
class FileState:
    """What the index knows of a file, for change detection."""

    path: str
    size: int
    mtime_ns: int
    sha256: str
    source: str  # "disk" or "buffer" (an unsaved editor buffer)


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as read back from the index."""

    id: int
    path: str
    language: str
    start_line: int
    end_line: int
    symbol: str | None
    kind: str
    hash: str
    text: str


class InvalidGlob(InvalidInput):
    """A path glob that is not a gitignore-style pattern."""


def compile_globs(globs: Sequence[str]) -> pathspec.PathSpec[Any] | None:
    """The gitignore-style spec matching any of `globs` (None when there are none); InvalidGlob
    naming the first bad one. Inputs are checked with this where they enter (the CLI's --path,
    the `paths` of nearcode/search), so that a bad glob is the user's error, not a crash.

    Negations (`!tests/**`) take away from what the globs before them matched; when every glob
    is a negation they take away from everything ("all but the tests")."""
    if not globs:
        return None
    for glob in globs:
        try:
            pathspec.GitIgnoreSpec.from_lines([glob])
        except (ValueError, re.error) as exc:
            raise InvalidGlob(f"bad path glob {glob!r}: {exc}") from exc
    if all(g.strip().startswith("!") for g in globs):
        globs = ["**", *globs]
    return pathspec.GitIgnoreSpec.from_lines(globs)


@dataclass(frozen=True)
class Filter:
    """Restricts candidates: languages (any of) and path globs (gitignore style, any of), the
    globs compiled once (InvalidGlob for a bad one)."""

    languages: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    exclude_ids: frozenset[int] = frozenset()
    spec: pathspec.PathSpec[Any] | None = field(init=False, default=None, repr=False,
                                                compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "spec", compile_globs(self.paths))

    def __bool__(self) -> bool:
        return bool(self.languages or self.paths)


NO_FILTER = Filter()


class IndexStore(Protocol):
    """One workspace folder's index: files, their chunks, a vector per chunk and its words.

    Writes come from one thread at a time and replace a file whole (one transaction), so a
    reader never sees half a file; readers may be on other threads. An index holds vectors of
    one model (`ensure_model`). Chunk ids are the store's own: stable until their file is
    written again. Errors of the database are StoreError (errors.Unavailable).

    Scores of candidates are higher-is-better and best first. Vector scores are cosine
    similarities. Lexical scores are on the store's own scale (SQLite: BM25 of FTS5,
    PostgreSQL: ts_rank, overlay: relative to each index's best): `lexical_ceiling(words)` is
    that scale's score of a chunk holding about half of what `words` say, or 0.0 when the scale
    has none. Fusion divides lexical scores by max(best score, ceiling), so that they fall in
    [0, 1] and a few incidental word matches do not count as a full match.
    """

    @property
    def path(self) -> Path | str:
        """Where the index is, as shown to the user (a file, or host/database)."""
        ...

    @property
    def model_id(self) -> str | None: ...

    @property
    def dim(self) -> int | None: ...

    @property
    def read_only(self) -> bool:
        """True when the index can be read but not written (a read-only cache folder): it is
        searched as it is and never updated."""
        ...

    def meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def ensure_model(self, model_id: str, dim: int, rebuild: bool = False) -> bool:
        """Make the index hold vectors of `model_id`; empties it if it held another model's (or
        when `rebuild`). True when it was emptied: everything is embedded again."""
        ...

    # -- files

    def file_states(self) -> dict[str, FileState]: ...

    def file_state(self, path: str) -> FileState | None: ...

    def touch_file(self, path: str, size: int, mtime_ns: int) -> None:
        """Record a new mtime and size for a file whose content did not change."""
        ...

    def replace_file(self, state: FileState, language: str, chunks: Sequence[Chunk],
                     vectors: dict[str, np.ndarray]) -> None:
        """Replace everything indexed for one file, at once. A chunk whose hash `vectors`
        lacks is written without a vector (found by its words only) until `put_vectors`
        brings one."""
        ...

    def delete_file(self, path: str) -> None: ...

    # -- the embedding cache, by hash of the embedded text

    def cached_vectors(self, hashes: Iterable[str]) -> dict[str, np.ndarray]: ...

    def put_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        """Cache vectors by hash; chunks of these hashes written without one now have it."""
        ...

    def unembedded(self, limit: int) -> list[StoredChunk]:
        """Up to `limit` chunks without a vector, one per hash, most relevant first (editor
        buffers, then the most recently modified files)."""
        ...

    def unembedded_count(self) -> int:
        """How many chunks have no vector yet."""
        ...

    def prune_cache(self, keep_orphans: int | None = None) -> int:
        """Drop vectors no chunk uses beyond a bound; how many went. Called after each sync."""
        ...

    # -- reading chunks

    def chunks_by_id(self, ids: Sequence[int]) -> dict[int, StoredChunk]: ...

    def chunks_of_file(self, path: str) -> list[StoredChunk]:
        """The file's chunks in line order."""
        ...

    def chunk_at(self, path: str, line: int) -> StoredChunk | None:
        """The chunk of `path` that holds 1-based `line` (the innermost if several do)."""
        ...

    def chunks_by_symbol(self, names: Sequence[str], limit: int = 50) -> list[StoredChunk]:
        """Chunks whose symbol is one of `names` or ends with `.name`."""
        ...

    def definitions(self, min_lines: int, not_kinds: Collection[str]) -> list[StoredChunk]:
        """Chunks with a symbol, of at least `min_lines` lines, whose kind is none of
        `not_kinds`, by path (code point order) and line: what near-duplicates compare."""
        ...

    def vectors_of(self, ids: Sequence[int]) -> dict[int, np.ndarray]: ...

    # -- candidates for retrieval

    def vector_candidates(self, query: np.ndarray, k: int, flt: Filter = NO_FILTER,
                          pool: int = 400) -> list[tuple[int, float]]:
        """Ids and cosine similarities of the `k` chunks nearest to the unit vector `query`
        that pass `flt`, best first."""
        ...

    def lexical_candidates(self, words: Sequence[str], k: int, flt: Filter = NO_FILTER
                           ) -> list[tuple[int, float]]:
        """Ids and lexical scores (the store's scale) of the best full-text matches of
        `words` that pass `flt`, best first."""
        ...

    def lexical_ceiling(self, words: Sequence[str]) -> float:
        """The lexical score of a chunk holding about half of `words`, or 0.0 (see above)."""
        ...

    # -- status

    def counts(self) -> tuple[int, int]:
        """(files, chunks) in the index."""
        ...

    def check(self) -> list[str]:
        """Consistency problems; empty when the index is sound."""
        ...

    def close(self) -> None: ...


def keep_matching(ids: Sequence[int], chunks: dict[int, StoredChunk], flt: Filter) -> list[int]:
    """The ids (in order) whose chunk passes the filter's languages and path globs."""
    spec = flt.spec
    keep = []
    for cid in ids:
        c = chunks.get(cid)
        if c is None:
            continue
        if flt.languages and c.language not in flt.languages:
            continue
        if spec is not None and not spec.match_file(c.path):
            continue
        keep.append(cid)
    return keep


