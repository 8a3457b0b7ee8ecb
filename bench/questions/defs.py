"""The definitions of a workspace, found with tree-sitter independently of nearcode's chunker.

They serve the scorer twice: as the candidates of the plain BM25 baseline, and as the yardstick
for "one hit per definition" (which definition does a returned range belong to?). A definition's
span is the node's lines; its `outer` span also takes the decorators, attributes and doc comments
right above it (at most one blank line between), because those belong to it. Lines are 1-based
and inclusive, as in questions.jsonl.

Needs `tree_sitter_language_pack` (nearcode's own dependency, so nearcode's venv has it).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

LANGUAGES = {
    ".py": "python", ".pyi": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
    ".go": "go", ".rs": "rust",
}
_JS_DEFS = {"function_declaration", "generator_function_declaration", "method_definition",
            "class_declaration", "abstract_class_declaration", "interface_declaration",
            "type_alias_declaration", "enum_declaration", "function_signature",
            "abstract_method_signature"}
DEFINITION_TYPES = {
    "python": {"function_definition", "class_definition"},
    "javascript": _JS_DEFS, "typescript": _JS_DEFS, "tsx": _JS_DEFS,
    "go": {"function_declaration", "method_declaration", "type_declaration"},
    "rust": {"function_item", "function_signature_item", "struct_item", "enum_item", "union_item",
             "trait_item", "impl_item", "mod_item", "macro_definition", "const_item",
             "static_item", "type_item"},
}
_FUNCTION_VALUES = {"arrow_function", "function_expression", "function", "generator_function",
                    "class"}
_JS_VARS = {"lexical_declaration", "variable_declaration"}
_COMMENTS = {"comment", "line_comment", "block_comment"}
_ATTACHED = _COMMENTS | {"decorator", "attribute_item"}
SKIP_DIRS = {"node_modules", "__pycache__", "target", "dist", "build"}
MAX_FILE_BYTES = 1 << 20  # generated blobs (wasm as base64) are not code anyone reads


@dataclass(frozen=True)
class Definition:
    path: str  # relative to the workspace
    name: str
    kind: str  # the tree-sitter node type
    start_line: int
    end_line: int
    outer_start: int  # start_line, or the first line of its doc comment / decorators
    text: str  # the outer span's text


@dataclass
class FileIndex:
    definitions: list[Definition] = field(default_factory=list)
    comment_lines: set[int] = field(default_factory=set)  # lines holding only comment text
    blank_lines: set[int] = field(default_factory=set)


def code_files(root: str):
    """Relative paths of the workspace's source files in the five languages, sorted."""
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if not x.startswith(".") and x not in SKIP_DIRS)
        for f in sorted(files):
            if os.path.splitext(f)[1] in LANGUAGES:
                p = os.path.join(d, f)
                if os.path.getsize(p) <= MAX_FILE_BYTES:
                    yield os.path.relpath(p, root)


def _is_definition(node, language: str) -> bool:
    t = node.type
    if t in DEFINITION_TYPES[language]:
        return True
    if language in ("javascript", "typescript", "tsx"):
        parent = node.parent.type if node.parent else ""
        if t in _JS_VARS:  # module-level constants, or `const f = () => ...` anywhere
            if parent in ("program", "export_statement"):
                return not _only_requires(node)
            return any(d.type == "variable_declarator" and d.child_by_field_name("value")
                       and d.child_by_field_name("value").type in _FUNCTION_VALUES
                       for d in node.children)
        if t in ("pair", "public_field_definition", "field_definition"):
            value = node.child_by_field_name("value")
            return value is not None and value.type in _FUNCTION_VALUES
        if t == "expression_statement" and parent == "program":  # exports.f = function ...
            child = node.children[0] if node.children else None
            if child is not None and child.type == "assignment_expression":
                right = child.child_by_field_name("right")
                return right is not None and right.type in _FUNCTION_VALUES
    return False


def _only_requires(node) -> bool:
    """`const x = require('x')` and the like: imports, not definitions."""
    values = [d.child_by_field_name("value") for d in node.children
              if d.type == "variable_declarator"]
    return bool(values) and all(v is not None and v.text.startswith(b"require(") for v in values)


def _name(node, src: bytes) -> str:
    for key in ("name", "key", "left", "type"):
        child = node.child_by_field_name(key)
        if child is not None:
            return src[child.start_byte:child.end_byte].decode("utf-8", "replace")
    if node.type in _JS_VARS:
        for d in node.children:
            if d.type == "variable_declarator" and d.child_by_field_name("name"):
                n = d.child_by_field_name("name")
                return src[n.start_byte:n.end_byte].decode("utf-8", "replace")
    if node.type == "type_declaration":
        for c in node.children:
            if c.type == "type_spec" and c.child_by_field_name("name"):
                n = c.child_by_field_name("name")
                return src[n.start_byte:n.end_byte].decode("utf-8", "replace")
    first = src[node.start_byte:node.end_byte].split(b"\n", 1)[0]
    return first.decode("utf-8", "replace").strip()[:60]


