"""Pair mining on the fixture corpus in tests/data/training/.

Expected pairs are derived from the fixture files with tools independent of the miner (Python's
`ast` for docstrings, regular expressions for doc comments), then filtered by the rules the miner
documents: at least MIN_QUERY_WORDS words, no TODO, a body of some size, no repeated query.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest
from nearcode.code.chunking import Chunk, chunk_text
from nearcode.code.languages import BY_NAME, language_for_path
from nearcode.config import Settings
from nearcode.train import docs, pairs

FIXTURE = Path(__file__).parent / "data" / "training"
LABEL = FIXTURE.name


@pytest.fixture(scope="module")
def mined() -> pairs.Mined:
    return pairs.mine([FIXTURE], Settings())


# ----------------------------------------------------------------------------- expectations


def _sentence(text: str) -> str:
    para = re.split(r"\n\s*\n", text.strip())[0]
    flat = " ".join(para.split())
    return re.split(r"(?<=[.!?])\s+", flat)[0]


def _kind(query: str, body_lines: list[str], language: str) -> str | None:
    """The kind of pair a documented definition gives, or None when it gives none."""
    words = [w for w in query.split() if re.search("[A-Za-z]", w)]
    if len(words) < docs.MIN_QUERY_WORDS or query.upper().startswith("TODO"):
        return None
    nonblank = [line for line in body_lines if line.strip()]
    dense = len("".join("".join(body_lines).split()))
    if len(nonblank) >= pairs.MIN_BODY_LINES and dense >= pairs.MIN_BODY_CHARS:
        return "docstring" if language == "python" else "doc-comment"
    return "short" if dense >= pairs.MIN_SHORT_CHARS else None


def _code_lines(chunks: list[Chunk], lines: list[str], name: str, start: int, end: int,
                doc: tuple[int, int]) -> list[str]:
    """The code side of definition `name` on 1-based lines start..end without its doc lines:
    the whole definition, or, when the chunker cuts it into pieces (a class with several
    members, a very long function), the chunk that holds its first line if that chunk is the
    definition's own (a class header too small to stand alone joins its first member's chunk,
    which is then the member's: no code)."""
    chunk = next(c for c in chunks if c.start_line <= start <= c.end_line)
    if chunk.end_line < end:
        if (chunk.symbol or "").rsplit(".", 1)[-1] != name:
            return []
        start, end = chunk.start_line, chunk.end_line
    return [ln for i, ln in enumerate(lines[start - 1 : end], start)
            if not doc[0] <= i <= doc[1]]


def _python_expected(path: Path) -> list[tuple[str, str, list[str]]]:
    """(qualname, first sentence, code lines without the docstring) of documented functions
    and classes."""
    lines = path.read_text().split("\n")
    chunks = chunk_text("\n".join(lines), "python", path.name)
    out = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                doc = ast.get_docstring(child)
                if doc:
                    d = child.body[0]
                    start = min([child.lineno] + [x.lineno for x in child.decorator_list])
                    code = _code_lines(chunks, lines, child.name, start, child.end_lineno,  # type: ignore[arg-type]
                                       (d.lineno, d.end_lineno))  # type: ignore[arg-type]
                    out.append((prefix + child.name, _sentence(doc), code))
            if isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")

    visit(ast.parse("\n".join(lines)), "")
    return out


_DOC_BLOCK = re.compile(
    r"(?P<doc>/\*\*.*?\*/[ \t]*\n|(?:[ \t]*///[^\n]*\n)+|(?:[ \t]*//[^\n]*\n)+)"
    r"(?P<attrs>(?:[ \t]*(?:#\[[^\n]*\]|@\w+(?:\([^)\n]*\))?)[ \t]*\n)*)"
    r"(?P<head>[^\n]*)", re.S)
_NAME = re.compile(
    r"(?:function\s+|const\s+|fn\s+|func\s+(?:\([^)]*\)\s*)?|type\s+|class\s+)(\w+)|(\w+)\s*\(")


def _comment_expected(path: Path) -> list[tuple[str, str, list[str]]]:
    """(name, first sentence, code lines) for each doc comment followed by a definition."""
    text = path.read_text()
    lang = language_for_path(path)
    chunks = chunk_text(text, lang or "", path.name)
    out = []
    for m in _DOC_BLOCK.finditer(text):
        doc = m["doc"]
        if lang != "go" and not doc.lstrip().startswith(("/**", "///")):
            continue  # only Go takes plain `//` comments as documentation
        if lang == "rust" and doc.lstrip().startswith("//!"):
            continue
        name = _NAME.search(m["head"])
        if name is None:
            continue
        cleaned = []
        for line in doc.split("\n"):
            line = re.sub(r"^\s*(/\*\*|\*/|\*|///|//)\s?", "", line).replace("*/", "").strip()
            if line.startswith(("@", "#")):
                break
            cleaned.append(re.sub(r"\{@\w+\s+([^}]*)\}", r"\1", line))
        # the definition runs to the closing brace at its own indentation
        start = text[: m.start("attrs")].count("\n")
        lines = text.split("\n")
        indent = re.match(r"\s*", m["head"]).group(0)  # type: ignore[union-attr]
        end = next(i for i in range(start, len(lines)) if lines[i] == indent + "}"
                   or lines[i] == indent + "};")
        doc_rows = (text[: m.start()].count("\n") + 1, start)  # 1-based, through the attributes
        code = _code_lines(chunks, lines, name[1] or name[2], start + 1, end + 1, doc_rows)
        out.append((name[1] or name[2], _sentence("\n".join(cleaned)), code))
    return out


