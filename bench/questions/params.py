"""`--param MODULE.NAME=VALUE`: set a module constant for one run of a dev-set scorer
(bench/questions/inprocess.py, bench/clones/score.py), to compare a retrieval setting."""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path


def override(params: list[str]) -> list[tuple[object, str, object]]:
    """Set MODULE.NAME=VALUE constants; returns what to restore."""
    undo = []
    for p in params:
        target, _, value = p.partition("=")
        module, _, name = target.rpartition(".")
        mod = importlib.import_module(module)
        if not hasattr(mod, name):
            sys.exit(f"{Path(sys.argv[0]).name}: {module} has no {name}")
        undo.append((mod, name, getattr(mod, name)))
        try:
            parsed = ast.literal_eval(value)
        except (ValueError, SyntaxError):  # an expression in the module's names: Weights(...)
            parsed = eval(value, vars(mod))  # noqa: S307  (a developer's own command line)
        setattr(mod, name, parsed)
    return undo
