"""Is a folder one to index without asking? The check behind "no surprise work".

A command run in the wrong place (`/usr`, the home folder, a download folder of 40,000 files)
must not quietly spend minutes indexing it. A folder is indexed without asking when it is a
project: inside a version-controlled tree (a `.git`, `.hg`, `.svn`, `.jj`, `.bzr` or `_darcs`
at it or above it), not the file system's root, not the home folder or a folder above it, not a
system folder (`/usr`, `/etc`, `/var`, `/opt`, ...), and holding at most `LARGE_FILES` files
that would be indexed. Anything else is the user's call (the CLI asks, or wants `--yes`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..code.languages import language_for_path
from ..config import LARGE_FILES, Settings
from .scan import FileFilter, is_secret

VCS_MARKERS = (".git", ".hg", ".svn", ".jj", ".bzr", "_darcs")
SYSTEM_FOLDERS = frozenset(Path(p) for p in (
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/media", "/mnt",
    "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/usr/local",
    "/var", "/Applications", "/Library", "/System", "/Users", "/Volumes", "/private",
    "/private/tmp", "/private/var", "/home",
))


@dataclass(frozen=True)
class Scope:
    """What indexing `root` would take on: the files it would index (counting stops past
    `LARGE_FILES`: then `more` is true) and, when it should not go ahead unasked, why."""

    root: Path
    files: int
    more: bool
    problem: str | None
    limit: int = LARGE_FILES

    @property
    def count(self) -> str:
        """The number of files in words: `12 files`, `more than 5,000 files`."""
        if self.more:
            return f"more than {self.limit:,} files"
        return f"{self.files:,} file{'' if self.files == 1 else 's'}"


def special_folder(root: Path) -> str | None:
    """Why `root` is never a project (the root, the home folder or above, a system folder),
    or None."""
    root = root.resolve()
    home = Path.home().resolve()
    if root == Path(root.anchor):
        return "is the root of the file system"
    if root == home:
        return "is your home folder"
    if root in home.parents:
        return "holds your home folder"
    if root in SYSTEM_FOLDERS:
        return "is a system folder"
    return None


def vcs_root(root: Path) -> Path | None:
    """The nearest folder at or above `root` that is the top of a version-controlled tree."""
    root = root.resolve()
    for folder in (root, *root.parents):
        if any((folder / marker).exists() for marker in VCS_MARKERS):
            return folder
    return None


def count_files(root: Path, settings: Settings, limit: int = LARGE_FILES) -> tuple[int, bool]:
    """Files under `root` that indexing would read (by name and ignore rules; sizes are not
    checked), counted up to `limit`: (count, whether there are more)."""
    filt = FileFilter(root, settings)
    n = 0
    for dirpath, dirnames, filenames in os.walk(filt.root, followlinks=False):
        rel_dir = Path(dirpath).relative_to(filt.root).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir
        dirnames[:] = [
            d for d in dirnames
            if not os.path.islink(os.path.join(dirpath, d))
            and not filt.ignored(f"{rel_dir}/{d}" if rel_dir else d, is_dir=True)
        ]
        for name in filenames:
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if is_secret(rel) or language_for_path(rel) is None or filt.ignored(rel):
                continue
            n += 1
            if n > limit:
                return limit, True
    return n, False


def assess(root: Path, settings: Settings, limit: int | None = None) -> Scope:
    """Whether indexing `root` may go ahead unasked, and how many files it would index."""
    limit = LARGE_FILES if limit is None else limit
    special = special_folder(root)
    files, more = count_files(root, settings, limit)
    problem = special
    if problem is None and vcs_root(root) is None:
        problem = f"is not a project (no {', '.join(VCS_MARKERS[:3])} … in it or above it)"
    if problem is None and more:
        problem = f"is large (more than {limit:,} files to index)"
    return Scope(root.resolve(), files, more, problem, limit)
