"""The layer rule of server/nearcode, read from the source (every import, those inside functions
included): no import cycle between modules, no layer importing a higher one, no module over
MAX_LINES lines. docs/architecture.md explains the layers.

    cli → lsp → app → (search | train) → index → (store | embed) → code

A layer may import its own modules and any lower layer's, never a higher layer nor its sibling
(search and train, store and embed know nothing of each other). `config`, `errors` and `trust`
(and the package itself, for `__version__`) may be imported from anywhere and import only each
other. The self-checks at the end make sure the checker can fail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "server" / "nearcode"
MAX_LINES = 400

# layer -> rank: a module may import layers of lower rank, and its own layer
LAYERS = {"code": 0, "store": 1, "embed": 1, "index": 2, "search": 3, "train": 3, "app": 4,
          "lsp": 5, "mcp": 5, "cli": 6, "__main__": 7}
FREE = {"config", "errors", "trust", ""}  # "": the package itself (__version__)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["nearcode", *parts])


def read_package(root: Path) -> dict[str, str]:
    """Module name -> source of every module under `root` (the nearcode package)."""
    return {module_name(p, root): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.py"))}


def is_package(name: str, modules: Mapping[str, str]) -> bool:
    return any(m.startswith(name + ".") for m in modules)


def imports(name: str, source: str, modules: Mapping[str, str]) -> set[str]:
    """The modules of the package that module `name` imports (anywhere in its code)."""
    package = name if is_package(name, modules) else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            # `from pkg import mod` imports a module; `from mod import name` the module itself
            targets = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in modules else origin
                       for a in node.names]
        else:
            continue
        found |= {t for t in targets if t in modules and t != name}
    return found


def layer(name: str) -> str:
    """The layer of a module: its first part under nearcode ("" for the package itself)."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def violations(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Imports that break the layer rule, as 'importer -> imported (why)'."""
    out = []
    for importer, targets in sorted(graph.items()):
        here = layer(importer)
        for target in sorted(targets):
            there = layer(target)
            if there in FREE or there == here:
                continue
            if here in FREE:
                out.append(f"{importer} -> {target} (config, errors and trust import only "
                           "each other)")
            elif there not in LAYERS or here not in LAYERS:
                out.append(f"{importer} -> {target} (a module outside the layers)")
            elif LAYERS[there] > LAYERS[here]:
                out.append(f"{importer} -> {target} ({here} is below {there})")
            elif LAYERS[there] == LAYERS[here]:
                out.append(f"{importer} -> {target} ({here} and {there} are siblings)")
    return out


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or not (Tarjan's SCCs of size > 1,
    and modules that import themselves)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in graph.get(v, ()):
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def import_graph(modules: Mapping[str, str]) -> dict[str, set[str]]:
    return {name: imports(name, source, modules) for name, source in modules.items()}


# ----------------------------------------------------------------------------- the package


def test_no_import_cycles() -> None:
    assert cycles(import_graph(read_package(PACKAGE))) == []


def test_layers_import_only_downwards() -> None:
    assert violations(import_graph(read_package(PACKAGE))) == []


def test_every_module_is_in_a_layer() -> None:
    names = read_package(PACKAGE)
    outside = [n for n in names if layer(n) not in LAYERS and layer(n) not in FREE]
    assert outside == []


def test_no_module_over_the_line_limit() -> None:
    long = {p.relative_to(PACKAGE).as_posix(): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


# ----------------------------------------------------------------------------- self-checks


def synthetic(sources: dict[str, str]) -> dict[str, set[str]]:
    return import_graph({"nearcode": "", **sources})


def test_checker_sees_an_upward_import_even_inside_a_function() -> None:
    graph = synthetic({
        "nearcode.store": "", "nearcode.app": "", "nearcode.code": "",
        "nearcode.store.sqlite": "def f():\n    from ..app.workspace import Workspace\n",
        "nearcode.app.workspace": "from ..store import sqlite\n",
        "nearcode.code.text": "import nearcode.store.sqlite\n",
    })
    assert violations(graph) == [
        "nearcode.code.text -> nearcode.store.sqlite (code is below store)",
        "nearcode.store.sqlite -> nearcode.app.workspace (store is below app)",
    ]
    assert cycles(graph) == [["nearcode.app.workspace", "nearcode.store.sqlite"]]


def test_checker_sees_siblings_free_modules_and_longer_cycles() -> None:
    graph = synthetic({
        "nearcode.search": "", "nearcode.train": "",
        "nearcode.search.a": "from . import b\n",
        "nearcode.search.b": "from .c import X\n",
        "nearcode.search.c": "from nearcode.search.a import Y\nfrom .. import config\n",
        "nearcode.train.t": "from ..search.a import Y\n",
        "nearcode.config": "from .search import a\n",
    })
    assert violations(graph) == [
        "nearcode.config -> nearcode.search.a (config, errors and trust import only each other)",
        "nearcode.train.t -> nearcode.search.a (train and search are siblings)",
    ]
    assert cycles(graph) == [["nearcode.config", "nearcode.search.a", "nearcode.search.b",
                              "nearcode.search.c"]]


def test_checker_is_quiet_on_a_sound_package() -> None:
    graph = synthetic({
        "nearcode.code": "", "nearcode.index": "", "nearcode.errors": "",
        "nearcode.code.text": "from ..errors import InvalidInput\n",
        "nearcode.index.scan": "from ..code import text\nfrom ..code.text import f\n"
                               "import os\nfrom pathlib import Path\n",
    })
    assert graph["nearcode.index.scan"] == {"nearcode.code.text"}
    assert violations(graph) == [] and cycles(graph) == []
