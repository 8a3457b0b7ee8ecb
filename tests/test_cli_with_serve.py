"""`nearcode search` and `nearcode similar` beside a running `nearcode serve` on the same
workspace: answered by the server (app/endpoint.py) without importing numpy, SQLite or the
model, and exactly what the CLI prints on its own once the server is gone.

The LSP server is the real one, started as in test_mcp_with_serve.py (fake embedder, this test's
cache dir); the CLI runs as a child process, as a user runs it.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from e2e.conftest import SERVER, capabilities
from lsprotocol import types as t
from nearcode.app.endpoint import address
from nearcode.cli import main
from nearcode.cli.options import EXIT_USAGE
from pytest_lsp import ClientServerConfig
from test_mcp_with_serve import start_serve, stop_serve

REPO = Path(__file__).resolve().parent.parent
FAKE = ["--model", "fake"]
HEAVY = ("numpy", "sqlite_utils", "sqlite3", "onnxruntime", "tree_sitter", "pathspec")
ANSWERED = "answered by the running nearcode server"
# the CLI in a child process, which then says which heavy modules it imported
CLI = ("import sys; from nearcode.cli import main; code = main(sys.argv[1:]); "
       f"print('imported:', sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr); "
       "sys.exit(code)")

# (the folder the CLI runs in, its arguments)
COMMANDS = [
    (".", ["search", "debounce file system events", "-k", "5"]),
    (".", ["search", "fuse the rankings", "--lang", "Python", "--path", "search/**"]),
    (".", ["search", "wait until the index is idle", "--no-tests", "-k", "3"]),
    (".", ["similar", "search/similar.py:41"]),
    (".", ["similar", "app/watch.py:60-70", "-k", "4"]),
    (".", ["similar", "code/roles.py"]),
    ("search", ["search", "rank definitions"]),  # the same workspace; paths shown from here
]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A repository holding a few of nearcode's own folders."""
    root = tmp_path / "ws"
    for part in ("app", "search", "code"):
        shutil.copytree(REPO / "server" / "nearcode" / part, root / part,
                        ignore=shutil.ignore_patterns("__pycache__"))
    (root / ".git").mkdir()
    return root.resolve()


def cli(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """`nearcode -v ARGV` in a child process in `cwd`."""
    return subprocess.run([sys.executable, "-c", CLI, "-v", *argv], cwd=cwd, text=True,
                          capture_output=True, timeout=120)


def here(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The CLI in this process (no server runs: it searches itself)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def test_cli_answers_through_the_server_as_it_would_alone(
        ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    lsp = await start_serve(ws)
    try:
        served = {}
        for folder, argv in COMMANDS:
            for output in ([], ["--json"]):
                done = cli(ws / folder, *argv, *output, *FAKE)
                assert done.returncode == 0, done.stderr
                assert ANSWERED in done.stderr, done.stderr
                assert "imported: []" in done.stderr, done.stderr
                served[(folder, *argv, *output)] = done.stdout
        # what the server cannot answer alike is left to the CLI: another index file
        done = cli(ws, "search", "debounce", "--db", str(ws.parent / "other.db"), *FAKE)
        assert done.returncode == 0 and ANSWERED not in done.stderr, done.stderr
        assert (ws.parent / "other.db").is_file()
        # the user's errors read as they do without a server
        for argv, words in ((["search", " "], "the query is empty"),
                            (["search", "x", "--lang", "klingon"], "unknown language"),
                            (["search", "x", "--path", "!"], "bad path glob '!'"),
                            (["search", "x", "-k", "0"], "-k must be at least 1"),
                            (["similar", "search/similar.py:999"], "past the end"),
                            (["similar", "../other.db"], "outside the workspace")):
            done = cli(ws, *argv, *FAKE)
            assert done.returncode == EXIT_USAGE and not done.stdout, done.stderr
            assert done.stderr.count("nearcode: error:") == 1 and words in done.stderr
    finally:
        await stop_serve(lsp)
    assert not address(ws).exists()  # removed at shutdown: the CLI now searches alone

    for folder, argv in COMMANDS:
        monkeypatch.chdir(ws / folder)
        for output in ([], ["--json"]):
            code, out, err = here(capsys, *argv, *output, *FAKE)
            assert code == 0, err
            assert out == served[(folder, *argv, *output)], argv
            assert ANSWERED not in err
    assert len(json.loads(served[(".", *COMMANDS[0][1], "--json")])["results"]) == 5


async def test_cli_answers_while_the_server_is_still_embedding(ws: Path) -> None:
    """The lexical tier: every file is written with its words before the (slow) model has
    embedded it; the CLI is answered by the server then, not held until embedding ends, and
    told that some code is found by its words only."""
    env = {**os.environ, "NEARCODE_FAKE_EMBED_DELAY_S": "0.1"}
    client = await ClientServerConfig(server_command=SERVER, server_env=env).start()
    try:
        await client.initialize_session(t.InitializeParams(
            capabilities=capabilities(), root_uri=ws.as_uri(),
            workspace_folders=[t.WorkspaceFolder(ws.as_uri(), ws.name)]))
        for _ in range(1200):  # every file written with its words (the first tier)
            s = await client.protocol.send_request_async("nearcode/indexStatus", {})
            if s.chunks and not s.pendingFiles and s.chunksEmbedded < s.chunks:
                break
            await asyncio.sleep(0.05)
        assert s.chunks and not s.pendingFiles and s.chunksEmbedded < s.chunks, s
        done = await asyncio.to_thread(cli, ws, "search", "debounce file system events", *FAKE)
        after = await client.protocol.send_request_async("nearcode/indexStatus", {})
        assert done.returncode == 0, done.stderr
        assert ANSWERED in done.stderr and "still embedding" in done.stderr, done.stderr
        assert "watch.py" in done.stdout
        assert after.chunksEmbedded < after.chunks  # answered before embedding was over
    finally:
        await stop_serve(client)
