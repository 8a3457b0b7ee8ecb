"""A client nobody here wrote: the MCP Inspector in CLI mode lists nearcode's tools (with its
schema portability check) and calls them over stdio against `nearcode mcp`.

The Inspector is pinned in tests/clients/mcp-inspector/package.json and installed there by
`scripts/install.sh --test`. Skipped when npx or the Inspector is missing, unless
NEARCODE_REQUIRE_CLIENTS=1 (set by scripts/test.sh): then the test fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"
INSPECTOR = HERE / "mcp-inspector"
SERVER_SRC = HERE.parent.parent / "server"


def inspector() -> list[str]:
    npx = shutil.which("npx")
    installed = (INSPECTOR / "node_modules" / "@modelcontextprotocol" / "inspector").is_dir()
    if npx is None or not installed:
        missing = "npx" if npx is None else f"the MCP Inspector in {INSPECTOR}"
        if os.environ.get("NEARCODE_REQUIRE_CLIENTS") == "1":
            pytest.fail(f"{missing} is not installed (scripts/install.sh --test installs it)")
        pytest.skip(f"{missing} is not installed")
    return [npx, "--no-install", "@modelcontextprotocol/inspector", "--cli"]


@pytest.fixture
def run_cli(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run the Inspector CLI against `nearcode mcp` on a copy of tests/data/server_ws; returns
    (exit code, parsed JSON output, stderr)."""
    base = inspector()
    ws = tmp_path / "ws"
    shutil.copytree(DATA / "server_ws", ws)
    server_env = {
        "PYTHONPATH": os.pathsep.join(p for p in (str(SERVER_SRC),
                                                  os.environ.get("PYTHONPATH")) if p),
        **{k: os.environ[k] for k in ("NEARCODE_CACHE_DIR", "NEARCODE_CONFIG_DIR",
                                      "HF_HUB_OFFLINE") if k in os.environ},
    }
    env = dict(os.environ, MCP_CATALOG_PATH=str(tmp_path / "inspector-catalog.json"))

    def run(*args: str) -> tuple[int, Any, str]:
        cmd = [*base, *[f"-e{k}={v}" for k, v in server_env.items()], "--cwd", str(ws),
               sys.executable, "-m", "nearcode", "mcp", str(ws), "--model", "fake", *args]
        proc = subprocess.run(cmd, cwd=INSPECTOR, env=env, capture_output=True, text=True,
                              timeout=180)
        try:
            out = json.loads(proc.stdout)
        except json.JSONDecodeError:
            raise AssertionError(f"not JSON (rc={proc.returncode}): {proc.stdout[-1500:]}\n"
                                 f"{proc.stderr[-1500:]}") from None
        return proc.returncode, out, proc.stderr

    return run


@pytest.mark.slow
def test_inspector_lists_the_tools_with_portable_schemas(run_cli) -> None:  # type: ignore[no-untyped-def]
    rc, out, err = run_cli("--method", "tools/list", "--strict")
    assert rc == 0, err  # --strict exits 6 on a schema other clients could not use
    names = {tool["name"] for tool in out["tools"]}
    assert names == {"search_code", "find_similar_code", "completion_context", "index_status"}
    search = next(tool for tool in out["tools"] if tool["name"] == "search_code")
    assert search["inputSchema"]["required"] == ["query"]


@pytest.mark.slow
def test_inspector_calls_search_code(run_cli) -> None:  # type: ignore[no-untyped-def]
    rc, out, err = run_cli("--method", "tools/call", "--tool-name", "search_code",
                           "--tool-arg", "query=convert celsius to fahrenheit",
                           "--tool-arg", "limit=3")
    assert rc == 0, err
    assert out["isError"] is False
    text = out["content"][0]["text"]
    first = text.splitlines()[1]
    assert first.startswith("1. pkg/text.py:18-19  TemperatureConverter.celsius_to_fahrenheit")
    assert text.count("\n1. ") + text.count("\n2. ") + text.count("\n3. ") == 3


@pytest.mark.slow
def test_inspector_sees_a_bad_argument_as_a_tool_error(run_cli) -> None:  # type: ignore[no-untyped-def]
    _, out, _ = run_cli("--method", "tools/call", "--tool-name", "find_similar_code",
                        "--tool-arg", "path=../../etc/passwd", "--tool-arg", "line=1")
    assert out["isError"] is True
    assert "outside the workspace" in out["content"][0]["text"]
