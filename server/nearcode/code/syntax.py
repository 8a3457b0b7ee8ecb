"""Definitions in a tree-sitter syntax tree: what the chunker and the pair miner look for.

`items(node, spec)` finds the definitions among a node's descendants (functions, classes,
namespaces, with the comments and attributes directly above them), without looking inside the
definitions themselves; `parser(grammar)` is this thread's parser for a grammar.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from .languages import LanguageSpec

MAX_NESTING = 8  # how deep to look through non-definition nodes for definitions
MAX_WRAPPING = 3  # calls around a function value that still make a function definition
DOC_GAP = 2  # blank lines that may stand between a doc comment and its definition
_NOT_DOCS = ("@license", "copyright", "@file", "@module", "@fileoverview", "eslint-")


@dataclass
class Item:
    """A definition: rows [start, end] (0-based, its leading comments included)."""

    start: int
    end: int
    node: Any
    role: str  # "function" | "class" | "namespace"
    kind: str
    name: str | None


_parsers = threading.local()


def parser(grammar: str) -> Any:
    """This thread's tree-sitter parser for `grammar` (parsers are not thread-safe)."""
    cache = _parsers.__dict__.setdefault("by_grammar", {})
    if grammar not in cache:
        from tree_sitter_language_pack import get_parser

        cache[grammar] = get_parser(grammar)  # type: ignore[arg-type]
    return cache[grammar]


def items(node: Any, spec: LanguageSpec, depth: int) -> list[Item]:
    """Definitions among `node`'s descendants, not looking inside definitions themselves.

    Comments (and attributes) directly above a definition are part of it; a doc comment
    (`/** ... */`, `///`) also when blank lines (at most DOC_GAP) stand between."""
    out: list[Item] = []
    lead: tuple[int, int] | None = None  # rows of the comment block just seen
    lead_doc = False  # ... ending in a doc comment, which may stand a blank line away
    for child in node.named_children:
        srow, erow = child.start_point[0], child.end_point[0]
        # JS/TS class members carry their decorators as siblings, Rust items their attributes
        if child.type in spec.comments or child.type in ("attribute_item", "decorator"):
            lead = (lead[0], erow) if lead and srow <= lead[1] + 1 else (srow, erow)
            lead_doc = _doc_comment(child)
            continue
        found = _definition(child, spec)
        if found is not None:
            role, kind, name, inner = found
            out.append(Item(srow, erow, inner, role, kind, name))
            found_items = out[-1:]
        elif erow > srow and child.named_child_count and depth < MAX_NESTING:
            found_items = items(child, spec, depth + 1)
            out.extend(found_items)
        else:
            found_items = []
        if found_items and lead and found_items[0].start == srow and (
                lead[1] >= srow - 1 or (lead_doc and lead[1] >= srow - 1 - DOC_GAP)):
            found_items[0].start = lead[0]
        lead = None
    return out


_KINDS = {
    "class_definition": "class", "class_declaration": "class", "class": "class",
    "abstract_class_declaration": "class", "class_specifier": "class",
    "singleton_class": "class", "interface_declaration": "interface",
    "trait_item": "interface", "trait_declaration": "interface",
    "annotation_type_declaration": "interface", "enum_declaration": "enum",
    "enum_item": "enum", "enum_specifier": "enum", "struct_item": "struct",
    "struct_specifier": "struct", "struct_declaration": "struct", "union_item": "struct",
    "union_specifier": "struct", "record_declaration": "class", "impl_item": "class",
    "type_alias_declaration": "type", "type_item": "type", "type_definition": "type",
    "type_declaration": "type", "alias_declaration": "type", "property_declaration": "property",
    "indexer_declaration": "property", "constructor_declaration": "constructor",
    "compact_constructor_declaration": "constructor", "macro_definition": "macro",
    "const_item": "constant", "static_item": "constant", "delegate_declaration": "type",
}
_FUNCTION_VALUES = frozenset({
    "arrow_function", "function_expression", "function", "generator_function", "class",
})


