"""The `nearcode` command: index, search, similar, status, serve, mcp, train, eval, models.

Every command prints human-readable text by default and JSON with --json. Bad input ends with
one line on stderr and a non-zero exit code, never a traceback (NEARCODE_DEBUG=1 shows it).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .config import Settings, db_path_for, default_db_path
from .config import load as load_settings

log = logging.getLogger("nearcode")

EXIT_USAGE = 2


class CliError(Exception):
    """Bad input at the command line: printed as one line, exit code 2."""


# ----------------------------------------------------------------------------- helpers


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


def _settings(root: Path, args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    for name in ("model", "db_path", "backend", "store"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    settings, problems = load_settings(root, overrides)
    for p in problems:
        print(f"nearcode: warning: {p}", file=sys.stderr)
    return settings


def _open(args: argparse.Namespace, root: Path | None = None,  # type: ignore[no-untyped-def]
          write_shared: bool = False):
    from .workspace import Workspace, check_root

    if root or args.path:
        root = check_root(root or Path(args.path))
    else:
        root = find_root(Path.cwd())
    return Workspace([root], _settings(root, args), write_shared=write_shared)


def _progress_bar(quiet: bool) -> tuple[Callable[..., None] | None, Callable[[], None]]:
    """A tqdm bar on stderr fed by indexer progress, and a function that closes it."""
    if quiet or not sys.stderr.isatty():
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=0, unit="file", file=sys.stderr, dynamic_ncols=True, leave=False)

    def update(p) -> None:  # type: ignore[no-untyped-def]
        bar.total = p.total
        bar.n = p.done
        bar.set_postfix_str((p.path or "")[-40:], refresh=False)
        bar.refresh()

    return update, bar.close


def _sync(ws, quiet: bool):  # type: ignore[no-untyped-def]
    update, close = _progress_bar(quiet)
    try:
        return ws.sync(update)
    finally:
        close()


def _hit_json(hit) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {
        "path": str(hit.abspath), "start_line": hit.start_line, "end_line": hit.end_line,
        "symbol": hit.symbol, "kind": hit.kind, "language": hit.language,
        "score": round(hit.score, 6), "preview": hit.preview,
    }


def _print_hits(hits: Sequence[Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"results": [_hit_json(h) for h in hits]}, indent=2))
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


# ----------------------------------------------------------------------------- commands


def cmd_index(args: argparse.Namespace) -> int:
    ws = _open(args, write_shared=True)  # with --store: CI builds the shared index
    try:
        if args.rebuild:
            for folder in ws.folders:
                folder.store.ensure_model(ws.embedder.model_id, ws.embedder.dim, rebuild=True)
        report = _sync(ws, args.json)
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
    finally:
        ws.close()


def cmd_search(args: argparse.Namespace) -> int:
    from .languages import check_language

    languages = [check_language(lang) for lang in args.lang or []]
    _check_k(args.k)
    ws = _open(args)
    try:
        _sync(ws, True)
        hits = ws.retriever.search(args.query, args.k, languages, args.path_glob or [])
        _print_hits(hits, args.json)
        return 0
    finally:
        ws.close()


def parse_location(spec: str) -> tuple[Path, int | None, int | None]:
    """FILE, FILE:LINE or FILE:START-END (1-based lines)."""
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


def _check_k(k: int) -> None:
    if k < 1:
        raise CliError(f"-k must be at least 1, got {k}")


def cmd_similar(args: argparse.Namespace) -> int:
    from .similar import read_text, similar_at

    path, start, end = parse_location(args.location)
    _check_k(args.k)
    if not path.is_file():
        raise CliError(f"{path} is not a file")
    path = path.resolve()
    ws = _open(args, find_root(path.parent) if args.path is None else None)
    try:
        _sync(ws, True)
        hits = similar_at(ws, path, read_text(path), start, end, args.k,
                          whole_chunk=start is not None and start == end)
        _print_hits(hits, args.json)
        return 0
    finally:
        ws.close()


def cmd_status(args: argparse.Namespace) -> int:
    from .store_pg import is_url
    from .workspace import open_store

    root = Path(args.path).resolve() if args.path else find_root(Path.cwd())
    settings = _settings(root, args)
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
    from . import trust
    from .workspace import check_root

    root = check_root(Path(args.path)) if args.path else find_root(Path.cwd())
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


def cmd_serve(args: argparse.Namespace) -> int:
    from .server import serve

    defaults = {k: v for k, v in (("model", args.model), ("backend", args.backend),
                                   ("db_path", args.db_path), ("store", args.store))
                if v is not None}
    serve(tcp=args.tcp, host=args.host, port=args.port, defaults=defaults)
    return 0


def cmd_mcp(args: argparse.Namespace) -> int:
    from .mcp.server import implicit_root, run
    from .workspace import check_root

    root = check_root(Path(args.path)) if args.path else implicit_root(find_root(Path.cwd()))
    run(root, _settings(root, args), http=args.http, port=args.port)
    return 0


# ----------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nearcode", description="Embedding-powered code search over a workspace.")
    parser.add_argument("--version", action="version", version=f"nearcode {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p: argparse.ArgumentParser, path: bool = True) -> None:
        if path:
            p.add_argument("path", nargs="?", help="workspace folder (default: the current "
                           "repository or folder)")
        p.add_argument("--model", help="model: a trained model's name, a folder, or 'default'")
        p.add_argument("--backend", choices=["auto", "onnx", "onnx-fp32", "torch"],
                       help="how to run the model (default: auto)")
        p.add_argument("--db", dest="db_path", help="index file (default: in the user cache)")
        p.add_argument("--store", help="a postgresql:// URL: use that shared index instead")
        p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("index", help="index a workspace folder (incremental)")
    common(p)
    p.add_argument("--rebuild", action="store_true", help="drop the index and start over")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("search", help="find code by what it does")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=10, help="number of results (default 10)")
    p.add_argument("--lang", action="append", help="only this language (repeatable)")
    p.add_argument("--path", dest="path_glob", action="append",
                   help="only paths matching this glob (repeatable)")
    p.add_argument("--root", dest="path", help="workspace folder")
    common(p, path=False)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("similar", help="find code similar to FILE[:LINE[-LINE]]")
    p.add_argument("location")
    p.add_argument("-k", type=int, default=10, help="number of results (default 10)")
    p.add_argument("--root", dest="path", help="workspace folder")
    common(p, path=False)
    p.set_defaults(func=cmd_similar)

    p = sub.add_parser("status", help="what the index holds")
    common(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("trust", help="let a folder's pyproject.toml choose the index path and "
                       "store (settings that name paths or hosts)")
    p.add_argument("path", nargs="?", help="folder (default: the current repository or folder)")
    p.add_argument("--remove", action="store_true", help="stop trusting the folder")
    p.add_argument("--json", action="store_true", help="print the trusted folders as JSON")
    p.set_defaults(func=cmd_trust)

    p = sub.add_parser("serve", help="run the language server (stdio by default)")
    p.add_argument("--tcp", action="store_true", help="listen on TCP instead of stdio")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=2087)
    p.add_argument("--model", help="default model (the editor's settings win)")
    p.add_argument("--backend", choices=["auto", "onnx", "onnx-fp32", "torch"])
    p.add_argument("--db", dest="db_path", help="index file (default: in the user cache)")
    p.add_argument("--store", help="a postgresql:// URL: read that shared index")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("mcp", help="run the MCP server for coding agents (stdio by default)")
    p.add_argument("path", nargs="?", help="workspace folder (default: the current repository "
                   "or folder)")
    p.add_argument("--http", action="store_true",
                   help="serve streamable HTTP on 127.0.0.1 instead of stdio")
    p.add_argument("--port", type=int, default=8765, help="HTTP port (default 8765)")
    p.add_argument("--model", help="model (use the editor's, so both read the same index)")
    p.add_argument("--backend", choices=["auto", "onnx", "onnx-fp32", "torch"])
    p.add_argument("--db", dest="db_path", help="index file (default: in the user cache)")
    p.add_argument("--store", help="a postgresql:// URL: read that shared index")
    p.set_defaults(func=cmd_mcp)

    for register in _extra_commands():
        register(sub)
    return parser


def _extra_commands() -> list[Callable[[Any], None]]:
    """Commands that live beside their modules (train/eval/models, duplicates)."""
    out: list[Callable[[Any], None]] = []
    try:
        from .training_cli import register as register_training

        out.append(register_training)
    except ImportError:
        pass
    try:
        from .duplicates import register as register_duplicates

        out.append(register_duplicates)
    except ImportError:
        pass
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose or args.command == "serve" else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("pygls").setLevel(logging.WARNING)  # it logs every message at INFO
    from .embedding import ModelError
    from .languages import UnknownLanguageError
    from .similar import LocationError
    from .store import StoreError
    from .workspace import WorkspaceError

    expected = (CliError, LocationError, ModelError, StoreError, UnknownLanguageError,
                WorkspaceError)
    try:
        return int(args.func(args) or 0)
    except expected as exc:
        print(f"nearcode: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("nearcode: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line, the traceback only on request
        if os.environ.get("NEARCODE_DEBUG"):
            raise
        print(f"nearcode: internal error: {type(exc).__name__}: {exc} "
              "(NEARCODE_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
