"""Checked parameters of nearcode's own requests, parsed from the raw JSON-RPC params.

Each parser returns a small dataclass or raises ParamsError with a message that names the field,
which the server edge turns into a JSON-RPC InvalidParams error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..code.roles import without_tests
from ..errors import InvalidInput
from ..search.retrieval import MAX_QUERY_CHARS
from ..store.base import InvalidGlob, compile_globs

MAX_LIMIT = 200


class ParamsError(InvalidInput):
    """Request parameters that do not fit the contract."""


@dataclass(frozen=True)
class Pos:
    """An LSP position: 0-based line and character."""

    line: int
    character: int


@dataclass(frozen=True)
class SearchParams:
    query: str
    limit: int
    languages: tuple[str, ...]
    paths: tuple[str, ...]
    chunks: bool = False


@dataclass(frozen=True)
class SimilarParams:
    uri: str | None
    start: Pos | None
    end: Pos | None
    position: Pos | None
    text: str | None
    limit: int


@dataclass(frozen=True)
class ContextParams:
    uri: str
    position: Pos
    limit: int
    max_chars: int | None


def _obj(raw: Any, what: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ParamsError(f"{what} must be an object")
    return raw


def _int(raw: dict[str, Any], key: str, default: int | None, lo: int, hi: int) -> int | None:
    value = raw.get(key, default)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool):
        raise ParamsError(f"'{key}' must be an integer")
    if not lo <= value <= hi:
        raise ParamsError(f"'{key}' must be between {lo} and {hi}")
    return value


def _str(raw: dict[str, Any], key: str, required: bool) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise ParamsError(f"'{key}' is required")
        return None
    if not isinstance(value, str):
        raise ParamsError(f"'{key}' must be a string")
    _unicode(value, key)
    if len(value) > MAX_QUERY_CHARS:
        raise ParamsError(f"'{key}' is longer than {MAX_QUERY_CHARS} characters")
    return value


def _flag(raw: dict[str, Any], key: str) -> bool | None:
    """A true/false option (None when absent); a string "false" is not a boolean."""
    value = raw.get(key)
    if value is not None and not isinstance(value, bool):
        raise ParamsError(f"'{key}' must be true or false")
    return value


def _strings(raw: dict[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ParamsError(f"'{key}' must be a list of strings")
    for v in value:
        _unicode(v, key)
    return tuple(value)


def _unicode(value: str, key: str) -> None:
    """Refuse text that UTF-8 cannot carry (an unpaired surrogate such as "\\ud800")."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ParamsError(f"'{key}' holds an unpaired surrogate at position {exc.start}, "
                          "which is not text") from None


def _pos(raw: Any, key: str) -> Pos | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ParamsError(f"'{key}' must be an object with line and character")
    line, char = raw.get("line"), raw.get("character")
    for name, v in (("line", line), ("character", char)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise ParamsError(f"'{key}.{name}' must be an integer >= 0")
    return Pos(line, char)  # type: ignore[arg-type]


def _uri(raw: dict[str, Any], required: bool) -> str | None:
    doc = raw.get("textDocument")
    if doc is None:
        if required:
            raise ParamsError("'textDocument' is required")
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("uri"), str):
        raise ParamsError("'textDocument.uri' must be a string")
    uri: str = doc["uri"]
    _unicode(uri, "textDocument.uri")
    return uri


def parse_search(raw: Any) -> SearchParams:
    p = _obj(raw, "params")
    query = _str(p, "query", required=True) or ""
    if not query.strip():
        raise ParamsError("'query' must not be empty")
    paths = _strings(p, "paths")
    try:
        compile_globs(paths)
    except InvalidGlob as exc:
        raise ParamsError(f"'paths': {exc}") from exc
    tests = _flag(p, "includeTests")
    if tests is False:
        paths = tuple(without_tests(paths))
    return SearchParams(query, _int(p, "limit", 10, 1, MAX_LIMIT) or 10,
                        _strings(p, "languages"), paths, bool(_flag(p, "chunks")))


def parse_similar(raw: Any) -> SimilarParams:
    p = _obj(raw, "params")
    uri = _uri(p, required=False)
    text = _str(p, "text", required=False)
    rng = p.get("range")
    start = end = None
    if rng is not None:
        if not isinstance(rng, dict):
            raise ParamsError("'range' must be an object with start and end")
        start, end = _pos(rng.get("start"), "range.start"), _pos(rng.get("end"), "range.end")
        if start is None or end is None:
            raise ParamsError("'range' needs start and end")
        if (end.line, end.character) < (start.line, start.character):
            raise ParamsError("'range.end' is before 'range.start'")
    position = _pos(p.get("position"), "position")
    if text is None and uri is None:
        raise ParamsError("give 'text', or 'textDocument' with 'position' or 'range'")
    if text is None and start is None and position is None:
        raise ParamsError("with 'textDocument', give 'position' or 'range'")
    if text is not None and not text.strip():
        raise ParamsError("'text' must not be empty")
    return SimilarParams(uri, start, end, position, text, _int(p, "limit", 10, 1, MAX_LIMIT) or 10)


def parse_context(raw: Any) -> ContextParams:
    p = _obj(raw, "params")
    uri = _uri(p, required=True)
    position = _pos(p.get("position"), "position")
    if position is None:
        raise ParamsError("'position' is required")
    assert uri is not None
    return ContextParams(uri, position, _int(p, "limit", 5, 1, MAX_LIMIT) or 5,
                         _int(p, "maxChars", None, 1, 10_000_000))
