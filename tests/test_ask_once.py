"""A process that asks one question (`nearcode search` / `similar` without a server) searches the
index's sign bits in SQLite (vec0) instead of loading every chunk's bits and vectors into memory
first (Workspace.ask_once), and answers what a process that loads them answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from nearcode.app.workspace import Workspace
from nearcode.cli import main
from nearcode.config import Settings
from nearcode.embed.base import ModelError
from nearcode.embed.fake import FakeEmbedder
from nearcode.store.sqlite import Store

WORDS = "parse load save merge split render fetch retry close flush cache index".split()


def _tree(root: Path) -> Path:
    """40 files of three small functions each: fewer chunks than the coarse pool, so both ways
    score every chunk exactly and must agree."""
    (root / ".git").mkdir(parents=True)
    for i in range(40):
        body = "\n\n".join(
            f"def {WORDS[(i + j) % 12]}_{WORDS[(i * 3 + j) % 12]}_{i}(value):\n"
            f"    return {WORDS[(i + 2 * j) % 12]}(value, {i * 3 + j})\n" for j in range(3))
        (root / f"m{i}.py").write_text(body + "\n")
    return root


def test_one_question_reads_no_bits_and_answers_alike(tmp_path: Path) -> None:
    root = _tree(tmp_path / "ws")
    settings = Settings(model="fake", db_path=str(tmp_path / "index.db"))
    answers = []
    for once in (False, True):
        ws = Workspace([root], settings)
        try:
            ws.sync()
            if once:
                ws.ask_once()
            hits = ws.retriever.search("merge the cache and flush it", 10)
            like = ws.retriever.similar("def x(value):\n    return retry(value, 7)\n", 10)
            store = ws.folders[0].store
            assert isinstance(store, Store)
            assert (store.sign_bits.loaded is None) == once
            answers.append([(h.path, h.start_line, round(h.score, 6)) for h in hits + like])
        finally:
            ws.close()
    assert len(answers[0]) == 20
    assert answers[0] == answers[1]


def test_the_cli_alone_asks_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    root = _tree(tmp_path / "ws")
    monkeypatch.chdir(root)
    asked: list[Workspace] = []
    real = Workspace.ask_once

    def ask_once(ws: Workspace) -> None:
        asked.append(ws)
        real(ws)

    monkeypatch.setattr(Workspace, "ask_once", ask_once)
    assert main(["search", "merge the cache", "--model", "fake", "-k", "3"]) == 0
    assert main(["similar", "m1.py:1", "--model", "fake", "-k", "3"]) == 0
    out = capsys.readouterr().out
    assert len(asked) == 2 and out.count(".py:") >= 6  # three hits each


def test_a_server_loads_the_bits_ahead_of_the_first_question(tmp_path: Path) -> None:
    # at 100k chunks the first question paid the load (~1 s); a server warms them at start
    # (IndexService.start -> Workspace.warm_in_background), on a thread of their own
    root = _tree(tmp_path / "ws")
    settings = Settings(model="fake", db_path=str(tmp_path / "index.db"))
    ws = Workspace([root], settings)
    ws.sync()
    ws.close()
    from nearcode.app.worker import IndexService

    ws = Workspace([root], settings)
    service = IndexService(ws)
    store = ws.folders[0].store
    assert isinstance(store, Store) and store.sign_bits.loaded is None
    service.start()
    assert service.wait_idle(30)
    deadline = time.monotonic() + 30
    while store.sign_bits.loaded is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert store.sign_bits.loaded is not None  # and no question was asked
    service.stop()
    ws.close()  # waits for the warming thread (done here)


class _OpenedAhead(FakeEmbedder):
    """A fake model that is opened (`load`, once, under a lock) before it embeds, as the ONNX
    one is; `fail`: opening fails, as with a damaged model file. Its first embedding waits
    (up to 10 s) until a thread of ask_once's has tried to open it, so that which thread opens
    it does not depend on scheduling."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.fail = fail
        self.opened_on: list[str] = []
        self.opened = False
        self.tried_ahead = threading.Event()
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self.opened:
                return
            self.opened_on.append(threading.current_thread().name)
            if threading.current_thread() is not threading.main_thread():
                self.tried_ahead.set()
            if self.fail:
                raise ModelError("the model file is damaged")
            self.opened = True

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.tried_ahead.wait(10)
        self.load()
        return super().embed_batch(texts)


def test_the_model_opens_beside_the_sync(tmp_path: Path) -> None:
    root = _tree(tmp_path / "ws")
    model = _OpenedAhead()
    ws = Workspace([root], Settings(db_path=str(tmp_path / "index.db")), embedder=model)
    try:
        ws.ask_once()
        ws.sync()
        assert ws.retriever.search("merge the cache and flush it", 3)
    finally:
        ws.close()
    assert model.opened_on == ["nearcode-model"]  # opened once, on its own thread


def test_a_model_that_cannot_open_says_why_on_the_callers_thread(tmp_path: Path) -> None:
    root = _tree(tmp_path / "ws")
    model = _OpenedAhead(fail=True)
    ws = Workspace([root], Settings(db_path=str(tmp_path / "index.db")), embedder=model)
    try:
        ws.ask_once()
        with pytest.raises(ModelError, match="damaged"):
            ws.sync()
    finally:
        ws.close()
    assert model.opened_on[0] == "nearcode-model"
    assert model.opened_on[1:] == [threading.current_thread().name]
