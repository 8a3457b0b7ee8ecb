"""A model folder's fingerprint (embed/base.py): the hash of its weights and config, remembered in
the cache by each file's identity so that a process start does not hash 45 MB again, and never
stale: a rewritten file, even of the same size, gets the fingerprint of what it now holds."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest
from nearcode.config import cache_dir
from nearcode.embed import base
from nearcode.embed.base import fingerprint

OLD = time.time_ns() - 3_600 * 10**9  # an hour ago: settled


def _model(folder: Path, weights: bytes, mtime_ns: int = OLD) -> Path:
    folder.mkdir(exist_ok=True)
    for name, data in (("config.json", b'{"hidden_size": 8}'), ("model.safetensors", weights)):
        (folder / name).write_bytes(data)
        os.utime(folder / name, ns=(mtime_ns, mtime_ns))
    return folder


def _hashed(folder: Path) -> str:
    """The fingerprint worked out from the bytes, as the docstring defines it."""
    digest = hashlib.sha256()
    for name in ("config.json", "model.safetensors"):
        digest.update(name.encode())
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:12]


def _no_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> object:
        raise AssertionError("hashed again")

    monkeypatch.setattr(base, "_digest", refuse)


def test_a_settled_folder_is_hashed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    folder = _model(tmp_path / "m", b"weights-1")
    first = fingerprint(folder)
    assert first == _hashed(folder)
    assert (cache_dir() / "fingerprints.json").is_file()
    _no_hashing(monkeypatch)
    assert fingerprint(folder) == first  # from the memo: hashing would fail


def test_a_rewritten_file_of_the_same_size_gets_a_new_fingerprint(tmp_path: Path) -> None:
    folder = _model(tmp_path / "m", b"weights-1")
    first = fingerprint(folder)
    _model(folder, b"weights-2", OLD + 10**9)  # the same size, written a second later
    again = fingerprint(folder)
    assert again == _hashed(folder) and again != first


def test_files_written_just_now_are_not_remembered(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _model(tmp_path / "m", b"weights-1", time.time_ns())
    assert fingerprint(folder) == _hashed(folder)
    assert not (cache_dir() / "fingerprints.json").exists()


def test_a_broken_memo_is_hashed_over(tmp_path: Path) -> None:
    folder = _model(tmp_path / "m", b"weights-1")
    memo = cache_dir() / "fingerprints.json"
    memo.parent.mkdir(parents=True, exist_ok=True)
    for broken in ("{not json", "[1, 2]", '{"x": 1}'):
        memo.write_text(broken)
        assert fingerprint(folder) == _hashed(folder)
    assert fingerprint(folder) == _hashed(folder)  # and the memo works again


def test_an_unwritable_cache_only_costs_the_hash(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("NEARCODE_CACHE_DIR", str(blocker / "cache"))  # under a file
    folder = _model(tmp_path / "m", b"weights-1")
    assert fingerprint(folder) == _hashed(folder)
