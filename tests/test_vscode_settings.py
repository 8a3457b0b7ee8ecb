"""The VS Code extension's settings (package.json and its README) agree with the server's
defaults (config.Settings): a user reading either sees what the server does."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from nearcode.config import Settings, _snake

CLIENT = Path(__file__).resolve().parent.parent / "client-vscode"
CLIENT_ONLY = {"server.command", "trace.server", "search.debounceMs", "search.maxResults",
               "findSimilar.maxResults"}  # settings of the extension itself


def _package_settings() -> dict[str, object]:
    data = json.loads((CLIENT / "package.json").read_text(encoding="utf-8"))
    props = data["contributes"]["configuration"]["properties"]
    return {k.removeprefix("nearcode."): v.get("default") for k, v in props.items()}


def _readme_defaults() -> dict[str, str]:
    """Setting → the default column of the README's table (`nearcode.x` / `nearcode.y` rows
    give both)."""
    out: dict[str, str] = {}
    text = (CLIENT / "README.md").read_text(encoding="utf-8")
    for names, default in re.findall(r"^\| (`nearcode\.[^|]+) \| ([^|]+) \|", text, re.M):
        for name in re.findall(r"`nearcode\.([\w.]+)`", names):
            out[name] = default.strip()
    return out


def test_package_json_defaults_are_the_servers() -> None:
    server = {f.name: getattr(Settings(), f.name) for f in dataclasses.fields(Settings)}
    package = _package_settings()
    shared = {k: v for k, v in package.items() if k not in CLIENT_ONLY}
    assert {_snake(k) for k in shared} == set(server)
    for key, default in shared.items():
        assert default == server[_snake(key)], key
    assert package["duplicateThreshold"] == Settings().duplicate_threshold == 0.50


def test_readme_table_shows_the_package_json_defaults() -> None:
    package = _package_settings()
    readme = _readme_defaults()
    assert set(readme) == set(package)
    for key, default in package.items():
        shown = readme[key]
        if default is None:
            assert shown == "unset", key
        elif isinstance(default, bool):
            assert shown == f"`{str(default).lower()}`", key
        elif isinstance(default, (int, float)):
            assert float(shown.strip("`")) == default, key
        else:
            assert shown == f"`{json.dumps(default) if isinstance(default, list) else default}`",\
                key
