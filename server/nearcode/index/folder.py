"""A workspace folder: its root, its index and the indexer that keeps the index in line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidInput
from ..store.base import IndexStore
from .indexer import Indexer


class WorkspaceError(InvalidInput):
    """A folder that cannot be a workspace (missing, not a folder)."""


@dataclass
class Folder:
    """One workspace folder with its index."""

    root: Path
    store: IndexStore
    indexer: Indexer

    def relative(self, path: Path) -> str | None:
        """`path` relative to this folder (posix), or None when outside it."""
        return self.indexer.filter.relative(path)


def check_root(path: Path) -> Path:
    """The resolved folder, or WorkspaceError saying why it cannot be indexed."""
    if not path.exists():
        raise WorkspaceError(f"{path} does not exist")
    if not path.is_dir():
        raise WorkspaceError(f"{path} is not a folder")
    return path.resolve()
