"""`nearcode search` (text → code) and `nearcode similar` (code → code): answered by a running
`nearcode serve` for the same workspace when there is one (remote.py), else in this process
(search_here.py). Until the answer comes, nothing heavy is imported: a server's answer takes
a fraction of the time this process needs to load numpy, SQLite and the model."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from typing import Any

from . import remote
from .options import CliError, add_common_options, add_yes_option, parse_location
from .output import Shown, print_hits

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
    hits: Sequence[Shown] | None = remote.ask(args, {
        "op": "search", "query": args.query, "k": args.k, "languages": args.lang or [],
        "paths": args.path_glob or []})
    if hits is None:
        from .search_here import search  # the heavy part, imported only when needed

        hits = search(args)
    log.info("%d results for %r", len(hits), args.query)
    print_hits(hits, args.json)
    return 0


def cmd_similar(args: argparse.Namespace) -> int:
    request = _similar_request(args)
    hits: Sequence[Shown] | None = None if request is None else remote.ask(args, request)
    if hits is None:
        from .search_here import similar  # the heavy part, imported only when needed

        hits = similar(args)
    print_hits(hits, args.json)
    return 0


def _similar_request(args: argparse.Namespace) -> dict[str, Any] | None:
    """The request for a server, or None when the location is wrong (then the similar of this
    process says how)."""
    try:
        path, start, end = parse_location(args.location)
    except CliError:
        return None
    if not path.is_file():
        return None
    return {"op": "similar", "file": str(path.resolve()), "start": start, "end": end,
            "k": args.k}

