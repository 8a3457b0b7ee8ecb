"""The JSON-RPC edge: reading framed messages, and answering every request, malformed ones too.

pygls drops a message it cannot parse or structure and the client waits for ever. Here each
request gets an answer with JSON-RPC's code for what is wrong:

    -32700  the body is not JSON (or not UTF-8); the id cannot be read, so it is null
    -32600  JSON nested deeper than the parser goes (about 1,000 levels); answered with the id
            read from the message's top level
    -32602  params that do not fit the method's types (missing, not an object, a field of the
            wrong type: a `query` that is not a string is refused, not turned into "None")

A -32603 reply never carries a traceback: its message is one line and the traceback goes to the
log (stderr and window/logMessage).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from cattrs import ClassValidationError, transform_error
from lsprotocol import types as t
from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger(__name__)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602
CONTENT_LENGTH = re.compile(rb"^Content-Length: (\d+)\r\n$")


@dataclass(frozen=True)
class Refused:
    """A request that cannot be handled, with the error to answer it with."""

    id: int | str | None
    error: t.ResponseError


def message_id(value: Any) -> int | str | None:
    """A JSON-RPC id as the reply may echo it (ints and strings; anything else is null)."""
    ok = isinstance(value, (int, str)) and not isinstance(value, bool)
    return value if ok else None


def top_level_id(body: bytes) -> int | str | None:
    """The `id` member of the message's outermost object, read without parsing its values (a
    message too deep for json.loads still has a shallow id)."""
    text = body.decode("utf-8", "replace")
    decoder = json.JSONDecoder()
    depth, i = 0, 0
    while i < len(text):
        c = text[i]
        if c == '"':
            try:
                token, end = decoder.raw_decode(text, i)
            except ValueError:
                return None
            colon = re.compile(r"\s*:\s*").match(text, end)
            if depth == 1 and token == "id" and colon:
                try:
                    return message_id(decoder.raw_decode(text, colon.end())[0])
                except (ValueError, RecursionError):
                    return None
            i = end
            continue
        depth += c in "[{"
        depth -= c in "]}"
        i += 1
    return None


def _describe(method: str, exc: BaseException | None) -> str:
    if isinstance(exc, ClassValidationError):
        details = "; ".join(d.replace("$.", "") for d in transform_error(exc, path="$"))
        return f"invalid params for {method}: {details}"
    return f"invalid params for {method}"


class NearcodeProtocol(LanguageServerProtocol):
    """pygls' protocol, but every request is answered and no reply carries a traceback."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if "id" in data and "method" in data and "jsonrpc" in data:  # a request: answer
                message = _describe(str(data["method"]), exc.__cause__)
                return Refused(message_id(data["id"]), t.ResponseError(INVALID_PARAMS, message))
            raise  # a notification: nobody waits for it; pygls logs it

    def handle_message(self, message: Any) -> None:
        if isinstance(message, Refused):
            log.warning("refused a request: %s", message.error.message)
            self.refuse(message.id, message.error.code, message.error.message)
            return
        super().handle_message(message)

    def refuse(self, id_: int | str | None, code: int, message: str) -> None:
        """Answer request `id_` (None: one whose id cannot be read) with an error."""
        self._send_data({"jsonrpc": "2.0", "id": id_,
                         "error": {"code": code, "message": message}})

    def _send_response(self, msg_id: Any, result: Any | None = None,
                       error: t.ResponseError | None = None) -> None:
        if error is not None and error.data is not None:
            # pygls puts the traceback of an unexpected error in `data`: log it, send one line
            if isinstance(error.data, dict) and "traceback" in error.data:
                log.error("request %s failed: %s\n%s", msg_id, error.message,
                          "".join(error.data["traceback"]))
            first = (error.message.strip().splitlines() or ["internal error"])[-1]
            error = t.ResponseError(error.code, first)
        super()._send_response(msg_id, result, error)


def handle_body(protocol: NearcodeProtocol, body: bytes) -> None:
    """Parse one message and hand it on, or answer why it cannot be read."""
    try:
        message = json.loads(body, object_hook=protocol.structure_message)
    except RecursionError:
        protocol.refuse(top_level_id(body), INVALID_REQUEST,
                        "the message is nested too deeply to be read")
        return
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        protocol.refuse(None, PARSE_ERROR, f"invalid JSON: {exc}")
        return
    except JsonRpcException as exc:  # a notification that does not fit its type
        log.warning("dropped a notification that cannot be read: %s", exc)
        return
    if message is None or isinstance(message, (dict, list, str, int, float)):  # not JSON-RPC
        id_ = message_id(message.get("id")) if isinstance(message, dict) else None
        if not (isinstance(message, dict) and "id" not in message):  # notifications: dropped
            protocol.refuse(id_, INVALID_REQUEST, "not a JSON-RPC 2.0 request")
        return
    try:
        protocol.handle_message(message)
    except Exception:  # keep reading: one bad message never stops the server
        log.exception("cannot handle a message")


async def read_messages(reader: Any, protocol: NearcodeProtocol, stop: Any) -> None:
    """pygls' reading loop (Content-Length framing), with `handle_body`'s answers."""
    length = 0
    while not stop.is_set():
        header = await reader.readline()
        if not header:
            break
        if not length:
            match = CONTENT_LENGTH.fullmatch(header)
            if match:
                length = int(match.group(1))
        if length and not header.strip():
            body = await reader.readexactly(length)
            length = 0
            if not body:
                break
            handle_body(protocol, body)
