"""`nearcode index`, `nearcode status` and `nearcode trust`: building an index and looking at it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .. import trust
from ..app.writelock import served
from ..config import db_path_for
from ..errors import Unavailable
from ..index.folder import check_root
from ..store.base import StoreError
from ..store.factory import open_store
from ..store.pg_db import is_url
from .common import open_workspace, root_of, settings_for, sync
from .options import CliError, add_common_options, add_yes_option, find_root


def register(sub: Any) -> None:
    """Add index, status and trust to the `nearcode` subcommands."""
    p = sub.add_parser("index", help="index a workspace folder (incremental)")
    add_common_options(p)
    add_yes_option(p)
    p.add_argument("--rebuild", action="store_true", help="drop the index and start over")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("status", help="what the index holds")
    add_common_options(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("trust", help="let a folder's pyproject.toml choose the index path and "
                       "store (settings that name paths or hosts)")
    p.add_argument("path", nargs="?", help="folder (default: the current repository or folder)")
    p.add_argument("--remove", action="store_true", help="stop trusting the folder")
    p.add_argument("--json", action="store_true", help="print the trusted folders as JSON")
    p.set_defaults(func=cmd_trust)


def cmd_index(args: argparse.Namespace) -> int:
    # --rebuild sets an index with corrupt pages aside first: it could not even be emptied
    with open_workspace(args, write_shared=True, repair=args.rebuild) as ws:
        for folder in ws.folders:
            if folder.store.read_only:
                raise StoreError(f"{folder.store.path} cannot be written (a read-only folder); "
                                 "point NEARCODE_CACHE_DIR or --db somewhere writable")
        if args.rebuild:
            if served(ws):
                raise Unavailable(f"a running nearcode server keeps the index of "
                                  f"{ws.folders[0].root}: stop it before --rebuild")
            for folder in ws.folders:
                folder.store.ensure_model(ws.embedder.model_id, ws.embedder.dim, rebuild=True)
        outcome = sync(ws)
        report = outcome.report
        if outcome.served:
            print(f"nearcode: {ws.folders[0].root} is kept up to date by a running nearcode "
                  "server; not indexed here", file=sys.stderr)
        files, chunks = ws.counts()
        out = {
            "root": str(ws.folders[0].root), "db": str(ws.folders[0].store.path),
            "files": files, "chunks": chunks, "files_indexed": report.files_indexed,
            "files_deleted": report.files_deleted, "chunks_embedded": report.chunks_embedded,
            "chunks_cached": report.chunks_cached, "skipped": len(report.skipped),
            "seconds": round(report.seconds, 2), "model": ws.embedder.model_id,
        }
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"indexed {out['root']}: {files} files, {chunks} chunks "
              f"({report.files_indexed} files updated, {report.chunks_embedded} chunks "
              f"embedded, {report.chunks_cached} from cache, {report.files_deleted} removed)"
              f" in {report.seconds:.1f}s")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    root = check_root(Path(args.path)) if args.path else find_root(Path.cwd())
    settings = settings_for(root, args)
    db = db_path_for(root, settings)
    if not is_url(settings.store) and not db.is_file():
        raise CliError(f"{root} has no index yet (run `nearcode index {root}`)")
    store = open_store(root, db, settings)
    try:
        files, chunks = store.counts()
        out: dict[str, Any] = {
            "root": str(root), "db": str(store.path), "files": files, "chunks": chunks,
            "model": store.model_id, "problems": store.check()}
        if not is_url(settings.store):
            out["db_bytes"] = db.stat().st_size
        for key in ("revision", "branch"):
            if store.meta(key):
                out[key] = store.meta(key)
    finally:
        store.close()
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        size = f" ({out['db_bytes'] / 1e6:.1f} MB)" if "db_bytes" in out else ""
        print(f"{out['root']}\n  index: {out['db']}{size}\n"
              f"  files: {files}\n  chunks: {chunks}\n  model: {out['model']}")
        if "revision" in out:
            print(f"  built from: {out.get('branch', '?')} {out['revision']}")
        for p in out["problems"]:
            print(f"  problem: {p}")
    return 1 if out["problems"] else 0


def cmd_trust(args: argparse.Namespace) -> int:
    root = root_of(args)
    folders = trust.set_trusted(root, trusted=not args.remove)
    verb = "no longer trusted" if args.remove else "trusted"
    print(f"{root}: {verb}; its [tool.nearcode] settings that name paths or hosts "
          f"{'are ignored' if args.remove else 'now apply'}")
    if args.json:
        print(json.dumps([str(f) for f in folders], indent=2))
    else:
        print("trusted folders:" if folders else "no trusted folders")
        for folder in folders:
            print(f"  {folder}")
    return 0
