"""The CLI's endpoint of a running server (app/endpoint.py, app/endpoint_server.py): a request
that is not what the CLI sends gets an error reply and the server keeps answering; the CLI
searches itself when the socket is stale, the reply broken or an error, or the socket's folder
is not the user's alone. With the fake embedder, in this process (test_cli_with_serve.py runs
the real server)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import DATA
from nearcode.app import endpoint, endpoint_server
from nearcode.app.endpoint_server import EndpointServer
from nearcode.app.watch import Watcher
from nearcode.app.worker import IndexService
from nearcode.app.workspace import Workspace
from nearcode.cli import main
from nearcode.config import Settings

pytestmark = pytest.mark.skipif(not endpoint.SUPPORTED, reason="no Unix domain sockets")

FAKE = ["--model", "fake"]


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the retrieval fixture's app folder, a repository, as the current folder."""
    root = tmp_path / "ws"
    shutil.copytree(DATA / "retrieval" / "app", root)
    (root / ".git").mkdir()
    monkeypatch.chdir(root)
    return root.resolve()


@pytest.fixture
def served(ws: Path) -> Iterator[EndpointServer]:
    """The endpoint of a server on `ws`, its index complete."""
    workspace = Workspace([ws], Settings(model="fake"))
    service = IndexService(workspace)
    watcher = Watcher(workspace.folders, service.schedule_paths, service.schedule_sync)
    service.start()
    watcher.start()
    assert service.wait_idle(60)
    server = EndpointServer(workspace, service, watcher)
    server.start()
    yield server
    server.stop()
    watcher.stop()
    service.stop()
    workspace.close()


def exchange(root: Path, payload: bytes) -> dict[str, Any]:
    """Send raw bytes to the endpoint of `root`; its reply."""
    path = endpoint.address(root)
    assert path is not None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(str(path))
        try:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
        except OSError:  # it stopped reading at its limit; the reply is there
            pass
        return endpoint.receive(sock, endpoint.MAX_REPLY)


def search_request(ws: Path, **change: Any) -> dict[str, Any]:
    request = {"op": "search", "root": str(ws), "cwd": str(ws), "overrides": {"model": "fake"},
               "k": 3, "query": "count words", "languages": [], "paths": []}
    return {**request, **change}


@pytest.mark.parametrize("payload", [
    b"",
    b"not json",
    b"\xff\xfe",
    b"[1, 2]",
    b'"search"',
    json.dumps({"op": "delete"}).encode(),
    json.dumps({"op": "search"}).encode(),
    b"{" * 10_000,
    b" " * (endpoint.MAX_REQUEST + 1),
])
def test_malformed_requests_get_an_error_reply(ws: Path, served: EndpointServer,
                                               payload: bytes) -> None:
    reply = exchange(ws, payload)
    assert reply["ok"] is False and reply["error"] == "bad request", reply
    good = exchange(ws, json.dumps(search_request(ws)).encode())  # still answering
    assert good["ok"] is True and len(good["hits"]) == 3


@pytest.mark.parametrize("change,error", [
    ({"k": "3"}, "bad request"),
    ({"k": True}, "bad request"),
    ({"languages": "python"}, "bad request"),
    ({"root": "ws"}, "bad request"),
    ({"overrides": None}, "bad request"),
    ({"query": "  "}, "invalid"),
    ({"k": 0}, "invalid"),
    ({"languages": ["klingon"]}, "invalid"),
    ({"paths": ["!"]}, "invalid"),
    ({"root": "/elsewhere"}, "not served"),
    ({"overrides": {"model": "base"}}, "not served"),
    ({"overrides": {"model": "fake", "db_path": "/tmp/another.db"}}, "not served"),
    ({"overrides": {"model": "fake", "lexical_weight": 2.0}}, "not served"),
])
def test_requests_it_does_not_answer(ws: Path, served: EndpointServer, change: dict[str, Any],
                                     error: str) -> None:
    reply = exchange(ws, json.dumps(search_request(ws, **change)).encode())
    assert reply["ok"] is False and reply["error"] == error, reply


