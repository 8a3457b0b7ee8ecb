"""What lies at an index path, and setting a broken index aside: nothing else is ever moved.

An index path may come from the user (`--db`, an editor setting) and so may name a file that is
not nearcode's. nearcode only writes into a path that is missing, empty or holds a nearcode
index, and only renames a file to `*.corrupt` when it is sure the file is its own: it says it is
a nearcode index, or it lies in nearcode's own cache folder of indexes.
"""

from __future__ import annotations

import logging
from enum import Enum
from pathlib import Path

from pysqlite3 import dbapi2 as sqlite3

from ..config import cache_dir
from .sqlite_db import MIGRATION_SET

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"



class Kind(Enum):
    """What an index path holds."""

    NEW = "new"  # missing or an empty file: free to create
    INDEX = "index"  # a readable nearcode index
    BROKEN = "broken"  # nearcode's own, but unreadable (corrupt pages, truncated)
    FOREIGN = "foreign"  # a folder, or a file nearcode did not write: never touched


def classify(path: Path) -> Kind:
    """What `path` holds, read without writing anything."""
    if not path.exists():
        return Kind.NEW
    if not path.is_file():
        return Kind.FOREIGN
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError:
        return Kind.BROKEN if owned_by_cache(path) else Kind.FOREIGN
    if not head:
        return Kind.NEW
    if head == SQLITE_HEADER:
        marked = _has_migrations(path)
        if marked is True:
            return Kind.INDEX
        if marked is False and not owned_by_cache(path):
            return Kind.FOREIGN  # someone else's database
    return Kind.BROKEN if owned_by_cache(path) else Kind.FOREIGN


def _has_migrations(path: Path) -> bool | None:
    """True if the database records nearcode's migrations, False if it readably does not,
    None if it cannot be read."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if "_sqlite_migrations" not in tables:
                return False
            row = conn.execute("SELECT 1 FROM _sqlite_migrations WHERE migration_set = ? "
                               "LIMIT 1", (MIGRATION_SET,)).fetchone()
            return row is not None
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return None


def owned_by_cache(path: Path) -> bool:
    """True when `path` lies in nearcode's own folder of index files."""
    try:
        return (cache_dir() / "indexes").resolve() in path.resolve().parents
    except OSError:
        return False


def set_aside(path: Path) -> Path | None:
    """Rename a broken nearcode index to `*.corrupt` so a fresh one can be built; returns the
    new name, or None when `path` is not nearcode's to move (it is left as it is)."""
    if classify(path) not in (Kind.BROKEN, Kind.INDEX):
        return None
    target = path.with_suffix(path.suffix + ".corrupt")
    path.replace(target)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.replace(target.with_name(target.name + suffix))
    log.warning("set aside the unusable index %s as %s", path, target)
    return target
