"""A bare JSON-RPC client for `nearcode serve` over stdio: it sends any bytes (malformed
requests, invalid JSON, deep nesting) and reads the answers, which pytest-lsp's typed client
cannot do."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class RawServer:
    """`nearcode serve` as a subprocess; `send` writes one framed message, `answer` waits for the
    response with an id, `notes` collects notifications (window/showMessage, logMessage)."""

    def __init__(self, *args: str, prefix: Sequence[str] = (),
                 env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [*prefix, sys.executable, "-m", "nearcode", "serve", *args], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env or dict(os.environ))
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.notes: list[dict[str, Any]] = []
        self.stderr: list[bytes] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain, daemon=True).start()
        self.next_id = 1000

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii", "replace").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if length is None:
                continue
            message = json.loads(out.read(length))
            if "id" in message and "method" in message:  # a request of the server's: say yes
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "id" in message:
                self.messages.put(message)
            else:
                self.notes.append(message)

    def send_bytes(self, body: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.send_bytes(json.dumps(message).encode())

    def request(self, method: str, params: Any = None, omit_params: bool = False,
                timeout: float = 30) -> dict[str, Any]:
        """Send a request and return the whole response (with `result` or `error`)."""
        self.next_id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if not omit_params:
            message["params"] = params
        self.send(message)
        return self.answer(self.next_id, timeout)

    def answer(self, id_: Any, timeout: float = 30) -> dict[str, Any]:
        while True:
            message = self.messages.get(timeout=timeout)
            if message.get("id") == id_:
                return message

    def start(self, root: Path, options: dict[str, Any] | None = None) -> dict[str, Any]:
        result = self.request("initialize", {
            "processId": None, "rootUri": root.as_uri(), "capabilities": {},
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "initializationOptions": options or {}})
        self.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        return result

    def stop(self) -> None:
        try:
            self.request("shutdown", None, timeout=10)
            self.send({"jsonrpc": "2.0", "method": "exit"})
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()


_UNSHARE = ('mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" && shift && '
            'exec "$@"')


def read_only_prefix(folder: Path) -> list[str] | None:
    """A command prefix under which `folder` cannot be written, even by root: a read-only bind
    mount in a user namespace (`unshare`). Without one: [] after taking the write permission
    away (enough for a user who is not root); None when neither works."""
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", _UNSHARE, "sh", str(folder), "true"],
                           capture_output=True) if _have("unshare") else None
    if probe is not None and probe.returncode == 0:
        return ["unshare", "-rm", "sh", "-c", _UNSHARE, "sh", str(folder)]
    if os.geteuid() == 0:
        return None
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode & ~0o222)
    return []


def _have(program: str) -> bool:
    import shutil

    return shutil.which(program) is not None
