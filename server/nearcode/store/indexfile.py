"""What lies at an index path, and setting a broken index aside: nothing else is ever moved.

An index path may come from the user (`--db`, an editor setting) and so may name a file that is
not nearcode's. nearcode only writes into a path that is missing, empty or holds a nearcode
index, and only renames a file to `*.corrupt` when it is sure the file is its own: it says it is
a nearcode index, or it lies in nearcode's own cache folder of indexes.
"""

from __future__ import annotations

import logging
import os
from enum import Enum
from pathlib import Path

from pysqlite3 import dbapi2 as sqlite3

from ..config import cache_dir
from .sqlite_db import connect_read_only
from .sqlite_schema import MIGRATION_SET

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
        conn = connect_read_only(path)
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


def writable(path: Path) -> bool:
    """True when nearcode can create or write the index at `path` (its -wal and -shm files
    beside it included); False in a read-only folder."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


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
    try:
        path.replace(target)
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                side.replace(target.with_name(target.name + suffix))
    except OSError as exc:  # a read-only folder: the index stays where it is
        log.warning("cannot set aside the unusable index %s: %s", path, exc.strerror or exc)
        return None
    log.warning("set aside the unusable index %s as %s", path, target)
    return target


def damaged(path: Path) -> str | None:
    """What SQLite's quick check finds wrong in nearcode's index at `path` (corrupt pages), or
    None when it reads whole (or is not an index of nearcode's: never touched)."""
    kind = classify(path)
    if kind is Kind.BROKEN:
        return "it cannot be read"
    if kind is not Kind.INDEX:
        return None
    try:
        conn = connect_read_only(path)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    problems = [str(r[0]) for r in rows if r[0] != "ok"]
    return problems[0] if problems else None


def set_aside_if_damaged(path: Path) -> Path | None:
    """Set nearcode's index at `path` aside when pages of it are corrupt (`damaged`), so that a
    fresh one is built; returns the new name, or None when it is whole or not nearcode's."""
    problem = damaged(path)
    if problem is None:
        return None
    log.warning("the index %s is damaged (%s)", path, problem)
    return set_aside(path)
