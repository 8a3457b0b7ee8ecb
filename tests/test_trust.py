"""A cloned repository's settings never make nearcode write, rename or connect anywhere unless
the user trusts the folder; and nearcode never writes into or moves a file that is not its own
index, wherever the path came from."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from nearcode import config, trust
from nearcode.store import indexfile
from nearcode.store.base import StoreError
from nearcode.store.sqlite import Store

NEARCODE = [sys.executable, "-m", "nearcode"]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Listener:
    """A loopback TCP listener that counts and drops connections: a PostgreSQL URL pointing
    at it shows whether anyone connects (and fails fast when someone does)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.sock.close()


@pytest.fixture
def hostile(tmp_path: Path, listener: Listener) -> tuple[Path, Path, str]:
    """A cloned repository whose pyproject points the index at a user file and the store at a
    host of its choosing; returns (workspace, the user's file, the store URL)."""
    victim = tmp_path / "home" / "notes.txt"
    victim.parent.mkdir()
    victim.write_text("my notes\n")
    url = f"postgresql://mallory:pw@127.0.0.1:{listener.port}/db"
    root = tmp_path / "cloned"
    (root / ".git").mkdir(parents=True)
    (root / "app.py").write_text("def area(r):\n    return 3.14 * r * r\n")
    (root / "pyproject.toml").write_text(
        f'[tool.nearcode]\ndb_path = "{victim}"\nstore = "{url}"\nmodel = "../weights"\n'
        'exclude = ["build/**"]\n')
    return root.resolve(), victim, url


def test_untrusted_pyproject_keeps_only_harmless_settings(hostile: tuple[Path, Path, str]
                                                          ) -> None:
    root, _, _ = hostile
    settings, problems = config.load(root)
    assert settings.db_path is None and settings.store is None and settings.model == "default"
    assert settings.exclude == ["build/**"]  # tuning search is fine
    assert sorted(p.split("'")[1] for p in problems) == ["db_path", "model", "store"]
    assert all("not trusted" in p and "nearcode trust" in p for p in problems)


def test_trusted_folder_and_its_subfolders_take_every_setting(hostile: tuple[Path, Path, str]
                                                              ) -> None:
    root, victim, url = hostile
    assert config.load(root, trusted=True)[0].store == url
    trust.set_trusted(root.parent)
    settings, problems = config.load(root)
    assert (settings.db_path, settings.store, problems) == (str(victim), url, [])
    trust.set_trusted(root.parent, trusted=False)
    assert config.load(root)[0].db_path is None


def test_user_overrides_are_always_taken(hostile: tuple[Path, Path, str], tmp_path: Path
                                         ) -> None:
    root, _, _ = hostile
    mine = str(tmp_path / "mine.db")
    settings, _ = config.load(root, {"db_path": mine})
    assert settings.db_path == mine


def test_cli_on_an_untrusted_clone_writes_and_connects_nowhere(
        hostile: tuple[Path, Path, str], listener: Listener) -> None:
    root, victim, _ = hostile
    before = _digest(victim)
    done = subprocess.run([*NEARCODE, "index", "--model", "fake", "--json"], cwd=root,
                          capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert "ignored: the folder is not trusted" in done.stderr
    assert json.loads(done.stdout)["db"] == str(config.default_db_path(root))
    assert _digest(victim) == before and sorted(p.name for p in victim.parent.iterdir()) == [
        "notes.txt"]
    assert listener.connections == 0


def test_cli_trust_command_lets_the_repository_choose(
        hostile: tuple[Path, Path, str], listener: Listener) -> None:
    root, victim, _ = hostile
    done = subprocess.run([*NEARCODE, "trust", str(root), "--json"], capture_output=True,
                          text=True, timeout=60, env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert str(root) in json.loads(done.stdout.split("\n", 1)[1])
    assert trust.is_trusted(root / "sub")
    index = subprocess.run([*NEARCODE, "index", "--model", "fake"], cwd=root,
                           capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert listener.connections > 0  # trusted: the repository's store is used, as the user allowed
    assert index.returncode != 0  # the listener is no PostgreSQL
    assert victim.read_text() == "my notes\n"


@pytest.mark.parametrize("kind", ["folder", "text file", "other sqlite"])
def test_store_refuses_what_is_not_its_own(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "target"
    if kind == "folder":
        target.mkdir()
        (target / "keep.txt").write_text("x")
    elif kind == "text file":
        target.write_text("hello\n")
    else:
        conn = sqlite3.connect(target)
        conn.execute("CREATE TABLE mine (x)")
        conn.commit()
        conn.close()
    before = sorted(p.name for p in tmp_path.iterdir())
    snapshot = _digest(target) if target.is_file() else None
    with pytest.raises(StoreError, match="not a usable nearcode index"):
        Store(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    if snapshot is not None:
        assert _digest(target) == snapshot
    assert indexfile.set_aside(target) is None and target.exists()


def test_only_nearcode_indexes_are_set_aside(tmp_path: Path) -> None:
    own = config.cache_dir() / "indexes" / "ws-0123.db"
    own.parent.mkdir(parents=True)
    own.write_bytes(indexfile.SQLITE_HEADER + os.urandom(4096))  # corrupt, but ours
    assert indexfile.classify(own) is indexfile.Kind.BROKEN
    moved = indexfile.set_aside(own)
    assert moved is not None and moved.name == "ws-0123.db.corrupt" and not own.exists()
    elsewhere = tmp_path / "user.db"
    elsewhere.write_bytes(indexfile.SQLITE_HEADER + os.urandom(4096))
    assert indexfile.classify(elsewhere) is indexfile.Kind.FOREIGN
    assert indexfile.set_aside(elsewhere) is None and elsewhere.exists()
    index = tmp_path / "index.db"
    Store(index).close()
    assert indexfile.classify(index) is indexfile.Kind.INDEX
    Store(index).close()  # reopening its own index is fine


@pytest.mark.parametrize("kind", ["folder", "other sqlite"])
def test_cli_db_flag_at_a_foreign_path(tmp_path: Path, kind: str) -> None:
    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)  # a repository: indexed without asking
    (root / "a.py").write_text("def f():\n    return 1\n")
    target = tmp_path / "target"
    if kind == "folder":
        target.mkdir()
    else:
        sqlite3.connect(target).execute("CREATE TABLE t (x)").connection.commit()
    done = subprocess.run([*NEARCODE, "index", str(root), "--db", str(target), "--model",
                           "fake"], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "not a usable nearcode index" in done.stderr
    assert not list(tmp_path.glob("*.corrupt"))
    if kind == "other sqlite":
        tables = [r[0] for r in sqlite3.connect(target).execute("SELECT name FROM sqlite_master")]
        assert tables == ["t"]
