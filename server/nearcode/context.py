"""Completion context: the snippets from other files a completion model needs at the cursor.

The cursor's file says a lot about what comes next: its imports name the modules and functions
it uses, `alias.` right before the cursor names the module, and the code above the cursor says
what is going on. Candidates come from those imports (definitions of imported names, members of
the module being dotted into) and from a hybrid search with the code before the cursor; they
are ranked by how close their embedding is to that code, with imported definitions first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np

from .chunking import chunk_text
from .languages import language_for_path
from .retrieval import Hit, rrf, to_hit
from .store import StoredChunk
from .workspace import Folder, Workspace

WINDOW_LINES = 30  # lines before the cursor that form the query
DEFAULT_MAX_CHARS = 12_000


@dataclass(frozen=True)
class Imports:
    """What a file imports: module paths by local alias, and imported names → module path."""

    modules: dict[str, str]  # alias -> module ("pkg.mod", "./util", ".sibling")
    names: dict[str, str]  # local name -> module it comes from


_PY_FROM = re.compile(r"^\s*from\s+([.\w]+)\s+import\s+(\([^)]*\)|[^\n#]+)", re.M)
_PY_IMPORT = re.compile(r"^\s*import\s+([\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*)",
                        re.M)
_JS_IMPORT = re.compile(r"""import\s+(?:(\w+)\s*,?\s*)?(?:\{([^}]*)\}|\*\s+as\s+(\w+))?\s*from\s*['"]([^'"]+)['"]""")
_JS_REQUIRE = re.compile(r"""(?:const|let|var)\s+(?:(\w+)|\{([^}]*)\})\s*=\s*require\(\s*['"]([^'"]+)['"]\s*\)""")


def parse_imports(text: str, language: str) -> Imports:
    """Imports of a (possibly incomplete) source file, found by pattern, not by parsing."""
    modules: dict[str, str] = {}
    names: dict[str, str] = {}
    if language == "python":
        for mod, what in _PY_FROM.findall(text):
            for item in what.strip("()").replace("\n", " ").split(","):
                parts = item.split()
                if parts and parts[0] != "*":
                    local = parts[-1] if len(parts) == 3 and parts[1] == "as" else parts[0]
                    names[local] = f"{mod}.{parts[0]}" if mod.endswith(".") else mod
                    modules.setdefault(local, f"{mod}{parts[0]}" if mod.endswith(".")
                                       else f"{mod}.{parts[0]}")
        for group in _PY_IMPORT.findall(text):
            for item in group.split(","):
                parts = item.split()
                if parts:
                    local = parts[-1] if len(parts) == 3 else parts[0].split(".")[0]
                    modules[local] = parts[0]
    elif language in ("javascript", "typescript", "tsx"):
        for default, named, star, mod in _JS_IMPORT.findall(text):
            if default:
                modules[default] = mod
            if star:
                modules[star] = mod
            for item in named.split(","):
                parts = item.split()
                if parts:
                    names[parts[-1]] = mod
        for single, named, mod in _JS_REQUIRE.findall(text):
            if single:
                modules[single] = mod
                names[single] = mod
            for item in named.split(","):
                parts = item.replace(":", " ").split()
                if parts:
                    names[parts[-1]] = mod
    return Imports(modules, names)


def module_files(module: str, rel: str, language: str, known: list[str]) -> list[str]:
    """Indexed paths that `module`, imported from file `rel`, may refer to."""
    here = PurePosixPath(rel).parent
    if language == "python":
        dots = len(module) - len(module.lstrip("."))
        tail = module.lstrip(".").replace(".", "/")
        if dots:
            base = here
            for _ in range(dots - 1):
                base = base.parent
            stem = (base / tail).as_posix() if tail else base.as_posix()
            wanted = [f"{stem}.py", f"{stem}/__init__.py"]
            return [p for p in known if p in wanted]
        suffixes = (f"{tail}.py", f"{tail}/__init__.py")
        return [p for p in known if p.endswith(suffixes) and
                (p in suffixes or p.endswith(tuple("/" + s for s in suffixes)))]
    if module.startswith("."):
        stem = PurePosixPath(here / module).as_posix()
        stem = _normpath(stem)
        exts = ("", ".js", ".ts", ".tsx", ".jsx", ".mjs", ".cjs", "/index.js", "/index.ts")
        wanted = {stem + e for e in exts}
        return [p for p in known if p in wanted]
    return []


def _normpath(path: str) -> str:
    out: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if out:
                out.pop()
        elif part not in ("", "."):
            out.append(part)
    return "/".join(out)


def _identifier_before(prefix_line: str) -> str | None:
    """`alias` when the line ends with `alias.` (the user is picking a member)."""
    m = re.search(r"(\w+)\.\s*$", prefix_line)
    return m.group(1) if m else None


def completion_context(
    ws: Workspace, folder: Folder, rel: str, text: str, line: int, character: int,
    limit: int = 5, max_chars: int | None = None,
) -> list[Hit]:
    """Snippets from other files for a completion at 0-based (line, character) of `text`."""
    language = language_for_path(rel) or "text"
    lines = text.split("\n")
    prefix_lines = lines[:line] + [lines[line][:character] if line < len(lines) else ""]
    prefix = "\n".join(prefix_lines)
    window = "\n".join(prefix_lines[-WINDOW_LINES:])
    chunks = chunk_text(prefix, language, rel)
    enclosing = chunks[-1] if chunks else None
    query_text = (f"{enclosing.header}\n" if enclosing else "") + window
    vector = ws.retriever.embed_query(query_text)

    imports = parse_imports(prefix, language)
    store = folder.store
    known = list(store.file_states())
    candidates: dict[int, StoredChunk] = {}
    dotted = _identifier_before(prefix_lines[-1])
    if dotted and dotted in imports.modules:
        for path in module_files(imports.modules[dotted], rel, language, known):
            for c in store.chunks_of_file(path):
                candidates[c.id] = c
    wanted_names = list(imports.names)
    if wanted_names:
        sources: dict[str, list[str]] = {}
        for name, mod in imports.names.items():
            sources[name] = module_files(mod, rel, language, known)
        for c in store.chunks_by_symbol(wanted_names, limit=400):
            top = (c.symbol or "").split(".")[0]
            files = sources.get(top) or sources.get(c.symbol or "")
            if files is None or (files and c.path not in files):
                continue
            candidates[c.id] = c
    candidates = {cid: c for cid, c in candidates.items() if c.path != rel}

    own = frozenset(c.id for c in store.chunks_of_file(rel))
    pool = max(limit * 4, 20)
    searched = ws.retriever.similar(window, pool, (folder.root, own), vector=vector)
    searched = [h for h in searched if not (h.root == folder.root and h.path == rel)]

    ranked_imports: list[int] = []
    if candidates:
        vecs = store.vectors_of(list(candidates))
        scored = sorted(
            ((float(np.dot(v, vector)), cid) for cid, v in vecs.items()), reverse=True)
        ranked_imports = [cid for _, cid in scored]
    keys_imports = [(folder.root, cid) for cid in ranked_imports]
    keys_search = [(h.root, h.chunk_id) for h in searched]
    fused = rrf([keys_imports, keys_search], [2.0, 1.0])
    order = sorted(fused, key=lambda k: -fused[k])

    by_key: dict[tuple, Hit] = {(h.root, h.chunk_id): h for h in searched}
    for cid, c in candidates.items():
        by_key.setdefault((folder.root, cid), to_hit(folder.root, c, 0.0))
    budget = max_chars or DEFAULT_MAX_CHARS
    out: list[Hit] = []
    seen: set[tuple[str, str | None]] = set()
    for key in order:
        hit = by_key[key]
        ident = (str(hit.abspath), hit.symbol) if hit.symbol else (str(hit.abspath), str(key))
        if ident in seen:
            continue
        if len(hit.text) > budget:
            continue
        seen.add(ident)
        budget -= len(hit.text)
        out.append(Hit(hit.root, hit.path, hit.start_line, hit.end_line, hit.symbol, hit.kind,
                       hit.language, fused[key], hit.text, hit.chunk_id))
        if len(out) >= limit:
            break
    return out
