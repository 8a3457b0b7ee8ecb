"""The local endpoint of a running `nearcode serve`: where it listens, how a request and its
reply travel, and the hits in a reply. The server side is endpoint_server.py; the CLI asks
through cli/remote.py.

Why: `nearcode search` in a fresh process spends its time starting (imports, the model's
session, the walk that syncs the index), not searching. A server for the same workspace has
done all that and keeps the index fresh, so it answers for the CLI.

- Where: a Unix domain socket per workspace folder, `<cache>/run/<hash of the folder>.sock`. The
  folder `run` is the user's alone (0700, checked on both sides, never followed as a link), the
  socket 0600, and on Linux the server also checks the caller's uid. Never TCP; without
  AF_UNIX (or with a path too long for it) there is no endpoint and the CLI works alone.
- How: one JSON object each way. The client writes its request (at most MAX_REQUEST bytes) and
  shuts its writing side; the server replies `{"ok": true, "hits": [...], "warnings": [...],
  "note": ...}` or `{"ok": false, "error": KIND, "message": ...}` and closes.

Light on purpose (stdlib and config only): the CLI imports it before anything heavy.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import cache_dir
from ..errors import InvalidInput

log = logging.getLogger(__name__)

MAX_REQUEST = 64 * 1024  # bytes: a query, a few globs and paths
MAX_REPLY = 64 * 1024 * 1024  # bytes: -k in the thousands with previews
PATH_MAX = 100  # bytes of a socket path: sun_path is 108 on Linux, 104 on macOS
CONNECT_TIMEOUT_S = 0.5
REPLY_TIMEOUT_S = 60.0  # the server may first wait (FRESH_WAIT_S) for changes to be indexed

SUPPORTED = hasattr(socket, "AF_UNIX") and hasattr(os, "getuid")


class BadMessage(InvalidInput):
    """A request or reply that is not one JSON object within its size limit."""


@dataclass(frozen=True)
class WireHit:
    """A hit as a reply carries it: what cli/output.py prints, with the score unrounded so that
    text and JSON come out as they would in the CLI's own process."""

    path: str
    root: str
    start_line: int
    end_line: int
    symbol: str | None
    kind: str
    language: str
    score: float
    preview: str

    @property
    def abspath(self) -> Path:
        return Path(self.root) / self.path

    @classmethod
    def from_json(cls, raw: Any) -> WireHit:
        if not isinstance(raw, dict):
            raise BadMessage("a hit is not an object")
        try:
            return cls(**raw)
        except TypeError as exc:
            raise BadMessage(f"a hit has other fields: {exc}") from exc


# ----------------------------------------------------------------------------- where


def run_dir() -> Path:
    """The folder of the sockets: the user's alone."""
    return cache_dir() / "run"


def address(root: Path) -> Path | None:
    """The socket of the server for workspace folder `root` (resolved), or None where there can
    be none (no AF_UNIX, or a cache path too long for a socket)."""
    if not SUPPORTED:
        return None
    key = hashlib.sha1(str(root).encode()).hexdigest()[:16]
    path = run_dir() / f"{key}.sock"
    return path if len(os.fsencode(path)) <= PATH_MAX else None


def is_private(folder: Path) -> bool:
    """True when `folder` is a real folder (not a link) of this user that no one else can
    enter."""
    try:
        st = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


def make_private(folder: Path) -> bool:
    """Create `folder` (0700) or take away others' access to it if it is this user's; True
    when it is private afterwards."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(folder)
        if stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and st.st_mode & 0o077:
            os.chmod(folder, 0o700)
    except OSError as exc:
        log.info("no endpoint for the CLI: %s (%s)", folder, exc.strerror or exc)
        return False
    return is_private(folder)


# ----------------------------------------------------------------------------- how


def send(sock: socket.socket, message: dict[str, Any]) -> None:
    sock.sendall(json.dumps(message).encode("utf-8"))


def receive(sock: socket.socket, limit: int) -> dict[str, Any]:
    """One JSON object: the bytes until the peer shuts its writing side, at most `limit`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        data = sock.recv(65536)
        if not data:
            break
        size += len(data)
        if size > limit:
            raise BadMessage(f"a message over {limit} bytes")
        chunks.append(data)
    try:
        message = json.loads(b"".join(chunks).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadMessage(f"not JSON: {exc}") from exc
    if not isinstance(message, dict):
        raise BadMessage("not a JSON object")
    return message


def ask(root: Path, request: dict[str, Any]) -> dict[str, Any] | None:
    """The reply of the server for `root` to `request`, or None when none answers: no socket,
    a stale one (its server is gone), a folder or socket that is not this user's own, a
    timeout, a broken reply. Why is logged at debug level."""
    path = address(root)
    if path is None or not path.exists():
        return None
    if not is_private(path.parent) or os.lstat(path).st_uid != os.getuid():
        log.debug("%s is not this user's own; not asking it", path)
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(CONNECT_TIMEOUT_S)
            sock.connect(str(path))
            sock.settimeout(REPLY_TIMEOUT_S)
            send(sock, request)
            sock.shutdown(socket.SHUT_WR)
            return receive(sock, MAX_REPLY)
    except (OSError, BadMessage) as exc:  # ConnectionRefusedError: a stale socket
        log.debug("no answer from %s: %s", path, exc)
        return None
