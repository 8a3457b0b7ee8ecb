"""`nearcode search` (text → code) and `nearcode similar` (code → code)."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from ..code.languages import check_language
from ..search.similar import read_text, similar_at
from ..store.base import compile_globs
from .common import open_workspace, root_of, sync
from .options import CliError, add_common_options, add_yes_option, check_k, parse_location
from .output import print_hits

log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    """Add search and similar to the `nearcode` subcommands."""
    p = sub.add_parser("search", help="find code by what it does")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=10, help="number of results (default 10)")
    p.add_argument("--lang", action="append",
                   help="only this language, in any case: python, Go, … (repeatable)")
    p.add_argument("--path", dest="path_glob", action="append",
                   help="only paths matching this glob (repeatable)")
    p.add_argument("--no-tests", action="store_true",
                   help="leave test files out (they rank below implementation anyway)")
    p.add_argument("--root", dest="path", help="workspace folder")
    add_common_options(p, path=False)
    add_yes_option(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("similar", help="find code similar to FILE[:LINE[-LINE]]")
    p.add_argument("location")
    p.add_argument("-k", type=int, default=10, help="number of results (default 10)")
    p.add_argument("--no-tests", action="store_true", help="leave test files out")
    p.add_argument("--root", dest="path", help="workspace folder")
    add_common_options(p, path=False)
    add_yes_option(p)
    p.set_defaults(func=cmd_similar)


def cmd_search(args: argparse.Namespace) -> int:
    if not args.query.strip():
        raise CliError("the query is empty: say what the code does, or give a name")
    languages = [check_language(lang) for lang in args.lang or []]
    compile_globs(args.path_glob or [])  # InvalidGlob: a bad --path is the user's error
    check_k(args.k)
    with open_workspace(args) as ws:
        sync(ws)
        hits = ws.retriever.search(args.query, args.k, languages, args.path_glob or [])
    log.info("%d results for %r", len(hits), args.query)
    print_hits(hits, args.json)
    return 0


def cmd_similar(args: argparse.Namespace) -> int:
    path, start, end = parse_location(args.location)
    check_k(args.k)
    if not path.is_file():
        raise CliError(f"{path} is not a file")
    path = path.resolve()
    root = root_of(args)  # the folder the user is in (or --root), never the file's own
    if not path.is_relative_to(root):
        where = "given with --root" if args.path else "of the current folder"
        raise CliError(f"{path} is outside the workspace {root} ({where}); run `nearcode "
                       "similar` inside the file's project, or give it with --root")
    with open_workspace(args, root) as ws:
        sync(ws)
        hits = similar_at(ws, path, read_text(path), start, end, args.k,
                          whole_chunk=start is not None and start == end)
    print_hits(hits, args.json)
    return 0
