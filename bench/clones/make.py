"""Build the code -> code dev set: functions paired by qualified name across two releases.

Run (nearcode's venv: it has tree-sitter-language-pack):
    .venv/bin/python bench/clones/make.py [--out DIR] [--packages qs,tcell]

For each package of projects.toml (fetched first, fetch.py):
  * the workspace is the NEW release's code (root minus `exclude`, minus tests), copied into
    DIR/<id>/workspace/;
  * every function or method of both releases is found with tree-sitter (bench/questions/defs.py)
    and named by its qualified name: enclosing definitions (classes, impl blocks, functions)
    joined by '.', a Go method prefixed by its receiver type. Only names that occur once in each
    release are paired (a name defined in several files says nothing about which copy is meant);
    the file may differ (semver 5 -> 7 split one file into many);
  * a pair is kept when the old function has at least MIN_LINES lines of code (not blank, not
    comment) and a body;
  * query = the old function's BODY, dedented, without its signature (so without its name),
    without a leading docstring, comments kept: what shared/bench task B asks;
    gold = the new function's span (1-based, inclusive, decorators and doc comments excluded);
  * similarity = difflib ratio of the two bodies with comments and docstrings removed and
    whitespace collapsed (as shared/bench B); stratum by similarity:
      identical (normalised bodies equal), <0.5, 0.5-0.8, 0.8-0.95, >=0.95.
    Functions inside a Rust `mod test`/`mod tests` are not paired (tests are not in the
    workspace), nor those marked `#[test]`.
    The identical stratum is reported apart and left out of "overall" (shared/bench B drops such
    pairs altogether).
Writes DIR/<id>/queries.jsonl and DIR/manifest.json (counts per package and stratum).
"""

from __future__ import annotations

import argparse
import difflib
import fnmatch
import json
import os
import shutil
import sys
import textwrap
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "questions"))
sys.path.insert(0, str(HERE))
import defs  # noqa: E402  (bench/questions/defs.py)
import fetch  # noqa: E402

MIN_LINES = 5
STRATA = ("<0.5", "0.5-0.8", "0.8-0.95", ">=0.95")
IDENTICAL = "identical"
TEST_SCOPES = {"test", "tests"}
_FUNCS = {"function_definition", "function_declaration", "generator_function_declaration",
          "method_definition", "method_declaration", "function_item", "function_expression",
          "arrow_function", "generator_function", "function"}
_SCOPES = {"class_definition", "class_declaration", "class", "impl_item", "trait_item",
           "mod_item", "function_definition", "function_declaration", "method_definition",
           "function_item", "method_declaration"}


def stratum(sim: float, identical: bool) -> str:
    if identical:
        return IDENTICAL
    if sim < 0.5:
        return STRATA[0]
    if sim < 0.8:
        return STRATA[1]
    if sim < 0.95:
        return STRATA[2]
    return STRATA[3]


def source_files(root: Path, exclude: list[str]) -> list[str]:
    """The release's code files (defs.LANGUAGES), minus `exclude` globs and tests."""
    out = []
    for rel in defs.code_files(str(root)):
        rel = rel.replace(os.sep, "/")
        if any(fnmatch.fnmatch(rel, g) for g in exclude) or defs.path_kind(rel) == "test":
            continue
        out.append(rel)
    return out


def _text(node, src: bytes) -> str:
    return src[node.start_byte:node.end_byte].decode("utf-8", "replace")


def _function_node(node):
    """The function node a definition stands for (a `const f = () => {}` holds one), or None."""
    if node.type in _FUNCS:
        return node
    for child in node.children:
        if child.type == "variable_declarator":
            value = child.child_by_field_name("value")
            if value is not None and value.type in _FUNCS:
                return value
    for key in ("value", "right"):
        value = node.child_by_field_name(key)
        if value is not None and value.type in _FUNCS:
            return value
    if node.type == "expression_statement" and node.children:
        right = node.children[0].child_by_field_name("right")
        if right is not None and right.type in _FUNCS:
            return right
    return None


def _scope_name(node, src: bytes) -> str | None:
    if node.type not in _SCOPES:
        return None
    for key in ("name", "type"):
        child = node.child_by_field_name(key)
        if child is not None:
            return _text(child, src).split("<")[0].strip()
    return None


def _receiver(node, src: bytes) -> str:
    """A Go method's receiver type, without the pointer: `func (t *tScreen) Fini()` -> tScreen."""
    recv = node.child_by_field_name("receiver")
    if recv is None:
        return ""
    for p in recv.children:
        t = p.child_by_field_name("type") if p.type == "parameter_declaration" else None
        if t is not None:
            return _text(t, src).lstrip("*").split("[")[0].strip()
    return ""


def _is_rust_test(node, src: bytes) -> bool:
    """A Rust function marked `#[test]`."""
    sib = node.prev_sibling
    while sib is not None and sib.type in ("attribute_item", "line_comment", "block_comment"):
        if sib.type == "attribute_item" and _text(sib, src).replace(" ", "") == "#[test]":
            return True
        sib = sib.prev_sibling
    return False


def _strip_comments(node, src: bytes, language: str, start: int, end: int) -> str:
    """src[start:end] without comment nodes and (Python) docstring statements."""
    drop: list[tuple[int, int]] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.end_byte <= start or n.start_byte >= end:
            continue
        if n.type in ("comment", "line_comment", "block_comment") or (
                language == "python" and n.type == "expression_statement"
                and n.child_count == 1 and n.children[0].type == "string"):
            drop.append((n.start_byte, n.end_byte))
            continue
        stack.extend(n.children)
    out, at = [], start
    for a, b in sorted(drop):
        if a >= at:
            out.append(src[at:a])
            at = b
    out.append(src[at:end])
    return b"".join(out).decode("utf-8", "replace")


