"""Settings: defaults, `[tool.nearcode]` in the workspace's pyproject.toml, and editor options.

Editors send camelCase (`maxFileBytes`), pyproject uses snake or kebab case; both map onto one
dataclass. A bad value never stops nearcode: it is reported once and its default is used.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import trust
from .errors import InvalidInput

log = logging.getLogger(__name__)


@dataclass
class Settings:
    """Everything a user may set. Field docs are the user-facing reference (README mirrors it)."""

    model: str = "default"
    """'default' (the trained model activated for this workspace, else the user-wide default
    of `nearcode models use NAME --global`, else nearcode-code-v2, nearcode's own code model:
    docs/model.md), 'base' (all-MiniLM-L6-v2, the general sentence model it started from), a
    model folder, a trained model's name (`nearcode models`), or 'fake' (tests only: no model
    at all)."""
    backend: str = "auto"
    """'auto' (ONNX Runtime int8 when available, else torch), 'onnx', 'onnx-fp32' or 'torch'."""
    db_path: str | None = None
    """Where the index lives; default: the user cache dir, one file per workspace folder."""
    exclude: list[str] = field(default_factory=list)
    """Extra gitignore-style patterns to leave out of the index."""
    max_file_bytes: int = 1 << 20
    """Files larger than this are not indexed."""
    dense_weight: float = 1.0
    """Weight of the embedding ranking in hybrid fusion."""
    lexical_weight: float = 1.0
    """Weight of the full-text (BM25) ranking in hybrid fusion."""
    diagnostics: bool = True
    """Hint diagnostics on functions that have a near-duplicate elsewhere."""
    duplicate_threshold: float = 0.50
    """Cosine similarity from which two functions may be near-duplicates (they must also read
    alike: see docs/duplicates.md). nearcode-code-v2 puts the planted copies at 0.54-0.86,
    all-MiniLM-L6-v2 at 0.70-0.86; at 0.50 both find all of them and nothing else."""
    duplicate_exclude: list[str] = field(default_factory=list)
    """Gitignore-style patterns of files that get no near-duplicate hints."""
    max_diagnostics_per_file: int = 5
    """At most this many near-duplicate hints per file."""
    store: str | None = None
    """A `postgresql://` URL to use a shared PostgreSQL index instead of the local SQLite file."""
    watch: bool = True
    """Watch the workspace folders for changes made outside the editor."""
    include_tests: bool = True
    """Whether test files appear in search and similar-code results (they rank below
    implementation code for the same match either way); `--no-tests` on the command line."""


LARGE_FILES = 5000
"""More files than this to index makes a folder "large": minutes of embedding on 2 cores, so
nearcode asks first (index/scope.py). Here rather than there so that the CLI's help can say the
number without importing the scanner (cli/options.py)."""


class SettingsError(InvalidInput):
    """A setting's value is unusable."""


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).replace("-", "_").lower()


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def apply(settings: Settings, values: dict[str, Any] | None) -> list[str]:
    """Set the fields named in `values` (any case style) on `settings`; return problems found.

    Unknown names and values of the wrong type are reported and skipped, keeping the default.
    """
    problems: list[str] = []
    if values is None:
        return problems
    if not isinstance(values, dict):
        return [f"settings must be an object, got {type(values).__name__}"]
    for key, value in values.items():
        name = _snake(str(key))
        if name not in _FIELDS:
            problems.append(f"unknown setting {key!r}")
            continue
        default = getattr(Settings(), name)
        try:
            setattr(settings, name, _coerce(name, value, default))
        except SettingsError as exc:
            problems.append(f"setting {key!r}: {exc}; using {default!r}")
    return problems


def _coerce(name: str, value: Any, default: Any) -> Any:
    if value is None:
        return default
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise SettingsError(f"expected true or false, got {value!r}")
    if isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        raise SettingsError(f"expected a positive integer, got {value!r}")
    if isinstance(default, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return float(value)
        raise SettingsError(f"expected a number >= 0, got {value!r}")
    if isinstance(default, list):
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise SettingsError(f"expected a list of strings, got {value!r}")
        # imported here: `nearcode search` asks a running server (cli/remote.py) needing no
        # more of config than cache_dir(), and pathspec's import would add ~20 ms to that answer
        import pathspec

        for glob in value:  # every list setting is of gitignore-style patterns
            try:
                pathspec.GitIgnoreSpec.from_lines([glob])
            except (ValueError, re.error) as exc:
                raise SettingsError(f"bad pattern {glob!r} ({exc})") from exc
        return list(value)
    if name == "backend" and value not in ("auto", "onnx", "onnx-fp32", "torch"):
        raise SettingsError(f"expected auto, onnx, onnx-fp32 or torch, got {value!r}")
    if isinstance(value, str) and value:
        return value
    raise SettingsError(f"expected a non-empty string, got {value!r}")


def load(root: Path | None, overrides: dict[str, Any] | None = None,
         trusted: bool = False) -> tuple[Settings, list[str]]:
    """Settings for a workspace: defaults, then its pyproject's [tool.nearcode], then overrides
    (the user's: command line, editor). Settings of the pyproject that name a path or a host
    are ignored unless the folder is `trusted` or in the user's trusted list (trust.py)."""
    settings = Settings()
    problems: list[str] = []
    if root is not None and (root / "pyproject.toml").is_file():
        try:
            data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
            table = data.get("tool", {}).get("nearcode")
            if isinstance(table, dict) and not (trusted or trust.is_trusted(root)):
                table, ignored = _safe_part(table)
                problems += [f"setting {key!r} in {root / 'pyproject.toml'} ignored: the folder "
                             f"is not trusted (`nearcode trust {root}` allows settings that name "
                             "paths or hosts)" for key in ignored]
            problems += apply(settings, table)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            problems.append(f"cannot read {root / 'pyproject.toml'}: {exc}")
    problems += apply(settings, overrides)
    for p in problems:
        log.warning("%s", p)
    return settings, problems


def _safe_part(table: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The settings of an untrusted table that cannot write, rename or connect anywhere, and
    the keys left out."""
    safe: dict[str, Any] = {}
    ignored: list[str] = []
    for key, value in table.items():
        name = _snake(str(key))
        if name in trust.UNSAFE or (name == "model" and trust.unsafe_model(value)):
            ignored.append(str(key))
        else:
            safe[key] = value
    return safe, ignored


def cache_dir() -> Path:
    """nearcode's cache folder: $NEARCODE_CACHE_DIR, else the platform's user cache dir."""
    env = os.environ.get("NEARCODE_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("nearcode", appauthor=False))


def default_db_path(root: Path) -> Path:
    """One SQLite file per workspace folder, named after it and keyed by its absolute path."""
    key = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:12]
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", root.resolve().name) or "root"
    return cache_dir() / "indexes" / f"{safe}-{key}.db"


def db_path_for(root: Path, settings: Settings, folders: int = 1) -> Path:
    """The index file of workspace folder `root`: the `db_path` setting, else the cache's. With
    `db_path` and several folders each gets its own file beside it, named after the folder and
    the hash of its path (two folders may share a name: a/src, b/src)."""
    if not settings.db_path:
        return default_db_path(root)
    db = Path(settings.db_path).expanduser()
    if folders > 1:
        db = db.with_name(f"{db.stem}-{default_db_path(root).stem}{db.suffix}")
    return db
