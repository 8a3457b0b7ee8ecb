"""`nearcode serve`: the language server, built by `create_server` from its features.

Each module of `features/` adds its handlers with `register(server)`; they share the server
object of base.py. Logs go to stderr and, from INFO up, to the client as window/logMessage;
never to stdout, which carries the protocol in stdio mode.
"""

from __future__ import annotations

import sys
from typing import Any

from .base import NearcodeServer
from .features import (
    completion,
    documents,
    duplicate_hints,
    indexing,
    lifecycle,
    search,
    similar,
)

FEATURES = (lifecycle, documents, indexing, search, similar, completion, duplicate_hints)


def create_server(defaults: dict[str, Any] | None = None) -> NearcodeServer:
    """A language server with every feature registered. `defaults`: settings from the command
    line (the editor's initializationOptions win)."""
    server = NearcodeServer(defaults)
    for feature in FEATURES:
        feature.register(server)
    return server


def serve(tcp: bool = False, host: str = "127.0.0.1", port: int = 2087,
          defaults: dict[str, Any] | None = None) -> None:
    """Run until the client says exit. In stdio mode stdout carries only the protocol."""
    server = create_server(defaults)
    if tcp:
        server.start_tcp(host, port)
        return
    protocol_out = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print() must not corrupt the protocol stream
    server.start_io(sys.stdin.buffer, protocol_out)