def test_similar_reads_nothing_outside_the_workspace(ws: Path, tmp_path: Path,
                                                     served: EndpointServer) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("def count_words(text):\n    return len(text.split())\n")
    request = {"op": "similar", "root": str(ws), "cwd": str(ws), "overrides": {"model": "fake"},
               "k": 3, "file": str(outside), "start": None, "end": None}
    reply = exchange(ws, json.dumps(request).encode())
    assert reply["ok"] is False and reply["error"] == "invalid", reply
    inside = exchange(ws, json.dumps({**request, "file": str(ws / "text_utils.py")}).encode())
    assert inside["ok"] is True and inside["hits"]


def test_a_query_without_tests_is_answered(ws: Path, served: EndpointServer) -> None:
    reply = exchange(ws, json.dumps(search_request(
        ws, overrides={"model": "fake", "include_tests": False})).encode())
    assert reply["ok"] is True and reply["hits"]


def test_a_change_the_watcher_saw_is_in_the_answer(ws: Path, served: EndpointServer) -> None:
    (ws / "fresh.py").write_text("def zebra_quasar_blend(left, right):\n    return left\n")
    deadline = time.monotonic() + 30
    while served.watcher.settled():  # until it sees the write (then it waits QUIET for more)
        assert time.monotonic() < deadline, "the watcher never saw the write"
        time.sleep(0.002)
    reply = exchange(ws, json.dumps(search_request(ws, query="zebra quasar blend")).encode())
    assert reply["ok"] is True and reply["note"] is None
    assert reply["hits"][0]["path"] == "fresh.py"


def test_an_answer_before_the_changes_are_indexed_says_so(
        ws: Path, served: EndpointServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(endpoint_server, "FRESH_WAIT_S", 0.2)
    monkeypatch.setattr(served.watcher, "settled", lambda: False)  # events keep coming
    reply = exchange(ws, json.dumps(search_request(ws)).encode())
    assert reply["ok"] is True and reply["hits"]
    assert "still indexing" in reply["note"]


def test_the_socket_is_the_users_alone(ws: Path, served: EndpointServer) -> None:
    path = endpoint.address(ws)
    assert path is not None
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert os.stat(path.parent).st_mode & 0o777 == 0o700


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["-v", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_asks_a_running_server(ws: Path, served: EndpointServer,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "search", "count words", *FAKE)
    assert code == 0 and "answered by the running nearcode server" in err
    assert "text_utils.py" in out


def test_a_stale_socket_is_passed_over(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = endpoint.address(ws)
    assert path is not None and endpoint.make_private(path.parent)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as gone:  # its server died
        gone.bind(str(path))
    assert path.exists()
    code, out, err = cli(capsys, "search", "count words", *FAKE)
    assert code == 0 and "text_utils.py" in out, err
    assert "answered by" not in err


def _one_reply_server(path: Path, reply: bytes) -> threading.Thread:
    """A fake server on `path` that answers one request with `reply`."""
    endpoint.make_private(path.parent)
    listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listening.bind(str(path))
    listening.listen(1)

    def answer() -> None:
        with listening:
            conn, _ = listening.accept()
            with conn:
                endpoint.receive(conn, endpoint.MAX_REQUEST)
                conn.sendall(reply)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("reply", [
    b"garbage",
    json.dumps({"ok": False, "error": "internal", "message": "a bug"}).encode(),
    json.dumps({"ok": True, "hits": [{"path": "x.py"}], "warnings": []}).encode(),
    json.dumps({"ok": True, "hits": 3, "warnings": []}).encode(),
    json.dumps({"ok": True}).encode(),
])
def test_a_broken_or_error_reply_is_passed_over(ws: Path, capsys: pytest.CaptureFixture[str],
                                                reply: bytes) -> None:
    path = endpoint.address(ws)
    assert path is not None
    thread = _one_reply_server(path, reply)
    code, out, err = cli(capsys, "search", "count words", *FAKE)
    thread.join(10)
    assert not thread.is_alive()  # it was asked
    assert code == 0 and "text_utils.py" in out, err
    assert "answered by" not in err


def test_a_folder_others_can_enter_is_not_asked(ws: Path) -> None:
    path = endpoint.address(ws)
    assert path is not None
    reply = {"ok": True, "hits": [], "warnings": []}
    thread = _one_reply_server(path, json.dumps(reply).encode())
    os.chmod(path.parent, 0o755)
    assert endpoint.ask(ws, search_request(ws)) is None
    os.chmod(path.parent, 0o700)
    assert endpoint.ask(ws, search_request(ws)) == reply
    thread.join(10)
