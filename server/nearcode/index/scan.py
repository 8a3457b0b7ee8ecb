"""Which files of a workspace folder get indexed, and reading them safely.

Left out: what .gitignore (at any depth), .git/info/exclude and .nearcodeignore exclude, the
default excludes (VCS folders, dependencies, virtualenvs, build outputs), symlinks that lead
outside the folder, secret files and files that hold a secret (code/secrets.py: never indexed,
even when open in the editor), files over the size limit, binaries, minified one-line bundles,
and file types that are not code or text. In the user's home folder, its dot-folders.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..code import secrets
from ..code.globs import IgnoreRules
from ..code.languages import language_for_path
from ..config import Settings

log = logging.getLogger(__name__)

DEFAULT_EXCLUDES = (
    ".git/", ".hg/", ".svn/", ".jj/", "node_modules/", "bower_components/", ".venv/", "venv/",
    ".env/", "env/", "virtualenv/", "__pycache__/", ".tox/", ".nox/", ".mypy_cache/",
    ".pytest_cache/", ".ruff_cache/", ".hypothesis/", "*.egg-info/", "build/", "dist/",
    "target/", ".next/", ".nuxt/", ".gradle/", ".idea/", ".cache/", "coverage/", "htmlcov/",
    "*.min.js", "*.min.css", "*.map", "package-lock.json", "yarn.lock", "pnpm-lock.yaml",
    "poetry.lock", "Cargo.lock", "uv.lock", "*.lock",
)
IGNORE_FILES = (".gitignore", ".nearcodeignore")
NOT_UTF8 = "its name is not valid UTF-8"
BINARY_SNIFF = 8192
MINIFIED_LINE = 5000  # a file whose lines average longer than this is machine-made


@dataclass(frozen=True)
class FileInfo:
    """A file that may be indexed: workspace-relative posix path plus what change detection uses."""

    path: str
    size: int
    mtime_ns: int
    language: str


@dataclass(frozen=True)
class FileText:
    """A file's decoded text and the sha256 of its bytes."""

    text: str
    sha256: str


class SkippedFile(Exception):
    """A file that is not indexed, with the reason."""


def is_secret(rel_path: str) -> bool:
    """True for files that look like credentials or keys; they never enter the index."""
    return secrets.is_secret_name(rel_path)


def _is_home(root: Path) -> bool:
    try:
        return root == Path.home().resolve()
    except (OSError, RuntimeError):  # no home folder known
        return False


