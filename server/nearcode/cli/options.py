"""The options several `nearcode` commands take, what they default to, and the command line's
own error.

Light on purpose (argparse, pathlib, config): `nearcode search` and `nearcode similar` parse their
arguments and find their workspace with this module alone before they ask a running server
(remote.py), so nothing here may import numpy, SQLite, the model or tree-sitter.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..config import LARGE_FILES, default_db_path
from ..errors import InvalidInput

EXIT_USAGE = 2
EXIT_PIPE = 141  # the reader of stdout went away, as a shell reports a process ended by SIGPIPE
BACKENDS = ["auto", "onnx", "onnx-fp32", "torch"]


class CliError(InvalidInput):
    """Bad input at the command line: printed as one line, exit code 2."""


def find_root(start: Path) -> Path:
    """The workspace folder for `start`: the nearest folder up that has an index, else the
    nearest with a .git, else `start` itself."""
    start = start.resolve()
    chain = [start, *start.parents]
    for folder in chain:
        if default_db_path(folder).is_file():
            return folder
    for folder in chain:
        if (folder / ".git").exists():
            return folder
    return start


def add_common_options(p: argparse.ArgumentParser, path: bool = True, store: bool = True
                       ) -> None:
    """The workspace folder, the model, the index and --json."""
    if path:
        p.add_argument("path", nargs="?", help="workspace folder (default: the current "
                       "repository or folder)")
    p.add_argument("--model", help="model: a trained model's name, a folder, or 'default'")
    p.add_argument("--backend", choices=BACKENDS, help="how to run the model (default: auto)")
    p.add_argument("--db", dest="db_path", help="index file (default: in the user cache)")
    if store:
        p.add_argument("--store", help="a postgresql:// URL: use that shared index instead")
    p.add_argument("--json", action="store_true", help="print JSON")


def add_yes_option(p: argparse.ArgumentParser) -> None:
    """--yes: index a folder that is not a project, or a large one, without asking."""
    p.add_argument("-y", "--yes", action="store_true",
                   help="index the folder even when it is not a project (no .git, the home "
                   f"folder, a system folder) or holds more than {LARGE_FILES:,} files, without "
                   "asking")


def overrides_of(args: argparse.Namespace) -> dict[str, Any]:
    """The settings the command line gives (on top of the folder's own)."""
    overrides: dict[str, Any] = {}
    for name in ("model", "db_path", "backend", "store"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    if getattr(args, "no_tests", False):
        overrides["include_tests"] = False
    return overrides


def check_k(k: int) -> None:
    if k < 1:
        raise CliError(f"-k must be at least 1, got {k}")


def parse_location(spec: str) -> tuple[Path, int | None, int | None]:
    """`nearcode similar`'s FILE, FILE:LINE or FILE:START-END (1-based lines)."""
    path, _, lines = spec.partition(":") if not Path(spec).exists() else (spec, "", "")
    if not lines:
        return Path(path), None, None
    try:
        start_s, _, end_s = lines.partition("-")
        start, end = int(start_s), int(end_s or start_s)
    except ValueError as exc:
        raise CliError(
            f"bad location {spec!r}: expected FILE, FILE:LINE or FILE:START-END") from exc
    if start < 1 or end < start:
        raise CliError(f"bad line range in {spec!r}")
    return Path(path), start, end
