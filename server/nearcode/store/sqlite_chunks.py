"""Reading chunks back from the SQLite index: a part of `sqlite.Store`, apart to keep each
module small (texts are stored compressed: `sqlite_db.unpack_text`, and unpacked only when
read: a hit's outline reads every chunk of its file but the text of a few)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import astuple
from typing import Any

from . import sqlite_db
from .base import StoredChunk


class ChunkReads:
    """The chunk-reading methods of `sqlite.Store` (a mixin: it needs the store's `_rows`)."""

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    _CHUNK_SQL = (
        "SELECT c.id, f.path, c.language, c.start_line, c.end_line, c.symbol, c.kind, c.hash,"
        " c.text FROM chunks c JOIN files f ON f.id = c.file_id"
    )

    def chunks_by_id(self, ids: Sequence[int]) -> dict[int, StoredChunk]:
        out: dict[int, StoredChunk] = {}
        for part, marks in sqlite_db.in_parts(ids):
            for row in self._rows(f"{self._CHUNK_SQL} WHERE c.id IN ({marks})", part):
                out[row[0]] = _stored(row)
        return out

    def chunks_of_file(self, path: str) -> list[StoredChunk]:
        rows = self._rows(f"{self._CHUNK_SQL} WHERE f.path = ? ORDER BY c.start_line", (path,))
        return [_stored(r) for r in rows]

    def chunk_at(self, path: str, line: int) -> StoredChunk | None:
        """The chunk of `path` that holds 1-based `line` (the innermost if windows overlap)."""
        rows = self._rows(
            f"{self._CHUNK_SQL} WHERE f.path = ? AND c.start_line <= ? AND c.end_line >= ?"
            " ORDER BY c.end_line - c.start_line LIMIT 1",
            (path, line, line),
        )
        return _stored(rows[0]) if rows else None

    def chunks_by_symbol(self, names: Sequence[str], limit: int = 50) -> list[StoredChunk]:
        """Chunks whose symbol is one of `names` or ends with `.name` (by the indexed last
        part of each symbol)."""
        plain = [n for n in names if "." not in n]
        cond, params = "0", []
        if plain:
            cond = f"c.name IN ({','.join('?' * len(plain))})"
            params = list(plain)
        for n in names:
            if "." in n:
                cond += " OR c.symbol = ? OR (c.name = ? AND c.symbol LIKE ?)"
                params += [n, n.rsplit(".", 1)[-1], f"%.{n}"]
        if not names:
            return []
        rows = self._rows(f"{self._CHUNK_SQL} WHERE {cond} LIMIT ?", [*params, limit])
        return [_stored(r) for r in rows]

    def definitions(self, min_lines: int, not_kinds: Collection[str]) -> list[StoredChunk]:
        """Chunks with a symbol, of `min_lines` lines or more, of none of `not_kinds`."""
        kinds = sorted(not_kinds)
        rows = self._rows(
            f"{self._CHUNK_SQL} WHERE c.symbol IS NOT NULL"
            f" AND c.kind NOT IN ({','.join('?' * len(kinds))})"
            " AND c.end_line - c.start_line + 1 >= ? ORDER BY f.path, c.start_line",
            [*kinds, min_lines])
        return [_stored(r) for r in rows]

    def unembedded(self, limit: int) -> list[StoredChunk]:
        """Up to `limit` chunks without a vector, one per hash, most relevant first: editor
        buffers, then files by modification time, newest first (0 is "just modified", see
        indexer._recorded_mtime)."""
        rows = self._rows(
            f"{self._CHUNK_SQL} WHERE NOT EXISTS (SELECT 1 FROM embeddings e"
            " WHERE e.hash = c.hash) GROUP BY c.hash"
            " ORDER BY f.source = 'buffer' DESC, f.mtime_ns = 0 DESC, f.mtime_ns DESC, c.id"
            " LIMIT ?", (limit,))
        return [_stored(r) for r in rows]


class _Unpacked:
    """The `text` of a PackedChunk: given packed, unpacked on its first read (a data
    descriptor, so the dataclass's own __init__ hands it the packed value)."""

    def __set__(self, chunk: StoredChunk, packed: str | bytes) -> None:
        chunk.__dict__["_packed"] = packed

    def __get__(self, chunk: StoredChunk | None, owner: type | None = None) -> Any:
        if chunk is None:
            return self
        found = chunk.__dict__
        if "_text" not in found:
            found["_text"] = sqlite_db.unpack_text(found["_packed"])
        return found["_text"]


class PackedChunk(StoredChunk):
    """A StoredChunk read from the index, its text unpacked on first use: at 100k chunks a
    query's outlines read ~20 files of ~50 chunks and showed the text of ~3 per file
    (unpacking them all was a quarter of `search`)."""

    text = _Unpacked()

    def __eq__(self, other: object) -> bool:  # equal to the same chunk read unpacked
        if not isinstance(other, StoredChunk):
            return NotImplemented
        return astuple(self) == astuple(other)

    __hash__ = StoredChunk.__hash__


def _stored(row: Sequence[Any]) -> StoredChunk:
    """A chunk from a row of `ChunkReads._CHUNK_SQL` (its text unpacked when read). Built
    without the frozen dataclass's __init__ (9 guarded setattrs, 3 µs): an outline reads ~50
    chunks a file, ~20 files a query at 100k chunks."""
    c = _new(PackedChunk)
    d = c.__dict__
    (d["id"], d["path"], d["language"], d["start_line"], d["end_line"], d["symbol"], d["kind"],
     d["hash"], d["_packed"]) = row
    return c


_new = object.__new__
