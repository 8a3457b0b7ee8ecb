"""`nearcode watch`: the language server's indexing without an editor, for the command line.

It indexes the workspace (every file searchable by its words first, then embedded), keeps the
index fresh as files change, and answers `nearcode search` and `nearcode similar` at once over
the same per-user socket a running `nearcode serve` offers (app/endpoint.py), until Ctrl-C,
SIGTERM, or `--idle-minutes` without a question. Opt-in: nothing starts it behind the user's
back, and it holds the index as a server does (`nearcode mcp` then only reads it).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from typing import Any

from ..app.endpoint_server import EndpointServer
from ..app.watch import Watcher
from ..app.worker import IndexService, ProgressSink
from ..index.indexer import Progress
from .common import open_workspace
from .options import CliError, add_common_options, add_yes_option

log = logging.getLogger(__name__)

POLL_S = 0.5


def register(sub: Any) -> None:
    """Add watch to the `nearcode` subcommands."""
    p = sub.add_parser("watch", help="keep the index fresh in the background and answer "
                       "search/similar at once (until Ctrl-C or --idle-minutes)")
    add_common_options(p)
    add_yes_option(p)
    p.add_argument("--idle-minutes", type=float, default=60.0,
                   help="stop after this long without a question (default 60; 0: never)")
    p.set_defaults(func=cmd_watch)


class _Say(ProgressSink):
    """The indexing runs, one line each on stderr (stdout stays empty)."""

    def begin(self, title: str) -> None:
        print(f"nearcode: {title.removeprefix('nearcode: ')}…", file=sys.stderr)

    def report(self, progress: Progress) -> None:
        if progress.stage == "embedding" and progress.done == progress.total:
            print(f"nearcode: {progress.total:,} chunks embedded", file=sys.stderr)

    def end(self, message: str) -> None:
        print(f"nearcode: {message}", file=sys.stderr)

    def error(self, message: str) -> None:
        print(message, file=sys.stderr)


def cmd_watch(args: argparse.Namespace) -> int:
    if args.idle_minutes < 0:
        raise CliError(f"--idle-minutes must be 0 or more, got {args.idle_minutes}")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with open_workspace(args) as ws:
        service = IndexService(ws, _Say())
        watcher = Watcher(ws.folders, service.schedule_paths, lambda f: service.schedule_sync(f))
        endpoint = EndpointServer(ws, service, watcher)
        service.start()
        try:
            watcher.start()
            endpoint.start()
            if not endpoint.listening:
                raise CliError("cannot answer the CLI here (no Unix socket, or another nearcode "
                               "server answers for this folder already)")
            for folder in ws.folders:
                print(f"nearcode: watching {folder.root}; `nearcode search` and `similar` are "
                      "answered from here", file=sys.stderr)
            idle_s = args.idle_minutes * 60
            while not stop.wait(POLL_S):
                if idle_s and time.monotonic() - endpoint.last_used > idle_s:
                    print(f"nearcode: no question for {args.idle_minutes:g} minutes; stopping",
                          file=sys.stderr)
                    break
        finally:
            endpoint.stop()
            watcher.stop()
            service.stop()
    return 0