def functions(root: Path, files: list[str], parser_for) -> dict[str, list[dict]]:
    """qualified name -> the functions of that name in the release (path, span, body)."""
    found: dict[str, list[dict]] = {}
    for rel in files:
        language = defs.LANGUAGES[os.path.splitext(rel)[1]]
        src = (root / rel).read_bytes()
        tree = parser_for(language).parse(src)
        lines = src.decode("utf-8", "replace").split("\n")

        def visit(node, prefix: list[str], rel=rel, language=language, src=src, lines=lines):
            for child in node.children:
                scope = prefix
                if defs._is_definition(child, language):
                    fn = _function_node(child)
                    name = defs._name(child, src).split("<")[0].strip()
                    if child.type == "method_declaration":
                        name = _receiver(child, src) + "." + name
                    if fn is not None:
                        add(child, fn, ".".join(prefix + [name]), rel, language, src, lines)
                    scope = prefix + [name]
                elif (s := _scope_name(child, src)) is not None:
                    scope = prefix + [s]
                if scope and scope[-1] in TEST_SCOPES:  # Rust's `mod tests { ... }`
                    continue
                visit(child, scope)

        def add(node, fn, qual, rel, language, src, lines):
            body = fn.child_by_field_name("body")
            if body is None or _is_rust_test(node, src):
                return
            if language == "python":
                stmts = [c for c in body.children if c.is_named and c.type != "comment"]
                if stmts and stmts[0].type == "expression_statement" and \
                        stmts[0].child_count == 1 and stmts[0].children[0].type == "string":
                    stmts = stmts[1:]
                if not stmts:
                    return
                first_row = stmts[0].start_point[0]
                text = "\n".join(lines[first_row:body.end_point[0] + 1])
                code = _strip_comments(body, src, language, stmts[0].start_byte, body.end_byte)
            elif body.type in ("statement_block", "block"):  # { ... }: the lines inside
                text = "\n".join(lines[body.start_point[0] + 1:body.end_point[0]])
                if not text.strip():  # a one-line block
                    text = _text(body, src)[1:-1]
                code = _strip_comments(body, src, language, body.start_byte + 1,
                                       body.end_byte - 1)
            else:  # an arrow function's expression
                text = _text(body, src)
                code = _strip_comments(body, src, language, body.start_byte, body.end_byte)
            s, e = node.start_point[0], node.end_point[0]
            if node.end_point[1] == 0 and e > s:
                e -= 1
            found.setdefault(qual, []).append(dict(
                path=rel, name=defs._name(node, src), qualname=qual, start_line=s + 1,
                end_line=e + 1, body=textwrap.dedent(text).strip("\n"),
                code=" ".join(code.split()),
                code_lines=sum(1 for ln in code.split("\n") if ln.strip())
                + 1))  # + the signature line

        visit(tree.root_node, [])
    return found


def build(package: dict, out: Path, parser_for) -> tuple[list[dict], Counter]:
    roots = fetch.fetch(package, out)
    exclude = package.get("exclude", [])
    old_files = source_files(roots["old"], exclude)
    new_files = source_files(roots["new"], exclude)
    ws = out / package["id"] / "workspace"
    if ws.exists():
        shutil.rmtree(ws)
    for rel in new_files:
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(roots["new"] / rel, ws / rel)
    old = functions(roots["old"], old_files, parser_for)
    new = functions(ws, new_files, parser_for)
    stats: Counter = Counter()
    rows = []
    for qual in sorted(old):
        if len(old[qual]) != 1:
            stats["ambiguous_old"] += 1
            continue
        if qual not in new:
            stats["gone"] += 1
            continue
        if len(new[qual]) != 1:
            stats["ambiguous_new"] += 1
            continue
        o, n = old[qual][0], new[qual][0]
        if o["code_lines"] < MIN_LINES:
            stats["short"] += 1
            continue
        same = o["code"] == n["code"]
        sim = 1.0 if same else difflib.SequenceMatcher(
            None, o["code"], n["code"], autojunk=False).ratio()
        rows.append(dict(
            task="similar", lang=package["language"], pkg=package["id"], query=o["body"],
            name=qual, similarity=round(sim, 3), stratum=stratum(sim, same),
            old=dict(version=package["old"]["version"], path=o["path"],
                     start_line=o["start_line"], end_line=o["end_line"]),
            gold=dict(path=n["path"], name=n["name"], qualname=qual,
                      start_line=n["start_line"], end_line=n["end_line"])))
    for i, r in enumerate(rows):
        r["id"] = f"{package['id']}-{i:04d}"
    stats.update(r["stratum"] for r in rows)
    return rows, stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--packages")
    args = ap.parse_args()
    out = (args.out or fetch.default_dir()).expanduser().resolve()
    from tree_sitter_language_pack import get_parser

    parsers: dict[str, object] = {}

    def parser_for(language: str):
        if language not in parsers:
            parsers[language] = get_parser(language)  # type: ignore[arg-type]
        return parsers[language]

    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    for package in fetch.select(fetch.load_packages(), args.packages):
        rows, stats = build(package, out, parser_for)
        with open(out / package["id"] / "queries.jsonl", "w") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        manifest[package["id"]] = dict(stats)
        print(package["id"], len(rows), dict(stats), flush=True)
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
