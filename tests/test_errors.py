"""One error hierarchy (errors.py): every error class of nearcode is either the user's input or
something unavailable, and the language server maps them, and bugs, the same way everywhere."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import nearcode
import pytest
from nearcode import config
from nearcode.errors import InvalidInput, NearcodeError, Unavailable
from nearcode.lsp.base import NearcodeServer
from nearcode.store.base import Filter, InvalidGlob, StoreError, compile_globs
from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams

INTERNAL = {"nearcode.index.scan.SkippedFile",  # control flow inside the indexer, never shown
            "nearcode.mcp.server.Refused"}  # the MCP edge's tool error, made from a NearcodeError


def error_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(nearcode.__path__, "nearcode."):
        if info.name == "nearcode.__main__":
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and issubclass(obj, BaseException)
                    and obj.__module__ == info.name):
                found[f"{info.name}.{name}"] = obj
    return found


def test_every_error_is_invalid_input_or_unavailable() -> None:
    classes = error_classes()
    assert "nearcode.store.base.StoreError" in classes  # the walk found the package's errors
    strays = [name for name, cls in classes.items() if name not in INTERNAL
              and cls not in (NearcodeError, InvalidInput, Unavailable)
              and not issubclass(cls, (InvalidInput, Unavailable))]
    assert strays == []
    # the old bases still hold, so `except ValueError` / `except RuntimeError` keep working
    assert issubclass(InvalidInput, ValueError) and issubclass(Unavailable, RuntimeError)


def test_globs_are_checked_where_they_enter() -> None:
    assert compile_globs([]) is None
    assert compile_globs(["src/**", "*.py"]) is not None
    for bad in ("!", "\\"):
        with pytest.raises(InvalidGlob, match="bad path glob"):
            compile_globs(["ok/**", bad])
        with pytest.raises(InvalidInput):
            Filter(paths=(bad,))
    settings = config.Settings()
    problems = config.apply(settings, {"exclude": ["build/", "!"], "duplicateExclude": ["\\"]})
    assert len(problems) == 2 and all("bad pattern" in p for p in problems)
    assert settings.exclude == [] and settings.duplicate_exclude == []  # defaults kept


# ----------------------------------------------------------------------------- the server edge


async def answer(exc: BaseException) -> Any:
    """What the server's `run` makes of a query that raises `exc`."""
    ls = NearcodeServer()
    ls.ws = object()  # type: ignore[assignment]
    ls.ready.set()

    def query() -> None:
        raise exc

    try:
        return await ls.run(query)
    finally:
        ls.queries.shutdown()


async def test_server_maps_invalid_input_to_invalid_params() -> None:
    with pytest.raises(JsonRpcInvalidParams) as info:
        await answer(InvalidGlob("bad path glob '!'"))
    assert info.value.code == -32602 and info.value.message == "bad path glob '!'"


async def test_server_maps_unavailable_to_internal_error_with_the_message() -> None:
    with pytest.raises(JsonRpcInternalError) as info:
        await answer(StoreError("/x/index.db is not a usable nearcode index"))
    assert info.value.code == -32603
    assert info.value.message == "nearcode: /x/index.db is not a usable nearcode index"
    assert info.value.data is None


async def test_server_maps_a_bug_to_internal_error_without_a_traceback() -> None:
    with pytest.raises(JsonRpcInternalError) as info:
        await answer(KeyError("oops"))
    assert info.value.message == "nearcode: internal error: KeyError: 'oops'"
    assert info.value.data is None and "Traceback" not in info.value.message
