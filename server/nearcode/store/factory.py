"""Which store a workspace folder's index lives in, as the settings say."""

from __future__ import annotations

from pathlib import Path

from ..config import Settings
from .base import IndexStore
from .overlay import OverlayStore
from .pg import PgStore
from .pg_db import is_url
from .sqlite import Store


def open_store(root: Path, db: Path, settings: Settings, write_shared: bool = False
               ) -> IndexStore:
    """The folder's index: the SQLite file `db`; with a `postgresql://` store setting, the
    folder's workspace (by folder name) in that shared database — written directly only with
    `write_shared` (`nearcode index --store`, as CI runs it), else overlaid with the local
    changes kept in `db` (overlay.py)."""
    if not is_url(settings.store):
        return Store(db)
    assert settings.store is not None
    shared = PgStore(settings.store, root.name, root)
    if write_shared:
        return shared
    return OverlayStore(shared, Store(db))
