"""From an editor location to a code → code query: the chunk at a line, a range, or a file.

The caller passes the text the editor shows (an open buffer's unsaved text, else the file on
disk), so an unsaved edit changes the answer at once. The query's own code (the chunks of the
indexed file that overlap it) is left out of the answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ..code.chunking import Chunk, chunk_text
from ..code.languages import language_for_path
from ..errors import InvalidInput
from ..index.folder import Folder, WorkspaceError
from ..index.scan import text_hash
from ..store.base import StoredChunk
from .definitions import outline
from .retrieval import Hit, Retriever


class WorkspaceView(Protocol):
    """What a query from an editor location needs of the workspace (app.workspace.Workspace):
    the retriever over every folder, and the folder that holds a path."""

    retriever: Retriever

    def folder_for(self, path: Path) -> tuple[Folder, str] | None: ...


class LocationError(InvalidInput):
    """A location that names nothing usable (past the end, empty selection...)."""


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise LocationError(f"cannot read {path}: {exc.strerror or exc}") from exc


def similar_at(
    ws: WorkspaceView, path: Path, text: str, start: int | None, end: int | None,
    limit: int = 10, whole_chunk: bool = False,
) -> list[Hit]:
    """Chunks like the code of `text` (the content of `path`) on 1-based lines start..end.

    `whole_chunk`: the query is the chunk that holds line `start` (a cursor position);
    otherwise the lines themselves (a selection). No lines: the whole file."""
    located = ws.folder_for(path)
    if located is None:
        raise WorkspaceError(f"{path} is outside the workspace folders")
    folder, rel = located
    lines = text.split("\n")
    if start is not None and start > len(lines):
        raise LocationError(f"{path.name} has {len(lines)} lines; line {start} is past the end")
    vector = None
    stored = folder.store.chunks_of_file(rel)
    if start is None:
        query, start, end = text, 1, len(lines)
    elif whole_chunk:
        chunk = _chunk_at(folder, rel, text, start, stored)
        if chunk is None:  # a blank line between chunks: use the line's neighbourhood
            lo, hi = max(1, start - 5), min(len(lines), start + 5)
            query, start, end = "\n".join(lines[lo - 1 : hi]), lo, hi
        else:
            query, start, end = chunk.text, chunk.start_line, chunk.end_line
            vector = folder.store.cached_vectors([chunk.hash]).get(chunk.hash)
    else:
        end = min(end or start, len(lines))
        query = "\n".join(lines[start - 1 : end])
    if not query.strip():
        raise LocationError("the code to compare is empty")
    # the query's own definitions, every chunk of them, are not an answer
    own = frozenset(cid for d in outline(rel, stored)
                    if d.start_line <= end and d.end_line >= start for cid in d.chunk_ids)
    return ws.retriever.similar(query, limit, (folder.root, own), vector=vector)


def _chunk_at(folder: Folder, rel: str, text: str, line: int, stored: list[StoredChunk]
              ) -> Chunk | StoredChunk | None:
    """The first chunk of `text` (in file order) that holds 1-based `line`: the stored one
    when the index holds this very text (chunking the file again took ~6 ms at 100k
    chunks), else chunked now."""
    state = folder.store.file_state(rel)
    if state is not None and state.sha256 == text_hash(text):
        # the chunker's chunks start on distinct lines, in order
        return min((c for c in stored if c.start_line <= line <= c.end_line),
                   key=lambda c: c.start_line, default=None)
    return next((c for c in chunk_text(text, language_for_path(rel) or "text", rel)
                 if c.start_line <= line <= c.end_line), None)
