"""Shared fixtures. Every test gets its own cache dir, so no test reads or writes the user's."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
                   ) -> Path:
    """NEARCODE_CACHE_DIR points into a fresh temporary folder for each test."""
    cache = tmp_path_factory.mktemp("nearcode-cache")
    monkeypatch.setenv("NEARCODE_CACHE_DIR", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return cache
