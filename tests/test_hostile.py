"""Hostile input, from the reliability probe of issue #19: a file name that is not UTF-8, a
read-only cache, an index with corrupt pages, and requests that are malformed at every level
(JSON, JSON-RPC, LSP params) all get one clear answer with the documented code, and the server
keeps answering. The CLI and the server run as subprocesses, as a user runs them."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from nearcode import config
from nearcode.lsp.server import create_server
from pygls.exceptions import JsonRpcInternalError
from raw_lsp import RawServer, read_only_prefix

NEARCODE = [sys.executable, "-m", "nearcode"]
DATA = Path(__file__).resolve().parent / "data"
BAD_NAME = b"bad\xff.py"


def cli(*args: str, cwd: Path, prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*(prefix or []), *NEARCODE, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=180, env=dict(os.environ))


def project(root: Path) -> Path:
    """A small repository: three functions in three files."""
    (root / ".git").mkdir(parents=True)
    for name, body in (("a.py", "alpha"), ("m.py", "gamma"), ("z.py", "omega")):
        (root / name).write_text(f"def {body}_value():\n    return '{body}'\n")
    return root.resolve()


def idle(server: RawServer, files: int, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status = server.request("nearcode/indexStatus", {})["result"]
        if status["state"] == "idle" and status["files"] >= files:
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.1)


def messages(server: RawServer, kind: str = "window/showMessage") -> list[str]:
    return [n["params"]["message"] for n in server.notes if n.get("method") == kind]


# ----------------------------------------------------------------------------- file names


@pytest.fixture
def bad_name_project(tmp_path: Path) -> Path:
    root = project(tmp_path / "ws")
    try:
        fd = os.open(os.fsencode(root) + b"/" + BAD_NAME, os.O_CREAT | os.O_WRONLY)
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    os.write(fd, b"def beta_value():\n    return 'beta'\n")
    os.close(fd)
    return root


def test_a_file_name_that_is_not_utf8_is_skipped_by_the_cli(bad_name_project: Path) -> None:
    done = cli("index", "--model", "fake", "--json", cwd=bad_name_project)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["files"] == 3  # every other file
    assert "its name is not valid UTF-8" in done.stderr and "'bad\\udcff.py'" in done.stderr
    found = cli("search", "--model", "fake", "--json", "omega value", cwd=bad_name_project)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["results"][0]["path"].endswith("z.py")


def test_a_file_name_that_is_not_utf8_is_skipped_by_the_server(bad_name_project: Path) -> None:
    server = RawServer("--model", "fake")
    try:
        server.start(bad_name_project)
        assert idle(server, 3)["files"] == 3
        hits = server.request("nearcode/search", {"query": "omega value"})["result"]["results"]
        assert hits[0]["uri"].endswith("/z.py")
        assert not [m for m in messages(server) if "failed" in m]
    finally:
        server.stop()


# ----------------------------------------------------------------------------- requests


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RawServer]:
    """One server on a copy of the e2e fixture workspace, for the malformed-request tests."""
    base = tmp_path_factory.mktemp("hostile")
    root = base / "ws"
    shutil.copytree(DATA / "server_ws", root)
    env = {**os.environ, "NEARCODE_CACHE_DIR": str(base / "cache"),
           "NEARCODE_CONFIG_DIR": str(base / "config")}
    server = RawServer("--model", "fake", env=env)
    server.start(root.resolve())
    idle(server, 1)
    yield server
    server.stop()


def body(method: str, params: str, id_: int) -> bytes:
    return (f'{{"jsonrpc": "2.0", "id": {id_}, "method": "{method}", "params": {params}}}'
            .encode())


MALFORMED: list[tuple[str, Any, int, str]] = [
    # (method, params (OMIT: no params member), code, part of the message)
    ("nearcode/search", "OMIT", -32602, "'query' is required"),
    ("nearcode/findSimilar", "OMIT", -32602, "give 'text'"),
    ("workspace/symbol", "OMIT", -32602, "invalid params for workspace/symbol"),
    ("workspace/symbol", [1, 2], -32602, "invalid params for workspace/symbol"),
    ("workspace/symbol", "query", -32602, "invalid params for workspace/symbol"),
    ("workspace/symbol", {}, -32602, "required field missing @ params.query"),
    ("workspace/symbol", {"query": None}, -32602, "expected str @ params.query"),
    ("workspace/symbol", {"query": 3}, -32602, "expected str @ params.query"),
    ("workspace/executeCommand", {}, -32602, "required field missing @ params.command"),
    ("workspace/executeCommand", {"command": 7}, -32602, "params.command"),
    ("workspace/executeCommand", {"command": "nearcode.reindex",
                                  "arguments": [{"rebuild": "false"}]}, -32602,
     "'rebuild' must be true or false"),
    ("workspace/executeCommand", {"command": "nearcode.reindex", "arguments": ["yes"]}, -32602,
     "one optional argument"),
    ("nearcode/search", {"query": "count \ud800 words"}, -32602, "unpaired surrogate"),
    ("nearcode/search", {"query": "x", "paths": ["[z-a]"]}, -32602, "bad path glob"),
    ("nearcode/search", {"query": "x", "paths": ["\udc80/**"]}, -32602, "unpaired surrogate"),
    ("nearcode/findSimilar", {"text": "def f():\n    return '\udfff'"}, -32602,
     "unpaired surrogate"),
    ("nearcode/noSuchMethod", {}, -32601, "nearcode/noSuchMethod"),
]


@pytest.mark.parametrize("method,params,code,message", MALFORMED)
def test_every_malformed_request_gets_its_code(served: RawServer, method: str, params: Any,
                                               code: int, message: str) -> None:
    reply = served.request(method, params, omit_params=params == "OMIT", timeout=15)
    assert reply["error"]["code"] == code, reply
    assert message in reply["error"]["message"]
    assert "\n" not in reply["error"]["message"] and "data" not in reply["error"]
    still = served.request("nearcode/search", {"query": "count words", "limit": 1}, timeout=15)
    assert still["result"]["results"][0]["symbol"] == "count_words"


def test_broken_json_gets_parse_and_request_errors(served: RawServer) -> None:
    deep = "[" * 5000 + "]" * 5000
    served.send_bytes(body("nearcode/search", f'{{"query": "x", "limit": {deep}}}', 71))
    reply = served.answer(71, timeout=15)
    assert reply["error"]["code"] == -32600 and "nested too deeply" in reply["error"]["message"]
    served.send_bytes(b'{"jsonrpc": "2.0", "id": 72, "method": "nearcode/search", "para')
    reply = served.answer(None, timeout=15)  # the id cannot be read from invalid JSON
    assert reply["error"]["code"] == -32700 and "invalid JSON" in reply["error"]["message"]
    served.send_bytes(b'{"jsonrpc": "2.0", "id": 73, "method": "x", "params": "\xff\xfe"}')
    assert served.answer(None, timeout=15)["error"]["code"] == -32700
    served.send_bytes(b'{"id": 74, "method": "nearcode/search"}')  # not JSON-RPC 2.0
    assert served.answer(74, timeout=15)["error"]["code"] == -32600
    served.send_bytes(b'[1, 2]')
    assert served.answer(None, timeout=15)["error"]["code"] == -32600
    still = served.request("nearcode/search", {"query": "count words", "limit": 1}, timeout=15)
    assert still["result"]["results"][0]["symbol"] == "count_words"


def test_reindex_takes_only_a_real_boolean(served: RawServer) -> None:
    before = idle(served, 1)
    for flag in ("false", 0, None, "true"):
        reply = served.request("workspace/executeCommand", {
            "command": "nearcode.reindex", "arguments": [{"rebuild": flag}]})
        assert reply["error"]["code"] == -32602, (flag, reply)
    reply = served.request("workspace/executeCommand", {
        "command": "nearcode.reindex", "arguments": [{"rebuild": False}]})
    assert reply["result"] == {"scheduled": True, "rebuild": False}
    after = idle(served, before["files"])
    assert after["chunks"] == before["chunks"]


def test_internal_errors_carry_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    protocol = create_server().wire
    sent: list[Any] = []
    protocol._send_data = sent.append  # type: ignore[method-assign]
    try:
        open("/no/such/dir/x")
    except OSError:
        error = JsonRpcInternalError.of(sys.exc_info()).to_response_error()
    assert error.data is not None  # pygls' own reply would carry the traceback
    protocol._send_response(5, None, error)
    reply = sent[0]
    assert reply.error.code == -32603 and reply.error.data is None
    assert reply.error.message == "FileNotFoundError: [Errno 2] No such file or directory: " \
                                  "'/no/such/dir/x'"
    assert "Traceback" in caplog.text or "test_hostile.py" in caplog.text  # logged instead


# ----------------------------------------------------------------------------- the cache


@pytest.fixture
def indexed(tmp_path: Path) -> Path:
    root = project(tmp_path / "ws")
    done = cli("index", "--model", "fake", cwd=root)
    assert done.returncode == 0, done.stderr
    return root


def _read_only(folder: Path) -> list[str]:
    prefix = read_only_prefix(folder)
    if prefix is None:
        pytest.skip("no way to make a folder read-only for root here (unshare)")
    return prefix


def test_cli_answers_from_a_read_only_cache(indexed: Path) -> None:
    prefix = _read_only(config.cache_dir())
    (indexed / "new.py").write_text("def delta_value():\n    return 'delta'\n")  # not indexed
    for args in (["status"], ["search", "omega value", "-k", "1"]):
        done = cli(*args, "--model", "fake", cwd=indexed, prefix=prefix)
        assert done.returncode == 0, done.stderr
        assert "omega" in done.stdout or "files: 3" in done.stdout
    assert "cannot be written" in cli("search", "x", "--model", "fake", cwd=indexed,
                                      prefix=prefix).stderr
    done = cli("index", "--model", "fake", cwd=indexed, prefix=prefix)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "cannot be written" in done.stderr and "internal error" not in done.stderr


def test_cli_with_an_empty_read_only_cache_says_so(tmp_path: Path) -> None:
    root = project(tmp_path / "ws")
    config.cache_dir().mkdir(parents=True, exist_ok=True)
    prefix = _read_only(config.cache_dir())
    done = cli("search", "omega", "--model", "fake", cwd=root, prefix=prefix)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "cannot create the index" in done.stderr and "NEARCODE_CACHE_DIR" in done.stderr


def test_server_answers_from_a_read_only_cache(indexed: Path) -> None:
    server = RawServer("--model", "fake", prefix=_read_only(config.cache_dir()))
    try:
        started = time.monotonic()
        server.start(indexed)
        status = idle(server, 3, timeout=20)
        assert status["files"] == 3 and time.monotonic() - started < 20
        hits = server.request("nearcode/search", {"query": "omega value"})["result"]["results"]
        assert hits[0]["uri"].endswith("/z.py")
        assert [m for m in messages(server) if "cannot be written" in m]
    finally:
        server.stop()


def test_server_with_an_unusable_cache_answers_at_once(tmp_path: Path) -> None:
    root = project(tmp_path / "ws")
    config.cache_dir().mkdir(parents=True, exist_ok=True)
    server = RawServer("--model", "fake", prefix=_read_only(config.cache_dir()))
    try:
        server.start(root)
        started = time.monotonic()
        status = server.request("nearcode/indexStatus", {}, timeout=10)["result"]
        reply = server.request("nearcode/search", {"query": "omega"}, timeout=10)
        assert time.monotonic() - started < 10  # not the 60 s wait of the probe
        assert reply["error"]["code"] == -32603
        assert "cannot create the index" in reply["error"]["message"]
        assert status["state"] in ("indexing", "idle")
        assert idle(server, 0, timeout=10)["state"] == "idle"
        assert [m for m in messages(server) if "cannot create the index" in m]
    finally:
        server.stop()


def corrupt(db: Path) -> None:
    """Random bytes over every page but the first and the last (the schema page survives)."""
    size, page = db.stat().st_size, 4096
    rng = random.Random(19)
    with db.open("r+b") as fh:
        for n in range(1, size // page - 1):
            fh.seek(n * page)
            fh.write(bytes(rng.randrange(256) for _ in range(page)))


def test_cli_rebuilds_an_index_with_corrupt_pages(indexed: Path) -> None:
    db = config.default_db_path(indexed)
    corrupt(db)
    done = cli("search", "omega value", "--model", "fake", cwd=indexed)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "is damaged" in done.stderr and "nearcode index --rebuild" in done.stderr
    done = cli("index", "--rebuild", "--model", "fake", "--json", cwd=indexed)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["files"] == 3
    assert db.with_suffix(".db.corrupt").is_file()
    done = cli("search", "omega value", "--model", "fake", "--json", cwd=indexed)
    assert done.returncode == 0 and json.loads(done.stdout)["results"][0]["path"].endswith("z.py")


def test_server_sets_an_index_with_corrupt_pages_aside(indexed: Path) -> None:
    db = config.default_db_path(indexed)
    corrupt(db)
    server = RawServer("--model", "fake")
    try:
        server.start(indexed)
        assert idle(server, 3)["files"] == 3
        hits = server.request("nearcode/search", {"query": "omega value"})["result"]["results"]
        assert hits[0]["uri"].endswith("/z.py")
        assert db.with_suffix(".db.corrupt").is_file()
    finally:
        server.stop()
