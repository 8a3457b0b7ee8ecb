"""Which workspace folders the user trusts to choose where nearcode writes and connects.

A cloned repository is someone else's: its `[tool.nearcode]` table may tune search, but the
settings that name a file, a folder or a host (`UNSAFE`) act on the user's machine, so they are
taken from a workspace only when the user trusted it (`nearcode trust PATH`, or VS Code's
workspace trust, which the extension passes on). Trusting a folder trusts the folders inside it.
The list is one absolute path per line in `<config>/trusted-folders`.
"""

from __future__ import annotations

import os
from pathlib import Path

UNSAFE = ("db_path", "store")
"""Settings that name a path or a host: never taken from an untrusted workspace."""


def config_dir() -> Path:
    """nearcode's user config folder: $NEARCODE_CONFIG_DIR, else the platform's."""
    env = os.environ.get("NEARCODE_CONFIG_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("nearcode", appauthor=False))


def _list_file() -> Path:
    return config_dir() / "trusted-folders"


def trusted_folders() -> list[Path]:
    """The folders the user trusts, as recorded (an unreadable list trusts nothing)."""
    try:
        lines = _list_file().read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    return [Path(line) for line in lines if line.strip() and Path(line).is_absolute()]


def is_trusted(root: Path) -> bool:
    """True when `root` or a folder above it is in the user's trusted list."""
    resolved = root.resolve()
    return any(t == resolved or t in resolved.parents for t in trusted_folders())


def set_trusted(root: Path, trusted: bool = True) -> list[Path]:
    """Add `root` to the trusted list (or remove it); returns the new list."""
    resolved = root.resolve()
    folders = [f for f in trusted_folders() if f != resolved]
    if trusted:
        folders.append(resolved)
    path = _list_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(f"{f}\n" for f in folders), encoding="utf-8")
    tmp.replace(path)
    return folders


def unsafe_model(value: object) -> bool:
    """A `model` value that names a folder (whose weights could run code when loaded) rather
    than 'default', 'base' or a trained model's name."""
    return isinstance(value, str) and (
        "/" in value or "\\" in value or value.startswith((".", "~")))