def _expected() -> list[tuple[str, str, str, str]]:
    """(relative path, symbol's last part, query, kind) of every documented pair the fixture
    should give: full-size definitions first, then short ones, a repeated query left out."""
    found = []
    for path in sorted(FIXTURE.rglob("*")):
        rel = path.relative_to(FIXTURE).as_posix()
        lang = language_for_path(path)
        if not path.is_file() or lang is None or BY_NAME[lang].grammar is None:
            continue
        if rel.startswith("ignored/") or path.name == "secrets.py":
            continue
        for name, query, code in (_python_expected(path) if lang == "python"
                                  else _comment_expected(path)):
            kind = _kind(query, code, lang)
            if kind is not None and rel.startswith("python/tests/"):
                kind = "test"
            if kind is not None:
                found.append((f"{LABEL}/{rel}", name.rsplit(".", 1)[-1], query, kind))
    out = []
    seen: set[str] = set()
    for item in sorted(found, key=lambda f: f[3] in ("short", "test")):  # stable: path order
        if item[2].lower() not in seen:
            seen.add(item[2].lower())
            out.append(item)
    return out


# ----------------------------------------------------------------------------- tests


def test_documented_pairs_match_the_fixture(mined: pairs.Mined) -> None:
    got = sorted((p.path, p.symbol.rsplit(".", 1)[-1], p.query, p.kind)
                 for p in mined.pairs if p.kind != "name")
    expected = sorted(_expected())
    assert got == expected
    assert {e[3] for e in expected} == {"docstring", "doc-comment", "short", "test"}
    languages = {p.language for p in mined.pairs if p.kind != "name"}
    assert languages == {"python", "javascript", "java", "go", "rust"}


def test_code_side_is_the_indexed_chunk_without_its_doc(mined: pairs.Mined) -> None:
    for p in mined.pairs:
        header, _, code = p.code.partition("\n")
        assert header.startswith(f"{p.language} ") and header.endswith(p.symbol)
        name = p.symbol.rsplit(".", 1)[-1]
        assert name in code
        if p.kind != "name":
            assert p.query not in " ".join(code.split()), p  # the description was cut out
            assert "@param" not in p.query and "*" not in p.query


def test_kinds_and_weak_name_pairs(mined: pairs.Mined) -> None:
    kinds = Counter(p.kind for p in mined.pairs)
    assert kinds["docstring"] + sum(1 for p in mined.pairs if p.kind in ("short", "test")
                                    and p.language == "python") == \
        sum(1 for p in mined.pairs if p.language == "python" and p.kind != "name")
    names = {p.symbol: p.query for p in mined.pairs if p.kind == "name"}
    # undocumented (or plainly commented) definitions with multi-word names
    assert names["clamp_to_bounding_box"] == "clamp to bounding box"
    assert names["countVowels"] == "count vowels"
    assert all(len(q.split()) >= 2 for q in names.values())


def test_trivial_ignored_and_secret_files_are_dropped(mined: pairs.Mined) -> None:
    symbols = {p.symbol for p in mined.pairs}
    assert "distance" not in symbols  # one-word doc
    assert "rotate_point" not in symbols  # TODO doc
    assert "origin" in symbols and "tiny" not in symbols  # short body: trains; tinier: none
    assert not any("ignored/" in p.path or "secrets.py" in p.path for p in mined.pairs)
    assert mined.dropped["trivial doc"] >= 2 and mined.dropped["tiny body"] >= 1
    # a test's documented function trains as kind "test"; tests give no name pairs
    assert {p.kind for p in mined.pairs if "/tests/" in p.path} == {"test"}
    assert all(("/tests/" in p.path) == (p.kind == "test") for p in mined.pairs)


def test_duplicates_are_dropped(mined: pairs.Mined) -> None:
    queries = [" ".join(p.query.lower().split()) for p in mined.pairs]
    assert len(queries) == len(set(queries))
    bodies = [p.code.split("\n", 1)[1] for p in mined.pairs]
    assert len(bodies) == len(set(bodies))
    # polygon_area is in two files, and two functions share a docstring: one of each is left
    assert sum(p.symbol == "polygon_area" for p in mined.pairs) == 1
    assert mined.dropped["duplicate"] >= 2