def _outer_start(node) -> int:
    """First row (0-based) of the node with its decorators/attributes/doc comments above it."""
    top = node
    while top.parent is not None and top.parent.type in ("decorated_definition",
                                                         "export_statement"):
        top = top.parent
    row = top.start_point[0]
    sib = top.prev_sibling
    while sib is not None and sib.type in _ATTACHED and row - sib.end_point[0] <= 2:
        row = sib.start_point[0]
        sib = sib.prev_sibling
    return row


def index_file(root: str, rel: str, parser_for) -> FileIndex:
    """Definitions and comment/blank lines of one file."""
    language = LANGUAGES[os.path.splitext(rel)[1]]
    with open(os.path.join(root, rel), "rb") as f:
        src = f.read()
    lines = src.decode("utf-8", "replace").split("\n")
    out = FileIndex(blank_lines={i + 1 for i, text in enumerate(lines) if not text.strip()})
    tree = parser_for(language).parse(src)
    stack = [tree.root_node]
    code_rows: set[int] = set()
    while stack:
        node = stack.pop()
        if node.type in _COMMENTS or node.type == "string" and _is_docstring(node):
            continue
        if node.child_count == 0:
            code_rows.update(range(node.start_point[0], node.end_point[0] + 1))
        if _is_definition(node, language):
            s, e = node.start_point[0], node.end_point[0]
            if node.end_point[1] == 0 and e > s:
                e -= 1
            o = _outer_start(node)
            out.definitions.append(Definition(
                rel, _name(node, src), node.type, s + 1, e + 1, o + 1, "\n".join(lines[o:e + 1])))
        stack.extend(reversed(node.children))
    out.comment_lines = {i + 1 for i in range(len(lines))
                         if i not in code_rows and lines[i].strip()}
    out.definitions.sort(key=lambda d: (d.start_line, -d.end_line))
    return out


def _is_docstring(node) -> bool:
    """A Python string that is a statement of its own (docstring or string 'comment')."""
    parent = node.parent
    return parent is not None and (parent.type in ("block", "module") or (
        parent.type == "expression_statement" and parent.child_count == 1))


def index_workspace(root: str) -> dict[str, FileIndex]:
    """Every source file of the workspace -> its FileIndex."""
    from tree_sitter_language_pack import get_parser

    parsers: dict[str, object] = {}

    def parser_for(language: str):
        if language not in parsers:
            parsers[language] = get_parser(language)  # type: ignore[arg-type]
        return parsers[language]

    return {rel: index_file(root, rel, parser_for) for rel in code_files(root)}


def owner(index: dict[str, FileIndex], span: dict) -> tuple:
    """The definition a returned span belongs to: the smallest one whose outer span holds it
    whole; a span that no definition holds (module code, a whole file) is its own owner."""
    fi = index.get(span["path"])
    best = None
    for d in fi.definitions if fi else ():
        if d.outer_start <= span["start_line"] and span["end_line"] <= d.end_line:
            if best is None or d.end_line - d.outer_start < best.end_line - best.outer_start:
                best = d
    if best is None:
        return ("span", span["path"], span["start_line"], span["end_line"])
    return ("def", best.path, best.outer_start, best.end_line)


def comment_only(index: dict[str, FileIndex], span: dict) -> bool:
    """True when every non-blank line of the span is comment text (a doc block on its own)."""
    fi = index.get(span["path"])
    if fi is None:
        return False
    rows = [i for i in range(span["start_line"], span["end_line"] + 1) if i not in fi.blank_lines]
    return bool(rows) and all(i in fi.comment_lines for i in rows)


_TEST_PATH = re.compile(r"(^|/)(tests?|__tests__|spec|testdata|testserver|benches|benchmarks?)/"
                        r"|(^|/)test_[^/]*$|_test\.(go|py)$|\.(test|spec)\.[jt]sx?$|(^|/)conftest\.py$")
_AUX_PATH = re.compile(r"(^|/)(examples?|_examples|docs?|scripts)/")


def path_kind(path: str) -> str:
    """'test', 'aux' (examples, docs, scripts) or 'impl', by path conventions."""
    if _TEST_PATH.search(path):
        return "test"
    if _AUX_PATH.search(path):
        return "aux"
    return "impl"
