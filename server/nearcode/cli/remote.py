"""`nearcode search` and `nearcode similar` answered by a running `nearcode serve` for the same
workspace (app/endpoint.py), before this process imports anything heavy.

`ask` returns the hits, or None whenever the server's answer could differ from this process's
own or there is no answer (no server, a stale socket, another index or model, a timeout, a
request the server finds wrong): the caller then searches itself, as it always did, and bad
input gets the same message and exit code as without a server. Why an answer was not used is
logged at debug level.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from ..app.endpoint import BadMessage, WireHit
from ..app.endpoint import ask as ask_endpoint
from .options import find_root, overrides_of

log = logging.getLogger(__name__)


def ask(args: argparse.Namespace, request: dict[str, Any]) -> list[WireHit] | None:
    """The server's hits for `request` (its op and its own fields) from the command line
    `args`, or None."""
    root = _root(args)
    if root is None:
        return None
    request = {**request, "root": str(root), "cwd": os.getcwd(),
               "overrides": overrides_of(args)}
    reply = ask_endpoint(root, request)
    if reply is None:
        return None
    if reply.get("ok") is not True:
        log.debug("the server did not answer: %s: %s", reply.get("error"), reply.get("message"))
        return None
    raw_hits, warnings, note = reply.get("hits"), reply.get("warnings"), reply.get("note")
    try:
        if not isinstance(raw_hits, list) or not isinstance(warnings, list):
            raise BadMessage("no list of hits or warnings")
        hits = [WireHit.from_json(raw) for raw in raw_hits]
    except BadMessage as exc:
        log.debug("a broken reply: %s", exc)
        return None
    for problem in warnings:  # as settings_for prints them
        print(f"nearcode: warning: {problem}", file=sys.stderr)
    if note:
        print(f"nearcode: warning: {note}", file=sys.stderr)
    log.info("answered by the running nearcode server for %s", root)
    return hits


def _root(args: argparse.Namespace) -> Path | None:
    """The workspace folder, as common.root_of finds it; None for a --root that is not a folder
    (the search in this process says so)."""
    if not args.path:
        return find_root(Path.cwd())
    given = Path(args.path)
    return given.resolve() if given.is_dir() else None
