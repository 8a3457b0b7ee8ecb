"""writelock.py: a server's shared lock keeps occasional syncers (nearcode mcp) to reading; an
occasional syncer's exclusive lock makes a starting server wait. In one process, as flock
locks belong to open files: two leases conflict as two processes would."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from nearcode.app.workspace import Workspace
from nearcode.app.writelock import IndexLease, ServerLeases, lock_path, served, sync_unless_served
from nearcode.config import Settings

pytest.importorskip("fcntl")


@pytest.fixture
def ws(tmp_path: Path):  # type: ignore[no-untyped-def]
    root = tmp_path / "ws"
    root.mkdir()
    (root / "a.py").write_text("def first_function():\n    return 1\n")
    workspace = Workspace([root], Settings(model="fake", db_path=str(tmp_path / "index.db")))
    yield workspace
    workspace.close()


def test_lock_file_lies_beside_the_index(ws: Workspace, tmp_path: Path) -> None:
    assert lock_path(ws.folders[0]) == tmp_path / "index.db.lock"


def test_exclusive_shared_and_busy(tmp_path: Path) -> None:
    path = tmp_path / "x.db.lock"
    server, syncer, other = IndexLease(path), IndexLease(path), IndexLease(path)
    assert syncer.try_exclusive() == "acquired"
    assert other.try_exclusive() == "busy"
    assert not server.try_shared()  # a server waits for the sync
    syncer.release()
    assert server.try_shared()
    second_server = IndexLease(path)
    assert second_server.try_shared()  # two servers share it
    assert other.try_exclusive() == "served"
    server.release()
    assert other.try_exclusive() == "served"
    second_server.release()
    assert other.try_exclusive() == "acquired"
    other.release()


def test_a_running_server_keeps_others_to_reading(ws: Workspace) -> None:
    assert sync_unless_served(ws).folders == {ws.folders[0].root: "synced"}
    assert ws.counts() == (1, 1)
    leases = ServerLeases(ws)
    assert leases.acquire(threading.Event())
    try:
        (ws.folders[0].root / "b.py").write_text("def second_function():\n    return 2\n")
        outcome = sync_unless_served(ws)
        assert outcome.served and outcome.folders[ws.folders[0].root] == "served"
        assert ws.counts() == (1, 1)  # not written: the server does that
        assert served(ws)
    finally:
        leases.release()
    assert not served(ws)
    assert sync_unless_served(ws).report.files_indexed == 1
    assert ws.counts() == (2, 2)


def test_a_starting_server_waits_for_a_sync_then_can_be_stopped(ws: Workspace) -> None:
    syncing = IndexLease(lock_path(ws.folders[0]))  # type: ignore[arg-type]
    assert syncing.try_exclusive() == "acquired"
    leases = ServerLeases(ws)
    got: list[bool] = []
    thread = threading.Thread(target=lambda: got.append(leases.acquire(threading.Event())))
    thread.start()
    time.sleep(0.4)
    assert thread.is_alive() and not got  # waiting
    syncing.release()
    thread.join(5)
    assert got == [True]
    leases.release()

    assert syncing.try_exclusive() == "acquired"
    stop = threading.Event()
    stop.set()
    assert not ServerLeases(ws).acquire(stop)
    syncing.release()


def test_a_busy_sync_is_waited_for_then_left_alone(ws: Workspace) -> None:
    other = IndexLease(lock_path(ws.folders[0]))  # type: ignore[arg-type]
    assert other.try_exclusive() == "acquired"
    started = time.monotonic()
    outcome = sync_unless_served(ws, wait_s=0.3)
    assert outcome.folders[ws.folders[0].root] == "busy"
    assert time.monotonic() - started >= 0.3
    other.release()
