"""The CLI beside a running server it cannot hand its question to (another backend, a
timeout): it reads the index the server keeps instead of writing it too (two writers undo each
other's work, writelock.py), refuses to answer with another model's vectors, and
`nearcode index` says the server keeps the index and never rebuilds it under the server.

The server is its shared lock (ServerLeases, as `nearcode serve` takes it), in this process:
flock locks belong to open files, so it conflicts with the CLI's lock as a process would."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from nearcode.app.workspace import Workspace
from nearcode.app.writelock import ServerLeases
from nearcode.cli import main
from nearcode.cli.options import EXIT_USAGE
from nearcode.config import Settings
from nearcode.embed.fake import FakeEmbedder
from nearcode.store.sqlite import Store

pytest.importorskip("fcntl")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / ".git").mkdir()
    (ws / "a.py").write_text("def parse_config_file(path):\n    return open(path).read()\n")
    return ws


@pytest.fixture
def server(root: Path, tmp_path: Path) -> Iterator[ServerLeases]:
    """A server on `root` (index `tmp_path/index.db`): its workspace, indexed, and its lock."""
    ws = Workspace([root], Settings(model="fake", db_path=str(tmp_path / "index.db")))
    ws.sync()
    leases = ServerLeases(ws)
    assert leases.acquire(threading.Event())
    yield leases
    leases.release()
    ws.close()


def _generation(db: Path) -> str | None:
    store = Store(db)
    try:
        return store.meta("generation")
    finally:
        store.close()


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_search_reads_what_the_server_keeps_without_writing(
        server: ServerLeases, root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "index.db"
    before = _generation(db)
    (root / "b.py").write_text("def render_page_title(page):\n    return page.title\n")
    monkeypatch.chdir(root)
    # another backend: a server would not answer this alike, so the CLI searches itself
    for argv in (["search", "parse config file"], ["similar", "a.py:1"], ["duplicates"]):
        code, out, err = cli(capsys, "-v", *argv, "--model", "fake", "--backend", "torch",
                             "--db", str(db), "--json")
        assert code == 0, err
        assert "kept up to date by a running nearcode server" in err, err
        assert "database is locked" not in err
        json.loads(out)
    code, out, _ = cli(capsys, "search", "parse config file", "--model", "fake", "--db",
                       str(db), "--json", "--backend", "torch")
    assert [h["path"] for h in json.loads(out)["results"]] == ["a.py"]  # b.py: not written
    assert _generation(db) == before


def test_a_cli_with_another_model_is_refused(
        server: ServerLeases, root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "index.db"
    before = _generation(db)
    other = FakeEmbedder(dim=32)
    assert other.model_id != server.ws.embedder.model_id
    monkeypatch.setattr("nearcode.app.workspace.load_embedder", lambda *a, **k: other)
    monkeypatch.chdir(root)
    code, out, err = cli(capsys, "search", "parse", "--model", "fake", "--db", str(db),
                         "--backend", "torch")
    assert code == EXIT_USAGE and not out
    assert err.count("nearcode: error:") == 1
    assert f"with model {server.ws.embedder.model_id}" in err and other.model_id in err
    assert _generation(db) == before
    store = Store(db)
    assert store.model_id == server.ws.embedder.model_id and store.counts() == (1, 1)
    store.close()


def test_index_beside_a_server_leaves_it_to_the_server(
        server: ServerLeases, root: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "index.db"
    before = _generation(db)
    (root / "b.py").write_text("def render_page_title(page):\n    return page.title\n")
    code, out, err = cli(capsys, "index", str(root), "--model", "fake", "--db", str(db))
    assert code == 0, err
    assert "kept up to date by a running nearcode server; not indexed here" in err
    assert "0 files updated" in out
    code, out, err = cli(capsys, "index", str(root), "--model", "fake", "--db", str(db),
                         "--rebuild")
    assert code == EXIT_USAGE and "stop it before --rebuild" in err
    assert _generation(db) == before
    server.release()  # the server is gone: indexed here
    code, out, err = cli(capsys, "index", str(root), "--model", "fake", "--db", str(db))
    assert code == 0 and "1 files updated" in out, err
