"""`nearcode mcp`: the Model Context Protocol server. Tool definitions only: names,
descriptions and argument schemas for the agent; the work is in tools.py.

stdio by default (the SDK keeps stdout for the protocol and sends stray output to stderr; logs
go to stderr), streamable HTTP on 127.0.0.1 with `--http`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import Field, ValidationError

from .. import __version__
from ..code.languages import BY_NAME
from ..config import Settings
from ..errors import NearcodeError
from ..index.folder import WorkspaceError
from ..index.scope import special_folder, vcs_root
from . import payload
from .tools import (
    CONTEXT_CHARS,
    CONTEXT_LIMIT,
    MAX_CONTEXT_CHARS,
    MAX_CONTEXT_LIMIT,
    MAX_SEARCH_LIMIT,
    SEARCH_LIMIT,
    NearcodeTools,
)

log = logging.getLogger(__name__)

READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
LANGUAGES = ", ".join(sorted(BY_NAME))
BUDGET = (f"Each result is plain text of at most {payload.MAX_RESULT_CHARS:,} characters "
          f"(code cut after {payload.CODE_CHARS_PER_HIT:,} characters per hit, at a line end).")

INSTRUCTIONS = """\
nearcode searches this workspace's code by meaning, offline, with an index it keeps up to date.
Use search_code to find where something is done ("where do we retry failed uploads?") before
grepping; find_similar_code to find code like a given function (duplicates, other
implementations, callers' patterns); completion_context for the definitions from other files
that code written at a place needs. Paths are relative to the workspace root; lines are
1-based and inclusive."""


class Refused(ToolError):
    """A call nearcode turns down (bad arguments, nothing to answer with), with why."""


class NearcodeMCP(MCPServer[Any]):
    """MCPServer whose tool errors read as one line: the tool, then what is wrong."""

    async def call_tool(self, name: str, arguments: dict[str, Any],
                        context: Context[Any, Any] | None = None) -> Any:
        try:
            return await super().call_tool(name, arguments, context)
        except UnexpectedToolError:
            raise
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                raise ToolError(argument_error(name, exc.__cause__)) from None
            if isinstance(exc.__cause__, Refused):
                raise ToolError(f"{name}: {exc.__cause__}") from None
            raise


def argument_error(tool: str, exc: ValidationError) -> str:
    """`search_code: 'query' is required` from pydantic's report (its first problem)."""
    errors = exc.errors()
    first = errors[0]
    field = ".".join(str(part) for part in first["loc"]) or "arguments"
    if first["type"] == "missing":
        problem = f"'{field}' is required"
    else:
        msg = str(first["msg"])
        problem = f"'{field}': {msg[:1].lower()}{msg[1:]}"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{tool}: {problem}{more}"


def _answer(run: Any, *args: Any) -> CallToolResult:
    """Run a tool's logic; expected failures become a tool error with their message."""
    from mcp_types import TextContent

    try:
        text = run(*args)
    except NearcodeError as exc:  # bad input or unavailable: the agent reads why
        raise Refused(str(exc)) from exc
    return CallToolResult(content=[TextContent(type="text", text=text)])


def create_server(tools: NearcodeTools) -> MCPServer[Any]:
    """The MCP server with nearcode's four tools over `tools`."""

    @asynccontextmanager
    async def lifespan(_: MCPServer[Any]) -> AsyncIterator[None]:
        tools.start()  # the model loads and the index syncs in the background
        try:
            yield
        finally:
            tools.close()

    mcp = NearcodeMCP("nearcode", version=__version__, instructions=INSTRUCTIONS,
                      lifespan=lifespan, log_level="WARNING")

    @mcp.tool(annotations=READ_ONLY, description=(
        "Find code in the workspace by what it does: a natural-language description "
        "(\"retry a failed upload with backoff\") or an identifier. Returns ranked "
        "definitions (functions, methods, classes), best first, each with its path, 1-based "
        "line range, symbol, kind, score and code. Prefer it to grep when you do not know "
        f"the exact names. {BUDGET}"))
    def search_code(
        query: Annotated[str, Field(description="What the code does, in words, or a name.")],
        limit: Annotated[int, Field(ge=1, le=MAX_SEARCH_LIMIT,
                                    description="How many results.")] = SEARCH_LIMIT,
        paths: Annotated[list[str] | None, Field(description=(
            "Only files matching any of these gitignore-style globs, relative to the "
            "workspace root (e.g. [\"src/**\", \"*.py\"]); a glob starting with ! leaves "
            "files out (e.g. [\"!tests/**\"]: everything but the tests)."))] = None,
        languages: Annotated[list[str] | None, Field(description=(
            f"Only these languages; one of: {LANGUAGES}."))] = None,
    ) -> CallToolResult:
        return _answer(tools.search_code, query, limit, paths, languages)

    @mcp.tool(annotations=READ_ONLY, description=(
        "Find code like a given piece of code: near-duplicates, other implementations of the "
        "same thing, code written the same way. Give `path` and `line` for the definition "
        "that holds that line (add `end_line` to use exactly lines line..end_line; `path` "
        "alone uses the whole file), or give `code` itself. The query's own code is left "
        f"out of the results. {BUDGET}"))
    def find_similar_code(
        path: Annotated[str | None, Field(description=(
            "A file in the workspace, relative to its root."))] = None,
        line: Annotated[int | None, Field(ge=1, description="1-based line in `path`.")] = None,
        end_line: Annotated[int | None, Field(ge=1, description=(
            "Last line (1-based, inclusive) of a range starting at `line`."))] = None,
        code: Annotated[str | None, Field(description=(
            "Code to compare, instead of `path`."))] = None,
        limit: Annotated[int, Field(ge=1, le=MAX_SEARCH_LIMIT,
                                    description="How many results.")] = SEARCH_LIMIT,
    ) -> CallToolResult:
        return _answer(tools.find_similar_code, path, line, end_line, code, limit)

    @mcp.tool(annotations=READ_ONLY, description=(
        "The definitions from other files of the workspace that code written at a place "
        "needs: what its imports name, what `module.` before the cursor points into, and "
        "what the lines above it resemble. Call it before writing or completing code at "
        "path:line to see the APIs it will use. Whole snippets, best first, within "
        "`max_chars` characters of code."))
    def completion_context(
        path: Annotated[str, Field(description="The file, relative to the workspace root.")],
        line: Annotated[int, Field(ge=1, description="1-based line of the cursor.")],
        character: Annotated[int | None, Field(ge=0, description=(
            "Characters of the line before the cursor (0 = start of the line); default: "
            "the end of the line."))] = None,
        max_chars: Annotated[int, Field(ge=200, le=MAX_CONTEXT_CHARS, description=(
            "At most this many characters of code in all."))] = CONTEXT_CHARS,
        limit: Annotated[int, Field(ge=1, le=MAX_CONTEXT_LIMIT,
                                    description="At most this many snippets.")] = CONTEXT_LIMIT,
    ) -> CallToolResult:
        return _answer(tools.completion_context, path, line, character, max_chars, limit)

    @mcp.tool(annotations=READ_ONLY, description=(
        "What nearcode's index of the workspace holds (files, chunks, model), whether it is "
        "still being built, and which process keeps it up to date."))
    def index_status() -> CallToolResult:
        return _answer(tools.index_status)

    return mcp


def check_workspace(root: Path, implicit: bool, yes: bool = False) -> Path:
    """`root`, unless it is the file system's root, the home folder (or above) or a system
    folder (index/scope.py), where indexing everything below it is never what was meant: some
    clients start servers in the home folder before a project is open. An explicit folder of
    that kind is served with `yes` (`nearcode mcp --yes PATH`); a folder that is merely not
    version-controlled, or large, is served (the agent named it) with a warning."""
    problem = special_folder(root)
    if problem and not (yes and not implicit):
        if implicit:
            raise WorkspaceError(
                f"nearcode mcp was started in {root}, not in a project (it {problem}): give "
                "the workspace folder (`nearcode mcp /path/to/project`; in VS Code and Cursor "
                "`${workspaceFolder}`)")
        raise WorkspaceError(f"{root} {problem}, not a project: give a project folder, or add "
                             "--yes to serve this one anyway")
    if not problem and vcs_root(root) is None:
        log.warning("nearcode mcp: %s is not version-controlled; indexing everything below it",
                    root)
    return root


def run(root: Path, settings: Settings, http: bool = False, port: int = 8765) -> None:
    """Serve until the client disconnects (stdio) or the process is stopped (HTTP)."""
    mcp = create_server(NearcodeTools(root, settings))
    if http:
        log.warning("nearcode mcp: streamable HTTP on http://127.0.0.1:%d/mcp", port)
        mcp.run("streamable-http", host="127.0.0.1", port=port)
    else:
        mcp.run("stdio")
