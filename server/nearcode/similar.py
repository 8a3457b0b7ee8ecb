"""From an editor location to a code → code query: the chunk at a line, a range, or a file.

Open buffers win over the file on disk, so an unsaved edit changes the answer at once.
"""

from __future__ import annotations

from pathlib import Path

from .retrieval import Hit
from .workspace import Workspace, WorkspaceError


class LocationError(ValueError):
    """A location that names nothing indexable (outside the workspace, past the end...)."""


def file_text(ws: Workspace, path: Path) -> str:
    """The text an editor shows for `path`: its open buffer if any, else the file on disk."""
    located = ws.folder_for(path)
    if located is not None:
        folder, rel = located
        buffered = folder.indexer.buffer_text(rel)
        if buffered is not None:
            return buffered
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise LocationError(f"cannot read {path}: {exc.strerror or exc}") from exc


def similar_to_location(
    ws: Workspace, path: Path, start: int | None, end: int | None, limit: int = 10,
) -> list[Hit]:
    """Chunks like the code at `path` lines `start`..`end` (1-based, inclusive).

    One line: the chunk holding it is the query (and is left out of the answer). A range: its
    text, leaving out chunks of this file that overlap it. No lines: the whole file, leaving
    out the file's own chunks."""
    located = ws.folder_for(path.resolve())
    if located is None:
        raise WorkspaceError(f"{path} is outside the workspace")
    folder, rel = located
    text = file_text(ws, path)
    lines = text.split("\n")
    if start is not None and start > len(lines):
        raise LocationError(f"{path} has {len(lines)} lines; line {start} is past the end")
    own = folder.store.chunks_of_file(rel)
    if start is not None and start == end:
        chunk = folder.store.chunk_at(rel, start)
        if chunk is not None:
            vector = folder.store.vectors_of([chunk.id]).get(chunk.id)
            return ws.retriever.similar(chunk.text, limit, (folder.root, frozenset({chunk.id})),
                                        vector=vector)
    if start is not None:
        end = min(end or start, len(lines))
        query = "\n".join(lines[start - 1 : end])
        skip = frozenset(c.id for c in own if c.start_line <= end and c.end_line >= start)
    else:
        query = text
        skip = frozenset(c.id for c in own)
    if not query.strip():
        raise LocationError("the selected text is empty")
    return ws.retriever.similar(query, limit, (folder.root, skip))
