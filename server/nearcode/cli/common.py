"""What the `nearcode` commands share: the workspace folder they act on, its settings, the
options every command takes, progress on stderr and the printing of hits."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..app.workspace import Workspace
from ..config import Settings, db_path_for, default_db_path
from ..config import load as load_settings
from ..errors import InvalidInput
from ..index.folder import check_root
from ..index.indexer import Progress, Report
from ..search.retrieval import Hit
from ..store import indexfile
from ..store.pg_db import is_url

EXIT_USAGE = 2
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


def settings_for(root: Path, args: argparse.Namespace) -> Settings:
    """The folder's settings with the command line's on top; problems go to stderr."""
    overrides: dict[str, Any] = {}
    for name in ("model", "db_path", "backend", "store"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    settings, problems = load_settings(root, overrides)
    for p in problems:
        print(f"nearcode: warning: {p}", file=sys.stderr)
    return settings


def root_of(args: argparse.Namespace) -> Path:
    """The folder named on the command line (checked), else the one the current folder is in."""
    return check_root(Path(args.path)) if args.path else find_root(Path.cwd())


@contextmanager
def open_workspace(args: argparse.Namespace, root: Path | None = None,
                   write_shared: bool = False, repair: bool = False) -> Iterator[Workspace]:
    """The workspace of `root` (default: `root_of(args)`), closed on the way out. `repair`:
    an index of nearcode's with corrupt pages is set aside first (a new one is built)."""
    root = check_root(root) if root is not None else root_of(args)
    settings = settings_for(root, args)
    if repair and not is_url(settings.store):
        indexfile.set_aside_if_damaged(db_path_for(root, settings))
    ws = Workspace([root], settings, write_shared=write_shared)
    try:
        yield ws
    finally:
        ws.close()


def _progress_bar(quiet: bool) -> tuple[Callable[[Progress], None] | None, Callable[[], None]]:
    """A tqdm bar on stderr fed by indexer progress, and a function that closes it."""
    if quiet or not sys.stderr.isatty():
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=0, unit="file", file=sys.stderr, dynamic_ncols=True, leave=False)

    def update(p: Progress) -> None:
        bar.total = p.total
        bar.n = p.done
        bar.set_postfix_str((p.path or "")[-40:], refresh=False)
        bar.refresh()

    return update, bar.close


def sync(ws: Workspace, quiet: bool) -> Report:
    """Bring the index up to date, with a progress bar unless `quiet` (or not a terminal)."""
    update, close = _progress_bar(quiet)
    try:
        return ws.sync(update)
    finally:
        close()


def check_k(k: int) -> None:
    if k < 1:
        raise CliError(f"-k must be at least 1, got {k}")


def hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "path": str(hit.abspath), "start_line": hit.start_line, "end_line": hit.end_line,
        "symbol": hit.symbol, "kind": hit.kind, "language": hit.language,
        "score": round(hit.score, 6), "preview": hit.preview,
    }


def print_hits(hits: Sequence[Hit], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"results": [hit_json(h) for h in hits]}, indent=2))
        return
    if not hits:
        print("no results")
        return
    cwd = Path.cwd()
    for h in hits:
        try:
            shown = h.abspath.relative_to(cwd)
        except ValueError:
            shown = h.abspath
        name = f"  {h.symbol}" if h.symbol else ""
        print(f"{shown}:{h.start_line}-{h.end_line}{name}  ({h.kind}, {h.score:.4f})")
        for line in h.preview.splitlines():
            print(f"    {line}")
        print()