def test_split_holds_out_whole_files_deterministically(mined: pairs.Mined) -> None:
    for seed in range(5):
        s = pairs.split(mined.pairs, seed=seed, min_heldout=3, max_heldout=5)
        assert not s.train_files & s.heldout_files
        assert s.heldout and all(p.kind not in pairs.TRAIN_ONLY for p in s.heldout)
        tests_of_heldout = sum(p.kind == "test" and p not in s.train for p in mined.pairs)
        assert len(s.train) + len(s.heldout) + tests_of_heldout + sum(
            1 for p in mined.pairs if p.kind in pairs.TRAIN_ONLY and p.path in s.heldout_files
        ) == len(mined.pairs)
        again = pairs.split(pairs.mine([FIXTURE], Settings()).pairs, seed=seed, min_heldout=3,
                            max_heldout=5)
        assert again == s
    splits = {frozenset(pairs.split(mined.pairs, seed=s, min_heldout=3).heldout_files)
              for s in range(5)}
    assert len(splits) > 1  # the seed matters


def test_short_pairs_train_and_leave_the_heldout_set_as_it_was(mined: pairs.Mined) -> None:
    assert any(p.kind == "short" for p in mined.pairs)
    without = [p for p in mined.pairs if p.kind != "short"]
    trained_short = 0
    for seed in range(5):
        a = pairs.split(mined.pairs, seed, min_heldout=3, max_heldout=5)
        b = pairs.split(without, seed, min_heldout=3, max_heldout=5)
        assert a.heldout == b.heldout
        assert [p for p in a.train if p.kind != "short"] == b.train
        trained_short += sum(p.kind == "short" for p in a.train)
    assert trained_short  # unless their file is held out


def test_tests_of_heldout_files_do_not_train(mined: pairs.Mined) -> None:
    """A held-out file's tests describe it and call it: they would leak it into training."""
    tested = f"{LABEL}/python/pkg/geometry.py"
    test_pairs = [p for p in mined.pairs if p.kind == "test"]
    assert test_pairs and all(p.path.endswith("/test_geometry.py") for p in test_pairs)
    seen = set()
    for seed in range(12):
        s = pairs.split(mined.pairs, seed, min_heldout=3, max_heldout=5)
        held = tested in s.heldout_files
        seen.add(held)
        assert all((p in s.train) != held for p in test_pairs), seed
        assert not any(p.kind == "test" for p in s.heldout)
    assert seen == {True, False}  # both cases were met


def _documented_tree(root: Path, files: range, per_file: int) -> None:
    for f in files:
        funcs = [f'def step_{f}_{i}(values):\n'
                 f'    """Scale value set {f} by factor {i} and sum it."""\n'
                 f'    total = 0\n    for v in values:\n        total += v * {i + 2}\n'
                 f'    return total + {f}\n' for i in range(per_file)]
        (root / f"mod{f}.py").write_text("\n\n".join(funcs))


def test_heldout_files_come_from_the_workspace_when_it_has_enough(tmp_path: Path) -> None:
    ws, extra = tmp_path / "ws", tmp_path / "extra"
    ws.mkdir(), extra.mkdir()
    _documented_tree(ws, range(3), per_file=4)  # 12 documented pairs: a fifth is 2.4
    _documented_tree(extra, range(3, 8), per_file=4)
    mined = pairs.mine([ws, extra], Settings())
    assert mined.workspace == "ws"
    assert Counter(p.path.split("/")[0] for p in mined.pairs if p.kind != "name") == \
        {"ws": 12, "extra": 20}
    for seed in range(8):
        s = pairs.split(mined.pairs, seed, min_heldout=2, max_heldout=5,
                        workspace=mined.workspace)
        assert s.heldout and all(f.startswith("ws/") for f in s.heldout_files)
    # too few workspace pairs for min_heldout (a fifth of 12 < 3): every root may be held out
    fallback = {f.split("/")[0] for seed in range(8) for f in pairs.split(
        mined.pairs, seed, min_heldout=3, max_heldout=5, workspace=mined.workspace).heldout_files}
    assert fallback == {"ws", "extra"}


def test_doc_text_helpers() -> None:
    assert docs.first_sentence("Do a thing, e.g. this one. Then more.\n\nNext") == \
        "Do a thing, e.g. this one."
    assert docs.describe("Sum values.\n\nArgs:\n    x: the values") == "Sum values."
    assert docs.clean_comment("/**\n * Push it.\n * @param x\n */") == "Push it.\n@param x"
    assert docs.describe(docs.clean_comment("/**\n * Push it.\n * @param x\n */")) == "Push it."
    assert docs.clean_comment("/// Adds {@link Foo} <b>now</b>.") == "Adds Foo now."
    assert not docs.is_useful_query("Helper.")
    assert not docs.is_useful_query("TODO: write this down")
    assert not docs.is_useful_query("S.split(sep=None) -> list")
    assert docs.is_useful_query("Return the sum of two numbers.")


def test_is_test_path() -> None:
    for p in ("tests/a.py", "pkg/test/b.py", "test_x.py", "a/x_test.go", "src/a.spec.ts",
              "src/FooTest.java", "lib/__tests__/x.js"):
        assert pairs.is_test_path(p), p
    for p in ("pkg/testing_utils_x.py", "src/contest.py", "src/latest.js"):
        assert not pairs.is_test_path(p), p
