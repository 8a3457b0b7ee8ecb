"""Documentation found in a syntax tree: a definition's docstring or doc comment, and the
description a search query would be made of (its first sentence, sections and tags removed)."""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass
from typing import Any

from ..code.languages import LanguageSpec

MIN_QUERY_WORDS = 3  # a doc's first sentence needs this many words to be a query

_BOILERPLATE = re.compile(
    r"^\W*(todo|fixme|xxx|hack|deprecated|internal|private|undocumented|not implemented|"
    r"see (the )?(base|parent|super)|override|overrides|inherit|implements|docstring|"
    r"helper (function|method)\W*$)", re.IGNORECASE)
_SIGNATURE = re.compile(r"^[\w.]+\(.*\)\s*(->.*)?$")  # "S.split(sep) -> list": a signature
_SECTION = re.compile(  # where a description ends: Args:, :param, Examples, >>>, @tags, # Panics
    r"^\s*((args|arguments|parameters|params|returns?|yields?|raises|examples?|notes?|"
    r"see also|attributes|keyword arguments|usage|warning|references|todo)\s*:?\s*$|"
    r"[-=~]{3,}\s*$|:(param|type|return|rtype|raises?)\b|>>>|\.\. |@\w|#\s+\w)",
    re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bvs)(?<!\bcf)[.!?](?=\s|$)")
_INLINE_TAG = re.compile(r"\{@\w+\s+([^}]*)\}")  # {@link Foo} → Foo
_XML_TAG = re.compile(r"</?[A-Za-z][^>]*>")



@dataclass(frozen=True)
class Definition:
    """A definition's rows (0-based, inclusive, without its leading comments), and its doc:
    the cleaned text and the rows to remove from the code, when it has one."""

    start: int
    end: int
    doc: str | None = None
    doc_rows: tuple[int, int] | None = None


def definitions(root: Any, spec: LanguageSpec, lines: list[str]) -> list[Definition]:
    types = spec.functions | spec.classes
    out: list[Definition] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type in types:
            out.append(_with_doc(node, spec, lines))
        stack.extend(node.named_children)
    return out


def _with_doc(node: Any, spec: LanguageSpec, lines: list[str]) -> Definition:
    start, end = node.start_point[0], end_row(node)
    if spec.name == "python":
        found = _python_docstring(node, lines)
    else:
        found = _doc_comment(node, spec)
    if found is None:
        return Definition(start, end)
    doc, rows = found
    return Definition(start, end, doc, rows)


def end_row(node: Any) -> int:
    """Last row that holds text of `node` (a line comment's trailing newline ends on the next)."""
    row, col = node.end_point
    return int(row - 1 if col == 0 and row > node.start_point[0] else row)


def _python_docstring(node: Any, lines: list[str]) -> tuple[str, tuple[int, int]] | None:
    inner = node.child_by_field_name("definition") if node.type == "decorated_definition" else node
    body = inner.child_by_field_name("body") if inner is not None else None
    if body is None or not body.named_child_count:
        return None
    first = body.named_children[0]
    if first.type == "expression_statement" and first.named_child_count == 1:
        first = first.named_children[0]
    if first.type not in ("string", "concatenated_string"):
        return None
    (r0, c0), (r1, c1) = first.start_point, first.end_point
    # only a docstring on lines of its own can be cut out cleanly
    if r0 == inner.start_point[0] or lines[r0][:c0].strip() or lines[r1][c1:].strip():
        return None
    try:
        value = ast.literal_eval(first.text.decode("utf-8", "replace"))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if not isinstance(value, str):
        return None
    return inspect.cleandoc(value), (r0, r1)


_DOC_STYLE = {  # which comments above a definition are its documentation
    "rust": ("///", "/**"), "go": ("//", "/*"), "ruby": ("#",),
}
_DEFAULT_DOC_STYLE = ("/**", "///")


def _doc_comment(node: Any, spec: LanguageSpec) -> tuple[str, tuple[int, int]] | None:
    """The comment block right above `node` (or above the export/template that wraps it)."""
    styles = _DOC_STYLE.get(spec.name, _DEFAULT_DOC_STYLE)
    anchor = node
    prev = anchor.prev_named_sibling
    while prev is None and anchor.parent is not None and \
            anchor.parent.start_point[0] == anchor.start_point[0] and anchor.parent.parent:
        anchor = anchor.parent
        prev = anchor.prev_named_sibling
    below = anchor.start_point[0]
    comments: list[Any] = []
    while prev is not None:
        if prev.type == "attribute_item" or (prev.type in ("decorator", "annotation")):
            below = prev.start_point[0]
            prev = prev.prev_named_sibling
            continue
        if prev.type not in spec.comments or end_row(prev) < below - 1:
            break
        comments.append(prev)
        below = prev.start_point[0]
        prev = prev.prev_named_sibling
    if not comments:
        return None
    comments.reverse()
    texts = [c.text.decode("utf-8", "replace") for c in comments]
    # the block must be documentation: doc style, and all one kind (no `//` after a `/** */`)
    if not all(t.lstrip().startswith(styles) for t in texts):
        return None
    if spec.name == "rust" and any(t.startswith(("//!", "/*!")) for t in texts):
        return None
    doc = clean_comment("\n".join(texts))
    return doc, (comments[0].start_point[0], end_row(comments[-1]))


# ----------------------------------------------------------------------------- text helpers


def clean_comment(text: str) -> str:
    """A comment block's words: markers (`/**`, `*`, `///`, `//`, `#`) and tags removed."""
    out = []
    for line in text.split("\n"):
        line = line.strip()
        line = re.sub(r"^(/\*+!?|\*+/|///?!?|#+!?|\*+(?!/))", "", line)
        line = re.sub(r"\*+/$", "", line).strip()
        out.append(line)
    joined = "\n".join(out)
    joined = _INLINE_TAG.sub(r"\1", joined)
    return _XML_TAG.sub("", joined).strip()


def describe(doc: str) -> str:
    """The description part of a doc: the text before its first section (Args:, :param,
    @tag, >>> example, # Examples ...), whitespace within lines kept."""
    out = []
    for line in doc.strip().split("\n"):
        if _SECTION.match(line):
            break
        out.append(line.rstrip())
    return "\n".join(out).strip()


def first_sentence(text: str) -> str:
    """The first sentence of the first paragraph, whitespace collapsed."""
    para = re.split(r"\n\s*\n", text.strip(), maxsplit=1)[0]
    flat = " ".join(para.split())
    m = _SENTENCE_END.search(flat)
    return flat[: m.end()] if m else flat


def is_useful_query(query: str) -> bool:
    """False for descriptions too short or too formulaic to teach anything."""
    words = [w for w in query.split() if re.search(r"[A-Za-z]", w)]
    if len(words) < MIN_QUERY_WORDS:
        return False
    return not (_BOILERPLATE.match(query) or _SIGNATURE.match(query))
