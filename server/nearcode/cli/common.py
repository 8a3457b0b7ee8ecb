"""What the `nearcode` commands share: the workspace folder they act on, its settings, the
index opened and brought up to date with progress on stderr. (Their options, light enough for
the fast path of search and similar, are in options.py; the printing of hits in output.py.)"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..app.workspace import Workspace
from ..app.writelock import SyncOutcome, other_model, sync_unless_served
from ..config import Settings, db_path_for
from ..config import load as load_settings
from ..errors import Unavailable
from ..index.folder import check_root
from ..index.indexer import Progress
from ..index.scope import assess
from ..store import indexfile
from ..store.pg_db import is_url
from .options import CliError, find_root, overrides_of

log = logging.getLogger(__name__)


class NotConfirmed(CliError):
    """A folder that is not a project, or a large one, that the user did not agree to index."""


def settings_for(root: Path, args: argparse.Namespace) -> Settings:
    """The folder's settings with the command line's on top; problems go to stderr."""
    settings, problems = load_settings(root, overrides_of(args))
    for p in problems:
        print(f"nearcode: warning: {p}", file=sys.stderr)
    return settings


def root_of(args: argparse.Namespace) -> Path:
    """The folder named on the command line (checked), else the one the current folder is in."""
    return check_root(Path(args.path)) if args.path else find_root(Path.cwd())


def has_index(root: Path, settings: Settings) -> bool:
    """True when `root` already has a local index (the user agreed to index it before)."""
    db = db_path_for(root, settings)
    try:
        return db.is_file() and db.stat().st_size > 0
    except OSError:
        return False


def confirm_scope(root: Path, settings: Settings, yes: bool) -> None:
    """Go ahead when `root` is a project of a reasonable size, already indexed, or `yes`;
    otherwise say which folder and how many files, and ask on a terminal (y/N). Without a
    terminal, or on any answer but yes, NotConfirmed (exit 2): nothing is written."""
    if yes or is_url(settings.store) or has_index(root, settings):
        return
    scope = assess(root, settings)
    if scope.problem is None:
        if sys.stderr.isatty():
            print(f"nearcode: indexing {root} for the first time ({scope.count})",
                  file=sys.stderr)
        return
    what = f"{root} {scope.problem}; indexing it would read {scope.count}"
    if not sys.stdin.isatty():
        raise NotConfirmed(f"{what}. Not indexed: run nearcode inside a project (or name one), "
                           "or add --yes to index this folder anyway")
    print(f"nearcode: {what}.", file=sys.stderr)
    print("nearcode: index it? [y/N] ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        raise NotConfirmed(f"{root} not indexed")


@contextmanager
def open_workspace(args: argparse.Namespace, root: Path | None = None,
                   write_shared: bool = False, repair: bool = False,
                   confirm: bool = True) -> Iterator[Workspace]:
    """The workspace of `root` (default: `root_of(args)`), closed on the way out. `repair`:
    an index of nearcode's with corrupt pages is set aside first (a new one is built). With
    `confirm`, a folder that is not a project or is large needs the user's yes first
    (`confirm_scope`)."""
    root = check_root(root) if root is not None else root_of(args)
    settings = settings_for(root, args)
    if confirm:
        confirm_scope(root, settings, bool(getattr(args, "yes", False)))
    if repair and not is_url(settings.store):
        indexfile.set_aside_if_damaged(db_path_for(root, settings))
    ws = Workspace([root], settings, write_shared=write_shared)
    try:
        yield ws
    finally:
        ws.close()


def _progress_bar(quiet: bool) -> tuple[Callable[[Progress], None], Callable[[], None]]:
    """Indexer progress on stderr, and a function that ends it: a tqdm bar on a terminal
    (unless `quiet`), else a log line per tenth (shown with -v). Why everything is embedded
    again (another model), and what it costs, is always said, once."""
    said: set[str] = set()
    bar: Any = None
    if not quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=0, unit="file", file=sys.stderr, dynamic_ncols=True, leave=False)
    logged = [-1]
    stage = ["files"]

    def update(p: Progress) -> None:
        if p.reason and p.reason not in said:
            said.add(p.reason)
            print(f"nearcode: {p.reason}", file=sys.stderr)
        if p.stage != stage[0]:  # files are all searchable; now their vectors
            stage[0], logged[0] = p.stage, -1
            if bar is not None:
                bar.unit = "chunk"
                bar.set_description_str("embedding", refresh=False)
        if bar is not None:
            bar.total = p.total
            bar.n = p.done
            bar.set_postfix_str((p.path or "")[-40:], refresh=False)
            bar.refresh()
        elif p.total and 10 * p.done // p.total > logged[0]:
            logged[0] = 10 * p.done // p.total
            what = "files indexed" if p.stage == "files" else "chunks embedded"
            log.info("%d of %d %s", p.done, p.total, what)

    return update, (bar.close if bar is not None else lambda: None)


def sync(ws: Workspace, quiet: bool = False) -> SyncOutcome:
    """Bring the index up to date, with progress on stderr (a bar on a terminal unless
    `quiet`), and log what it did (shown with -v). An index that a running `nearcode serve`
    or `watch` keeps is left to it (writelock.py: two writers would undo each other's work)
    and read as it is, unless that server embeds with another model: Unavailable then."""
    update, close = _progress_bar(quiet)
    try:
        outcome = sync_unless_served(ws, progress=update)
    finally:
        close()
    report = outcome.report
    other = other_model(ws, [root for root, state in outcome.folders.items()
                             if state == "served"])
    if other is not None:
        raise Unavailable(
            f"the index of {other[0]} is kept by a running nearcode server with model "
            f"{other[1]}, but this command loaded {ws.embedder.model_id}: give the server's "
            "model (--model), or stop the server first")
    for root, state in outcome.folders.items():
        if state == "served":
            log.info("%s is kept up to date by a running nearcode server: not indexed here",
                     root)
        elif state == "busy":
            print(f"nearcode: warning: another nearcode process is still indexing {root}; "
                  "results may miss its latest changes", file=sys.stderr)
    log.info("%s: %d files seen, %d indexed, %d unchanged, %d removed; %d chunks embedded, "
             "%d from cache; %.1fs (model %s)", ", ".join(str(f.root) for f in ws.folders),
             report.files_seen, report.files_indexed, report.files_unchanged,
             report.files_deleted, report.chunks_embedded, report.chunks_cached,
             report.seconds, ws.embedder.model_id)
    reasons: dict[str, int] = {}
    for why in report.skipped.values():
        reasons[why] = reasons.get(why, 0) + 1
    for why, n in sorted(reasons.items()):
        log.info("skipped %d file%s: %s", n, "" if n == 1 else "s", why)
    return outcome
