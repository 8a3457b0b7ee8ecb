"""What every index store shares: the records it holds and how candidates are filtered.

Three stores implement one interface: `sqlite.Store` (the embedded default, one file per
workspace folder), `pg.PgStore` (a team's index in PostgreSQL) and `overlay.OverlayStore` (the
shared index with the user's own changes on top).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class StoreError(RuntimeError):
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


@dataclass(frozen=True)
class Filter:
    """Restricts candidates: languages (any of) and path globs (gitignore style, any of)."""

    languages: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    exclude_ids: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.languages or self.paths)


NO_FILTER = Filter()


def keep_matching(ids: Sequence[int], chunks: dict[int, StoredChunk], flt: Filter) -> list[int]:
    """The ids (in order) whose chunk passes the filter's languages and path globs."""
    import pathspec

    spec = pathspec.GitIgnoreSpec.from_lines(flt.paths) if flt.paths else None
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


