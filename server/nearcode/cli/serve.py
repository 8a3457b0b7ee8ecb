"""`nearcode serve`: the language server, on stdio or TCP."""

from __future__ import annotations

import argparse
from typing import Any

from .options import BACKENDS


def register(sub: Any) -> None:
    """Add serve to the `nearcode` subcommands."""
    p = sub.add_parser("serve", help="run the language server (stdio by default)")
    p.add_argument("--tcp", action="store_true", help="listen on TCP instead of stdio")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=2087)
    p.add_argument("--model", help="default model (the editor's settings win)")
    p.add_argument("--backend", choices=BACKENDS)
    p.add_argument("--db", dest="db_path", help="index file (default: in the user cache)")
    p.add_argument("--store", help="a postgresql:// URL: read that shared index")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    # imported here: the other commands need neither pygls nor the LSP features
    from ..lsp.server import serve

    defaults = {k: v for k, v in (("model", args.model), ("backend", args.backend),
                                   ("db_path", args.db_path), ("store", args.store))
                if v is not None}
    serve(tcp=args.tcp, host=args.host, port=args.port, defaults=defaults)
    return 0
