"""What the MCP tools do: check the arguments, confine paths to the workspace, ask the same
domain functions as the CLI and the language server, and shape the answer (payload.py).

The index is the one `nearcode serve` and the CLI use for this folder. Before each call it is
brought up to date, unless a running server keeps it so (writelock.py): then this process only
reads. The first indexing runs in the background; calls made meanwhile answer from what is
indexed so far and say so.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import overload

import pathspec

from ..app.workspace import Workspace
from ..app.writelock import SyncOutcome, other_model, served, sync_unless_served
from ..code.languages import UnknownLanguageError, check_language
from ..config import Settings
from ..errors import InvalidInput, Unavailable
from ..index.folder import Folder, WorkspaceError
from ..index.indexer import Progress
from ..search import completion
from ..search.retrieval import MAX_QUERY_CHARS, Hit
from ..search.similar import LocationError, read_text, similar_at
from . import payload

log = logging.getLogger(__name__)

SEARCH_LIMIT = 8
MAX_SEARCH_LIMIT = 30
CONTEXT_LIMIT = 5
MAX_CONTEXT_LIMIT = 10
CONTEXT_CHARS = 6_000
MAX_CONTEXT_CHARS = 10_000  # snippets; headers and notes fit in the rest of MAX_RESULT_CHARS
OPEN_TIMEOUT_S = 300.0  # loading the model (a first ONNX export takes ~15 s)
# the first indexing: a call waits this long for it, then answers from what is indexed so far
INITIAL_WAIT_S = 30.0
SYNC_WAIT_S = 20.0  # a call waits this long for another process's sync, then reads as is
TITLE_QUERY_CHARS = 120


class ToolInputError(InvalidInput):
    """Arguments that do not fit the tool: the message says which and why."""


class ToolUnavailable(Unavailable):
    """The tool cannot answer now (the model did not load, the index belongs to another
    model): the message says what to do."""


@dataclass(frozen=True)
class Located:
    """A file inside the workspace, as the agent named it and as resolved."""

    folder: Folder
    rel: str  # posix, relative to the folder, as named (links not followed)
    path: Path  # absolute, resolved


class NearcodeTools:
    """One workspace folder's index, for MCP tool calls. `start()` opens it in the background;
    `close()` when done."""

    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = root
        self.settings = settings
        self.ws: Workspace | None = None
        self._error: str | None = None
        self._opened = threading.Event()
        self._initial = threading.Event()  # the first sync finished (or failed)
        self._progress = Progress(0, 0)
        self._calls = threading.Lock()  # one call at a time: the indexer is single-threaded
        self.last_sync = SyncOutcome()
        self._started = False

    # -- lifecycle

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        threading.Thread(target=self._open_and_sync, name="nearcode-mcp-start",
                         daemon=True).start()

    def _open_and_sync(self) -> None:
        try:
            self.ws = Workspace([self.root], self.settings)
        except Exception as exc:  # reported by every call, with what to do
            log.error("cannot open the index of %s: %s", self.root, exc)
            self._error = f"nearcode cannot open the index of {self.root}: {exc}"
            self._opened.set()
            self._initial.set()
            return
        self.ws.warm_in_background()
        self._opened.set()
        try:
            self.last_sync = sync_unless_served(self.ws, progress=self._on_progress)
            log.info("index of %s: %s", self.root, self.last_sync.folders)
        except Exception:
            log.exception("indexing %s failed", self.root)
        finally:
            self._initial.set()

    def _on_progress(self, p: Progress) -> None:
        self._progress = p

    def close(self) -> None:
        if self.ws is not None:
            with self._calls:
                self.ws.close()

    # -- shared by the tools

    def _workspace(self) -> tuple[Workspace, list[str]]:
        """The workspace, brought up to date, and notes for the agent about its freshness."""
        if not self._opened.wait(OPEN_TIMEOUT_S):
            raise ToolUnavailable("nearcode is still loading its model; try again shortly")
        if self._error is not None or self.ws is None:
            raise ToolUnavailable(self._error or "nearcode did not start")
        ws = self.ws
        notes: list[str] = []
        if not self._initial.wait(INITIAL_WAIT_S):
            p = self._progress
            if p.stage == "files":
                notes.append(f"The workspace is still being indexed ({p.done} of "
                             f"{p.total or '?'} files): results may be incomplete.")
            else:  # the lexical tier is written: every file is found by its words
                notes.append(f"The workspace is still being embedded ({p.done} of {p.total} "
                             "chunks): every file is searchable by its words, by meaning "
                             "once embedded.")
        else:
            self.last_sync = sync_unless_served(ws, SYNC_WAIT_S)
            if "busy" in self.last_sync.folders.values():
                notes.append("Another nearcode process is still updating the index: results "
                             "may miss its latest changes.")
        other = other_model(ws) if self.last_sync.served else None
        if other is not None:
            raise ToolUnavailable(
                f"the index of {other[0]} is kept by a running `nearcode serve` with model "
                f"{other[1]}, but this MCP server loaded {ws.embedder.model_id}: start "
                "`nearcode mcp` with the editor's model (--model) so both read the same vectors")
        return ws, notes

    def locate(self, ws: Workspace, raw: object, name: str = "path") -> Located:
        """The file an agent named (relative to the workspace root, or absolute), if it lies
        inside the workspace and is a file nearcode indexes; ToolInputError otherwise."""
        if not isinstance(raw, str) or not raw.strip():
            raise ToolInputError(f"'{name}' must be a file path relative to the workspace root")
        given = Path(raw.strip()).expanduser()
        joined = given if given.is_absolute() else self.root / given
        lexical = Path(os.path.normpath(joined))  # `..` taken away as written
        resolved = joined.resolve()  # and as the file system sees it (symlinks)
        if not (lexical.is_relative_to(self.root) and resolved.is_relative_to(self.root)):
            raise ToolInputError(f"'{raw}' is outside the workspace ({self.root}); nearcode "
                                 "reads only files inside it")
        found = ws.folder_for(resolved)
        if found is None:
            raise ToolInputError(f"'{raw}' is outside the workspace ({self.root})")
        if not resolved.exists():
            raise ToolInputError(f"there is no file '{raw}' in the workspace")
        if resolved.is_dir():
            raise ToolInputError(f"'{raw}' is a folder, not a file")
        folder = found[0]
        rel = lexical.relative_to(folder.root).as_posix() if lexical.is_relative_to(
            folder.root) else found[1]
        reason = folder.indexer.filter.skip_reason(rel)
        if reason is None and found[1] != rel:
            reason = folder.indexer.filter.skip_reason(found[1])
        if reason is not None:
            raise ToolInputError(f"'{rel}' is not indexed ({reason}), so nearcode does not "
                                 "read it")
        return Located(folder, rel, resolved)

    def _relative_title(self, n: int, what: str) -> str:
        return (f"{n} {what} in {self.root} (best first; paths relative to that folder, lines "
                "1-based and inclusive)")

    def _render(self, title: str, hits: list[Hit], notes: list[str],
                code_chars: int = payload.CODE_CHARS_PER_HIT, empty: str = "No results.") -> str:
        head = "\n".join([*notes, title])
        return payload.render(head, hits, code_chars, empty=empty)

    # -- the tools

    def search_code(self, query: object, limit: object = None, paths: object = None,
                    languages: object = None) -> str:
        """Ranked chunks for a description of code (or an identifier)."""
        text = _query(query, "query")
        n = _int(limit, "limit", SEARCH_LIMIT, 1, MAX_SEARCH_LIMIT)
        globs = _globs(paths)
        langs = _languages(languages)
        with self._calls:
            ws, notes = self._workspace()
            hits = ws.retriever.search(text, n, langs, globs)
        shown = text if len(text) <= TITLE_QUERY_CHARS else text[: TITLE_QUERY_CHARS - 1] + "…"
        title = self._relative_title(len(hits), f"results for {shown!r}")
        empty = ("No code matched. Try other words, or fewer filters."
                 if globs or langs else "No code matched. Try other words.")
        return self._render(title, hits, notes, empty=empty)

    def find_similar_code(self, path: object = None, line: object = None,
                          end_line: object = None, code: object = None,
                          limit: object = None) -> str:
        """Chunks like the definition at `path`:`line`, like lines `line`..`end_line`, like
        the whole file, or like `code`."""
        n = _int(limit, "limit", SEARCH_LIMIT, 1, MAX_SEARCH_LIMIT)
        if code is not None and path is not None:
            raise ToolInputError("give either 'path' (with 'line') or 'code', not both")
        if code is None and path is None:
            raise ToolInputError("give 'path' (a file in the workspace, with 'line' for the "
                                 "definition there) or 'code'")
        if code is not None:
            if line is not None or end_line is not None:
                raise ToolInputError("'line' and 'end_line' go with 'path', not with 'code'")
            snippet = _query(code, "code")
            with self._calls:
                ws, notes = self._workspace()
                hits = ws.retriever.similar(snippet, n)
            return self._render(self._relative_title(len(hits), "chunks like the given code"),
                                hits, notes)
        start = _int(line, "line", None, 1, 10_000_000)
        end = _int(end_line, "end_line", None, 1, 10_000_000)
        if end is not None and start is None:
            raise ToolInputError("'end_line' needs 'line'")
        if end is not None and start is not None and end < start:
            raise ToolInputError(f"'end_line' ({end}) is before 'line' ({start})")
        with self._calls:
            ws, notes = self._workspace()
            where = self.locate(ws, path)
            try:
                hits = similar_at(ws, where.path, read_text(where.path), start,
                                  end if end is not None else start, n,
                                  whole_chunk=start is not None and end is None)
            except (LocationError, WorkspaceError) as exc:
                raise ToolInputError(str(exc)) from exc
        span = "" if start is None else f":{start}" + (f"-{end}" if end is not None else "")
        return self._render(self._relative_title(len(hits), f"chunks like {where.rel}{span}"),
                            hits, notes)

    def completion_context(self, path: object, line: object, character: object = None,
                           max_chars: object = None, limit: object = None) -> str:
        """Definitions from other files that code written at path:line:character needs."""
        row = _int(line, "line", None, 1, 10_000_000)
        if row is None:
            raise ToolInputError("'line' is required (1-based)")
        budget = _int(max_chars, "max_chars", CONTEXT_CHARS, 200, MAX_CONTEXT_CHARS)
        n = _int(limit, "limit", CONTEXT_LIMIT, 1, MAX_CONTEXT_LIMIT)
        with self._calls:
            ws, notes = self._workspace()
            where = self.locate(ws, path)
            try:
                text = read_text(where.path)
            except LocationError as exc:  # gone or unreadable since it was checked
                raise ToolInputError(str(exc)) from exc
            lines = text.split("\n")
            if row > len(lines):
                raise ToolInputError(f"{where.rel} has {len(lines)} lines; line {row} is past "
                                     "the end")
            width = len(lines[row - 1])
            col = _int(character, "character", width, 0, 10_000_000)
            if col > width:
                raise ToolInputError(f"line {row} of {where.rel} has {width} characters; "
                                     f"character {col} is past its end")
            rel = where.path.relative_to(where.folder.root).as_posix()
            hits = completion.completion_context(ws, where.folder, rel, text, row - 1, col, n,
                                                 budget)
        title = self._relative_title(len(hits), f"definitions from other files for code at "
                                                f"{where.rel}:{row}:{col}")
        return self._render(title, hits, notes, code_chars=budget,
                            empty="Nothing from other files matches this place.")

    def index_status(self) -> str:
        """What the index holds and who keeps it fresh."""
        with self._calls:
            ws, notes = self._workspace()
            files, chunks = ws.counts()
            embedded = chunks - ws.unembedded()
            by_server = served(ws)
            db = ws.folders[0].store.path
        state = "indexing" if not self._initial.is_set() else "idle"
        writer = ("a running `nearcode serve` (this server only reads)" if by_server else
                  "this server (it syncs changed files before each call)")
        out = [*notes, f"workspace: {self.root}", f"index: {db}", f"state: {state}",
               f"files: {files}", f"chunks: {chunks} ({embedded} embedded; the others are "
               "found by their words until then)", f"model: {ws.embedder.model_id}",
               f"kept up to date by: {writer}"]
        return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- arguments


def _query(raw: object, name: str) -> str:
    if raw is None:
        raise ToolInputError(f"'{name}' is required")
    if not isinstance(raw, str):
        raise ToolInputError(f"'{name}' must be a string")
    if not raw.strip():
        raise ToolInputError(f"'{name}' must not be empty")
    if len(raw) > MAX_QUERY_CHARS:
        raise ToolInputError(f"'{name}' is longer than {MAX_QUERY_CHARS} characters")
    return raw


@overload
def _int(raw: object, name: str, default: int, lo: int, hi: int) -> int: ...
@overload
def _int(raw: object, name: str, default: None, lo: int, hi: int) -> int | None: ...
def _int(raw: object, name: str, default: int | None, lo: int, hi: int) -> int | None:
    """An integer argument within lo..hi (`default` when absent)."""
    if raw is None:
        return default
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise ToolInputError(f"'{name}' must be an integer")
    if not lo <= raw <= hi:
        raise ToolInputError(f"'{name}' must be between {lo} and {hi}, got {raw}")
    return raw


def _strings(raw: object, name: str) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise ToolInputError(f"'{name}' must be a list of strings")
    return list(raw)


def _globs(raw: object) -> list[str]:
    """Gitignore-style path globs, each checked now (a bad one is the caller's mistake)."""
    globs = _strings(raw, "paths")
    for glob in globs:
        if not glob.strip():
            raise ToolInputError("'paths' holds an empty glob")
        try:
            pathspec.GitIgnoreSpec.from_lines([glob])
        except Exception as exc:
            raise ToolInputError(f"'paths' holds a bad glob {glob!r}: {exc}") from exc
    return globs


def _languages(raw: object) -> list[str]:
    try:
        return [check_language(lang) for lang in _strings(raw, "languages")]
    except UnknownLanguageError as exc:
        raise ToolInputError(f"'languages': {exc}") from exc
