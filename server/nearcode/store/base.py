"""What every index store shares: the records it holds and how candidates are filtered.

Three stores implement one interface: `sqlite.Store` (the embedded default, one file per
workspace folder), `pg.PgStore` (a team's index in PostgreSQL) and `overlay.OverlayStore` (the
shared index with the user's own changes on top).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pathspec

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


def compile_globs(globs: Sequence[str]) -> pathspec.PathSpec | None:
    """The gitignore-style spec matching any of `globs` (None when there are none); InvalidGlob
    naming the first bad one. Inputs are checked with this where they enter (the CLI's --path,
    the `paths` of nearcode/search), so that a bad glob is the user's error, not a crash."""
    if not globs:
        return None
    for glob in globs:
        try:
            pathspec.GitIgnoreSpec.from_lines([glob])
        except (ValueError, re.error) as exc:
            raise InvalidGlob(f"bad path glob {glob!r}: {exc}") from exc
    return pathspec.GitIgnoreSpec.from_lines(globs)


@dataclass(frozen=True)
class Filter:
    """Restricts candidates: languages (any of) and path globs (gitignore style, any of), the
    globs compiled once (InvalidGlob for a bad one)."""

    languages: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    exclude_ids: frozenset[int] = frozenset()
    spec: pathspec.PathSpec | None = field(init=False, default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "spec", compile_globs(self.paths))

    def __bool__(self) -> bool:
        return bool(self.languages or self.paths)


NO_FILTER = Filter()


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


