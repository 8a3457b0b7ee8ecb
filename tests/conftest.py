"""Shared fixtures. Every test gets its own cache dir, so no test reads or writes the user's."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
                   ) -> Path:
    """NEARCODE_CACHE_DIR and NEARCODE_CONFIG_DIR point into fresh temporary folders for each
    test."""
    cache = tmp_path_factory.mktemp("nearcode-cache")
    monkeypatch.setenv("NEARCODE_CACHE_DIR", str(cache))
    monkeypatch.setenv("NEARCODE_CONFIG_DIR", str(tmp_path_factory.mktemp("nearcode-config")))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return cache


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real PostgreSQL with pgvector (the pgserver package runs it as a child process).

    Skipped when pgserver is missing, unless NEARCODE_REQUIRE_PG=1 (scripts/test.sh sets it):
    then it fails."""
    import os

    try:
        import pgserver
    except ImportError:
        if os.environ.get("NEARCODE_REQUIRE_PG") == "1":
            pytest.fail("pgserver is not installed (pip install -e '.[dev]')")
        pytest.skip("pgserver is not installed")
    server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    yield server
    server.cleanup()


@pytest.fixture
def pg_url(pg_server) -> str:  # type: ignore[no-untyped-def]
    """A fresh, empty database on the test server."""
    from helpers import new_database

    return new_database(pg_server)


@pytest.fixture(params=["sqlite", "postgres"])
def store_setting(request: pytest.FixtureRequest) -> str | None:
    """The `store` setting for a backend: None (SQLite files) or a fresh PostgreSQL URL."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("pg_url"))
