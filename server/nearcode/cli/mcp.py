"""`nearcode mcp`: the MCP server for coding agents, on stdio or streamable HTTP."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..index.folder import check_root
from .common import settings_for
from .options import BACKENDS, find_root


def register(sub: Any) -> None:
    """Add mcp to the `nearcode` subcommands."""
    p = sub.add_parser("mcp", help="run the MCP server for coding agents (stdio by default)")
    p.add_argument("path", nargs="?", help="workspace folder (default: the current repository "
                   "or folder)")
    p.add_argument("--http", action="store_true",
                   help="serve streamable HTTP on 127.0.0.1 instead of stdio")
    p.add_argument("--port", type=int, default=8765, help="HTTP port (default 8765)")
    p.add_argument("--model", help="model (use the editor's, so both read the same index)")
    p.add_argument("--backend", choices=BACKENDS)
    p.add_argument("--db", dest="db_path", help="index file (default: in the user cache)")
    p.add_argument("--store", help="a postgresql:// URL: read that shared index")
    p.add_argument("-y", "--yes", action="store_true",
                   help="serve PATH even when it is the home folder, / or a system folder")
    p.set_defaults(func=cmd_mcp)


def cmd_mcp(args: argparse.Namespace) -> int:
    # imported here: the other commands need no MCP SDK
    from ..mcp.server import check_workspace, run

    if args.path:
        root = check_workspace(check_root(Path(args.path)), implicit=False, yes=args.yes)
    else:
        root = check_workspace(find_root(Path.cwd()), implicit=True)
    run(root, settings_for(root, args), http=args.http, port=args.port)
    return 0
