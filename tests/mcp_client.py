"""The MCP SDK's own client against `python -m nearcode mcp`, for the MCP tests.

The server runs as a subprocess over stdio with the deterministic fake embedder and this test's
cache dir (the SDK's stdio client passes only a few variables on by itself, so the environment
is given in full).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

MCP_COMMAND = [sys.executable, "-m", "nearcode", "mcp"]
# `1. pkg/app.py:10-24  load_config  (function, python, score 0.8123)`
HEADER = re.compile(
    r"^(\d+)\. (\S+):(\d+)-(\d+)(?:  (\S.*?))?  \((\w+), (\w+), score (-?[\d.]+)\)$", re.M)


@dataclass(frozen=True)
class Result:
    """A tool call's answer: its text and whether it is a tool error."""

    text: str
    is_error: bool

    def hits(self) -> list[tuple[str, int, int, str | None, str, str, float]]:
        """(path, start, end, symbol, kind, language, score) of each listed hit, in order."""
        return [(m[2], int(m[3]), int(m[4]), m[5], m[6], m[7], float(m[8]))
                for m in HEADER.finditer(self.text)]

    def paths(self) -> list[str]:
        return [h[0] for h in self.hits()]


class Session:
    """A connected client session with a shorthand for calling a tool."""

    def __init__(self, session: ClientSession) -> None:
        self.session = session

    async def call(self, tool: str, **arguments: object) -> Result:
        res = await self.session.call_tool(tool, arguments)
        text = "".join(getattr(c, "text", "") for c in res.content)
        return Result(text, bool(res.is_error))


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parent.parent / "server")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    return env


@asynccontextmanager
async def mcp_session(root: Path, *args: str, model: str = "fake") -> AsyncIterator[Session]:
    """`nearcode mcp ROOT --model fake ARGS…` over stdio, initialized."""
    params = StdioServerParameters(command=MCP_COMMAND[0],
                                   args=[*MCP_COMMAND[1:], str(root), "--model", model, *args],
                                   env=server_env(), cwd=str(root))
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield Session(session)