def _definition(node: Any, spec: LanguageSpec) -> tuple[str, str, str | None, Any] | None:
    """(role, kind, name, node to look into) when `node` is a definition, else None."""
    t = node.type
    if t in spec.namespaces:
        return "namespace", "module", _name(node), node
    if t in spec.classes:
        return "class", _KINDS.get(t, "class"), _name(node), node
    if t not in spec.functions:
        return None
    multiline = node.end_point[0] > node.start_point[0]
    if t in ("lexical_declaration", "variable_declaration"):
        decl = next((c for c in node.named_children if c.type == "variable_declarator"), None)
        if decl is None:
            return None
        is_fn = _is_function_value(decl.child_by_field_name("value"))
        if not (is_fn or multiline):
            return None
        target = decl.child_by_field_name("name")
        if target is not None and target.type in ("object_pattern", "array_pattern"):
            return "function", "variable", None, node  # `const { a, b } = require(...)`
        return "function", "function" if is_fn else "variable", _name(decl), node
    if t == "expression_statement":
        expr = node.named_children[0] if node.named_child_count else None
        if expr is not None and expr.type in spec.namespaces:
            return "namespace", "module", _name(expr), expr
        if expr is None or expr.type != "assignment_expression":
            return None
        is_fn = _is_function_value(expr.child_by_field_name("right"))
        if not (is_fn or multiline):
            return None
        left = expr.child_by_field_name("left")
        name = _text(left) if left is not None else None
        return "function", "function" if is_fn else "variable", name, node
    if t in ("decorated_definition", "template_declaration"):
        inner = node.child_by_field_name("definition") or _last_named(node)
        if inner is not None and (inner.type in spec.classes or inner.type in ("class_specifier",)):
            return "class", _KINDS.get(inner.type, "class"), _name(inner), inner
        return "function", "function", _name(inner), inner if inner is not None else node
    if t == "type_declaration":  # Go: `type X struct {...}`
        spec_node = next((c for c in node.named_children if c.type == "type_spec"), None)
        return "function", "type", _name(spec_node) if spec_node else None, node
    receiver = node.child_by_field_name("receiver") if t == "method_declaration" else None
    if receiver is not None:  # Go: `func (s *Stack) Push()` is the method Stack.Push
        owner = _receiver_type(receiver)
        name = _name(node)
        return "function", "method", f"{owner}.{name}" if owner and name else name, node
    return "function", _KINDS.get(t, "function"), _name(node), node


def _doc_comment(node: Any) -> bool:
    """A `/** ... */` or `///` comment that documents what follows (not a file's licence or
    overview, which stay with the file)."""
    text = _text(node)
    if not text.startswith(("/**", "///")) or text.startswith(("/***", "////")):
        return False
    low = text.lower()
    return not any(word in low for word in _NOT_DOCS)


def _receiver_type(receiver: Any) -> str | None:
    """The type name of a Go receiver list `(s *Stack[T])`: Stack."""
    param = next((c for c in receiver.named_children if c.type == "parameter_declaration"), None)
    typ = param.child_by_field_name("type") if param is not None else None
    if typ is None:
        return None
    return _text(typ).lstrip("*").split("[")[0].strip() or None


def _is_function_value(value: Any, depth: int = 0) -> bool:
    """A function, or calls wrapping one (`_curry2(_dispatchable([...], _xmap, function map()
    {...}))`)."""
    if value is None:
        return False
    if value.type in _FUNCTION_VALUES:
        return True
    args = value.child_by_field_name("arguments") if value.type == "call_expression" else None
    return args is not None and depth < MAX_WRAPPING and any(
        _is_function_value(a, depth + 1) for a in args.named_children)


def _name(node: Any) -> str | None:
    """A definition's name: its `name` field, else the identifier its declarator chain ends in."""
    if node is None:
        return None
    named = node.child_by_field_name("name")
    if named is not None:
        return _text(named)
    if node.type == "impl_item":
        typ = node.child_by_field_name("type")
        return _text(typ) if typ is not None else None
    decl = node.child_by_field_name("declarator")
    while decl is not None:
        deeper = decl.child_by_field_name("declarator")
        if deeper is None or decl.type in ("qualified_identifier", "identifier"):
            return _text(decl)
        decl = deeper
    for child in node.named_children:
        if child.type in ("class_specifier", "struct_specifier", "function_definition",
                          "declaration", "variable_declarator"):
            return _name(child)
    return None


def _text(node: Any) -> str:
    """A node's source on one line (a name never holds a line break)."""
    return " ".join(node.text.decode("utf-8", "replace").split())


def _last_named(node: Any) -> Any:
    return node.named_children[-1] if node.named_child_count else None
