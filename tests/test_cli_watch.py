"""`nearcode watch`: the workspace indexed and kept fresh without an editor, answering
`nearcode search` and `similar` as a running `nearcode serve` does, until SIGTERM or an idle
timeout, leaving no socket behind (a real process; the CLI in child processes)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from nearcode.app.endpoint import address
from nearcode.cli.options import EXIT_USAGE
from test_cli_with_serve import ANSWERED, FAKE, cli

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(DATA / "server_ws", root)
    (root / ".git").mkdir()  # a repository: indexed without asking
    return root.resolve()


def start_watch(ws: Path, *argv: str) -> subprocess.Popen[str]:
    """`nearcode watch` on `ws`, once its socket is there (a CLI asking before that searches
    alone, and writes the index beside it)."""
    proc = subprocess.Popen([sys.executable, "-m", "nearcode", "watch", str(ws), *FAKE, *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sock = address(ws)
    assert sock is not None
    deadline = time.monotonic() + 60
    while not sock.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return proc


def served_answer(ws: Path, proc: subprocess.Popen[str], *argv: str) -> str:
    """The CLI's output once the watcher answers it (it indexes first)."""
    deadline = time.monotonic() + 60
    while True:
        done = cli(ws, *argv, *FAKE)
        assert done.returncode == 0, done.stderr
        if ANSWERED in done.stderr:
            return done.stdout
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, done.stderr
        time.sleep(0.2)


def test_watch_answers_the_cli_then_stops_when_idle(ws: Path) -> None:
    proc = start_watch(ws, "--idle-minutes", "0.1")
    try:
        served = served_answer(ws, proc, "search", "slugify a title", "-k", "3")
        similar = served_answer(ws, proc, "similar", "pkg/store.py:5", "-k", "2")
        out, err = proc.communicate(timeout=60)  # no question for 6 s: it stops by itself
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert out == "" and "no question for 0.1 minutes" in err
    assert address(ws) is not None and not address(ws).exists()  # type: ignore[union-attr]
    assert "pkg/text.py:4-6  slugify_title" in served
    alone = cli(ws, "search", "slugify a title", "-k", "3", *FAKE)  # no server now
    assert ANSWERED not in alone.stderr and alone.stdout == served
    assert cli(ws, "similar", "pkg/store.py:5", "-k", "2", *FAKE).stdout == similar


def test_watch_stops_on_sigterm_and_keeps_the_index_fresh(ws: Path) -> None:
    proc = start_watch(ws, "--idle-minutes", "0")
    try:
        served_answer(ws, proc, "search", "slugify a title")
        (ws / "pkg" / "billing.py").write_text(
            "def compute_invoice_total(lines):\n    return sum(l.amount for l in lines)\n")
        found = served_answer(ws, proc, "search", "compute invoice total", "-k", "1")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert "pkg/billing.py:1-2  compute_invoice_total" in found
    assert proc.returncode == 0, err
    assert not address(ws).exists()  # type: ignore[union-attr]


def test_a_negative_idle_time_is_refused(ws: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "nearcode", "watch", str(ws), *FAKE,
                           "--idle-minutes", "-1"], capture_output=True, text=True, timeout=60)
    assert done.returncode == EXIT_USAGE
    assert done.stderr.strip().splitlines() == [
        "nearcode: error: --idle-minutes must be 0 or more, got -1.0"]