class FileFilter:
    """Decides, for one workspace folder, which paths are indexed.

    Nested .gitignore files are honoured with git's precedence (the deepest match wins); their
    compiled patterns are cached until `reset()` (called when an ignore file changes).
    `inner` folders (other workspace folders inside this one) are left to their own index, so
    no file is indexed twice.
    """

    def __init__(self, root: Path, settings: Settings, inner: Sequence[Path] = ()) -> None:
        self.root = root.resolve()
        self._inner = {r for r in (self.relative(p) for p in inner) if r not in (None, ".")}
        self.max_bytes = settings.max_file_bytes
        root_lines = list(DEFAULT_EXCLUDES) + list(settings.exclude)
        if _is_home(self.root):  # tools keep their configuration and tokens in dot-folders
            root_lines += secrets.HOME_LEFT_OUT
        info_exclude = self.root / ".git" / "info" / "exclude"
        if info_exclude.is_file():
            root_lines += _read_lines(info_exclude)
        self._base = IgnoreRules(root_lines)
        self._dir_specs: dict[str, IgnoreRules | None] = {}

    def reset(self) -> None:
        self._dir_specs.clear()

    def _spec_for(self, rel_dir: str) -> IgnoreRules | None:
        if rel_dir not in self._dir_specs:
            lines: list[str] = []
            for name in IGNORE_FILES:
                f = self.root / rel_dir / name
                if f.is_file():
                    lines += _read_lines(f)
            self._dir_specs[rel_dir] = IgnoreRules(lines) if lines else None
        return self._dir_specs[rel_dir]

    def ignored(self, rel_path: str, is_dir: bool = False) -> bool:
        """True when ignore rules exclude `rel_path` (posix, relative to the root)."""
        if is_dir and rel_path in self._inner:
            return True
        probe = rel_path + "/" if is_dir else rel_path
        parts = rel_path.split("/")
        # deepest ignore file first: its verdict, if it has one, wins
        for depth in range(len(parts) - 1, -1, -1):
            rel_dir = "/".join(parts[:depth])
            spec = self._spec_for(rel_dir)
            if spec is None:
                continue
            sub = probe[len(rel_dir) + 1 :] if rel_dir else probe
            verdict = spec.verdict(sub)
            if verdict is not None:
                return verdict
        return bool(self._base.verdict(probe))

    def relative(self, path: Path) -> str | None:
        """`path` relative to the root (posix), or None when it lies outside."""
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None

    def secret(self, rel_path: str) -> bool:
        """True when `rel_path`, or the file a symlink there leads to, looks like a secret."""
        if is_secret(rel_path):
            return True
        target = self.relative(self.root / rel_path)
        return target is not None and target != rel_path and is_secret(target)

    def name_skip_reason(self, rel_path: str) -> str | None:
        """Why `rel_path` is not indexed judging by its name alone (secrets, file types,
        ignore rules, its link target), or None. Also applies to unsaved editor buffers."""
        if not encodable(rel_path):
            return NOT_UTF8
        if self.secret(rel_path):
            return "secret"
        if language_for_path(rel_path) is None:
            return "not a code or text file"
        parts = rel_path.split("/")
        for i in range(1, len(parts)):
            if self.ignored("/".join(parts[:i]), is_dir=True):
                return "ignored"
        if self.ignored(rel_path):
            return "ignored"
        return None

    def skip_reason(self, rel_path: str) -> str | None:
        """Why the file at `rel_path` is not indexed (by name and stat), or None to index it."""
        reason = self.name_skip_reason(rel_path)
        if reason is not None:
            return reason
        full = self.root / rel_path
        # resolve always: a symlinked folder on the way leads outside as surely as a link
        target = self.relative(full)
        if target is None:
            return "symlink outside the workspace"
        if target != rel_path and is_secret(target):
            return "secret"
        try:
            st = full.stat()
        except OSError:
            return "missing"
        if not os.path.isfile(full):
            return "not a file"
        if st.st_size > self.max_bytes:
            return f"larger than {self.max_bytes} bytes"
        return None

    def info(self, rel_path: str) -> FileInfo:
        """Stat a file that `skip_reason` accepted."""
        st = (self.root / rel_path).stat()
        return FileInfo(rel_path, st.st_size, st.st_mtime_ns, language_for_path(rel_path) or "text")

    def walk(self) -> list[FileInfo]:
        """Every indexable file under the root, sorted by path."""
        out: list[FileInfo] = []
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
            rel_dir = Path(dirpath).relative_to(self.root).as_posix()
            rel_dir = "" if rel_dir == "." else rel_dir
            dirnames[:] = sorted(
                d for d in dirnames
                if _named_in_utf8(f"{rel_dir}/{d}/" if rel_dir else f"{d}/")
                and not os.path.islink(os.path.join(dirpath, d))
                and not self.ignored(f"{rel_dir}/{d}" if rel_dir else d, is_dir=True)
            )
            for name in filenames:
                rel = f"{rel_dir}/{name}" if rel_dir else name
                if self._accept_in_walk(rel):
                    try:
                        out.append(self.info(rel))
                    except OSError:
                        continue
        out.sort(key=lambda f: f.path)
        return out

    def _accept_in_walk(self, rel: str) -> bool:
        # parent folders were already checked while walking; only the file itself is left
        if not _named_in_utf8(rel) or is_secret(rel) or language_for_path(rel) is None:
            return False
        if self.ignored(rel):
            return False
        full = self.root / rel
        if full.is_symlink():  # folders that are links were not walked into
            target = self.relative(full)
            if target is None or is_secret(target):
                return False
        try:
            return full.is_file() and full.stat().st_size <= self.max_bytes
        except OSError:
            return False


def encodable(text: str) -> bool:
    """False for text UTF-8 cannot carry: a file name that is not valid UTF-8 (Python holds its
    bad bytes as surrogates) or a buffer with unpaired surrogates."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _named_in_utf8(rel_path: str) -> bool:
    if encodable(rel_path):
        return True
    log.warning("skipping %s: %s", ascii(rel_path), NOT_UTF8)
    return False


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def decode(data: bytes) -> FileText:
    """Decode file bytes as text, or raise SkippedFile for binaries, minified bundles and text
    that holds a secret."""
    if b"\0" in data[:BINARY_SNIFF]:
        raise SkippedFile("binary")
    text = data.decode("utf-8", errors="replace")
    if text.count("\ufffd") > max(8, len(text) // 100):
        raise SkippedFile("binary or not UTF-8")
    check_text(text)
    return FileText(text, hashlib.sha256(data).hexdigest())


def check_text(text: str) -> None:
    """Raise SkippedFile when text (a file's or an editor buffer's) is not to be indexed: it
    holds a NUL (binary), is a minified bundle, or holds a secret (never partly indexed)."""
    if "\0" in text:
        raise SkippedFile("binary")
    if not encodable(text):  # an editor buffer with unpaired surrogates
        raise SkippedFile("not valid Unicode text")
    if len(text) > MINIFIED_LINE and len(text) / (text.count("\n") + 1) > MINIFIED_LINE:
        raise SkippedFile("minified")
    found = secrets.secret_in_text(text)
    if found is not None:
        raise SkippedFile(f"secret: holds {found}")


def read(path: Path) -> FileText:
    """Read and decode one file (see `decode`)."""
    return decode(path.read_bytes())


def text_hash(text: str) -> str:
    """The content hash of text held in memory (an editor buffer), comparable with `read`'s."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
