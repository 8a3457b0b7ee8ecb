"""Chunking: the invariants for every grammar language, planted symbols, splits, line windows.

Expected spans are derived from the fixture files (tests/data/chunking/) by locating each
definition's line, never pasted from the chunker's output.
"""

from __future__ import annotations

import random

import pytest
from helpers import DATA, assert_glue, check_invariants, check_sizes, item_span
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from nearcode.code.chunking import MAX_CHARS, MAX_LINES, WINDOW_LINES, WINDOW_OVERLAP, chunk_text
from nearcode.code.languages import grammar_languages, language_for_path

FIXTURES = DATA / "chunking"

# (symbol, kind, pattern of the defining line, mode). Modes: "whole" — one chunk is the
# definition (plus tiny glue); "header" — a big class's own chunk, its members are separate;
# "split" — an oversized function cut into several pieces.
EXPECTED: dict[str, list[tuple[str, str, str, str]]] = {
    "inventory.py": [
        ("parse_config", "function", r"^def parse_config\(", "whole"),
        ("normalize_sku", "function", r"^def normalize_sku\(", "whole"),
        ("make_counter", "function", r"^def make_counter\(", "whole"),
        ("Item", "class", r"^class Item:", "whole"),
        ("Inventory", "class", r"^class Inventory:", "header"),
        ("Inventory.__init__", "method", r"def __init__\(self, items", "whole"),
        ("Inventory.add_stock", "method", r"def add_stock\(", "whole"),
        ("Inventory.reserve", "method", r"def reserve\(", "whole"),
        ("Inventory.available", "method", r"def available\(", "whole"),
        ("Inventory.skus", "method", r"def skus\(", "whole"),
        ("Inventory.Audit", "class", r"class Audit:", "whole"),
        ("render_report", "function", r"^def render_report\(", "split"),
    ],
    "inventory.js": [
        ("parseConfig", "function", r"^function parseConfig\(", "whole"),
        ("normalizeSku", "function", r"^const normalizeSku =", "whole"),
        ("makeCounter", "function", r"^function makeCounter\(", "whole"),
        ("Inventory", "class", r"^class Inventory \{", "header"),
        ("Inventory.constructor", "method", r"^  constructor\(", "whole"),
        ("Inventory.addStock", "method", r"^  addStock\(", "whole"),
        ("Inventory.reserve", "method", r"^  reserve\(", "whole"),
        ("Inventory.available", "method", r"^  available\(", "whole"),
        ("renderReport", "function", r"^function renderReport\(", "split"),
    ],
    "inventory.ts": [
        ("Item", "interface", r"^export interface Item", "whole"),
        ("StockLevel", "enum", r"^export enum StockLevel", "whole"),
        ("parseConfig", "function", r"^export function parseConfig\(", "whole"),
        ("normalizeSku", "function", r"^export const normalizeSku", "whole"),
        ("Units.toGrams", "function", r"function toGrams\(", "whole"),
        ("Units.toKilograms", "function", r"function toKilograms\(", "whole"),
        ("Inventory", "class", r"^export class Inventory", "header"),
        ("Inventory.constructor", "method", r"^  constructor\(", "whole"),
        ("Inventory.addStock", "method", r"^  addStock\(", "whole"),
        ("Inventory.reserve", "method", r"^  reserve\(", "whole"),
        ("Inventory.available", "method", r"^  available\(", "whole"),
        ("logged", "function", r"^function logged\(", "whole"),
        ("renderReport", "function", r"^export function renderReport\(", "split"),
    ],
    "InventoryTable.tsx": [
        ("Row", "interface", r"^export interface Row", "whole"),
        ("lowStockRows", "function", r"^export function lowStockRows\(", "whole"),
        ("StockBadge", "function", r"^export const StockBadge", "whole"),
        ("InventoryTable", "class", r"^export class InventoryTable", "header"),
        ("InventoryTable.sortedRows", "method", r"^  sortedRows\(", "whole"),
        ("InventoryTable.handleSort", "method", r"^  handleSort\(", "whole"),
        ("InventoryTable.render", "method", r"^  render\(\)", "whole"),
        ("InventorySummary", "function", r"^export function InventorySummary\(", "split"),
    ],
    "inventory.go": [
        ("Item", "type", r"^type Item struct", "whole"),
        ("Inventory", "type", r"^type Inventory struct", "whole"),
        ("ParseConfig", "function", r"^func ParseConfig\(", "whole"),
        ("NormalizeSKU", "function", r"^func NormalizeSKU\(", "whole"),
        ("Inventory.AddStock", "method", r"^func \(inv \*Inventory\) AddStock\(", "whole"),
        ("Inventory.Available", "method", r"^func \(inv \*Inventory\) Available\(", "whole"),
        ("RenderReport", "function", r"^func RenderReport\(", "split"),
    ],
    "inventory.rs": [
        ("DEFAULT_LOCATION", "constant", r"^pub const DEFAULT_LOCATION", "whole"),
        ("Item", "struct", r"^pub struct Item", "whole"),
        ("StockLevel", "enum", r"^pub enum StockLevel", "whole"),
        ("parse_config", "function", r"^pub fn parse_config\(", "whole"),
        ("normalize_sku", "function", r"^pub fn normalize_sku\(", "whole"),
        ("Inventory", "struct", r"^pub struct Inventory", "whole"),
        ("Inventory.new", "method", r"pub fn new\(", "whole"),
        ("Inventory.add_stock", "method", r"pub fn add_stock\(", "whole"),
        ("Inventory.available", "method", r"pub fn available\(", "whole"),
        ("units.to_grams", "function", r"pub fn to_grams\(", "whole"),
        ("tests.normalizes_separators", "function", r"fn normalizes_separators\(", "whole"),
        ("render_report", "function", r"^pub fn render_report\(", "split"),
    ],
    "Inventory.java": [
        ("Inventory", "class", r"^public class Inventory", "header"),
        ("Inventory.Item", "class", r"public record Item\(", "whole"),
        ("Inventory.Inventory", "constructor", r"public Inventory\(String location\)", "whole"),
        ("Inventory.normalizeSku", "method", r"public static String normalizeSku\(", "whole"),
        ("Inventory.addStock", "method", r"public int addStock\(", "whole"),
        ("Inventory.available", "method", r"public int available\(", "whole"),
        ("Inventory.reserve", "method", r"public boolean reserve\(", "whole"),
        ("Inventory.renderReport", "method", r"public String renderReport\(", "split"),
        ("Inventory.Counter.count", "method", r"int count\(String sku\);", "whole"),
        ("Inventory.Counter.countAll", "method", r"default int countAll\(", "whole"),
    ],
    "inventory.c": [
        ("item", "struct", r"^struct item \{", "whole"),
        ("inventory_t", "type", r"^typedef struct inventory \{", "whole"),
        ("stock_level", "enum", r"^enum stock_level", "whole"),
        ("normalize_sku", "function", r"^void normalize_sku\(", "whole"),
        ("find_item", "function", r"^static struct item \*find_item\(", "whole"),
        ("add_stock", "function", r"^int add_stock\(", "whole"),
        ("render_report", "function", r"^void render_report\(", "split"),
        ("main", "function", r"^int main\(", "whole"),
    ],
    "inventory.cpp": [
        ("warehouse.normalize_sku", "function", r"^std::string normalize_sku\(", "whole"),
        ("warehouse.clamp_quantity", "function", r"^template <typename T>", "whole"),
        ("warehouse.Inventory", "class", r"^class Inventory \{", "header"),
        ("warehouse.Inventory.add_stock", "method", r"int add_stock\(", "whole"),
        ("warehouse.Inventory.available", "method", r"int available\(", "whole"),
        ("warehouse.Item", "struct", r"^struct Item \{", "whole"),
        ("warehouse::Inventory::render_report", "function",
         r"^std::string warehouse::Inventory::render_report\(", "split"),
    ],
    "Inventory.cs": [
        ("Warehouse.Item", "class", r"public record Item\(", "whole"),
        ("Warehouse.Inventory", "class", r"public class Inventory$", "header"),
        ("Warehouse.Inventory.Location", "property", r"public string Location \{", "whole"),
        ("Warehouse.Inventory.NormalizeSku", "method", r"public static string NormalizeSku\(",
         "whole"),
        ("Warehouse.Inventory.AddStock", "method", r"public int AddStock\(", "whole"),
        ("Warehouse.Inventory.Available", "method", r"public int Available\(", "whole"),
        ("Warehouse.Inventory.RenderReport", "method", r"public string RenderReport\(", "split"),
        ("Warehouse.ConfigParser", "class", r"public static class ConfigParser", "whole"),
    ],
    "inventory.rb": [
        ("parse_config", "function", r"^def parse_config\(", "whole"),
        ("Warehouse.normalize_sku", "function", r"def self\.normalize_sku\(", "whole"),
        ("Warehouse.Inventory", "class", r"^  class Inventory$", "header"),
        ("Warehouse.Inventory.initialize", "method", r"def initialize\(", "whole"),
        ("Warehouse.Inventory.add_stock", "method", r"def add_stock\(", "whole"),
        ("Warehouse.Inventory.available", "method", r"def available\(", "whole"),
        ("Warehouse.Inventory.each", "method", r"def each\(", "whole"),
        ("Warehouse.Inventory.render_report", "method", r"def render_report$", "split"),
    ],
    "Inventory.php": [
        ("parse_config", "function", r"^function parse_config\(", "whole"),
        ("Counter", "interface", r"^interface Counter$", "whole"),
        ("Inventory", "class", r"^class Inventory implements", "header"),
        ("Inventory.normalizeSku", "method", r"public static function normalizeSku\(", "whole"),
        ("Inventory.addStock", "method", r"public function addStock\(", "whole"),
        ("Inventory.count", "method", r"public function count\(string \$sku\): int$", "whole"),
        ("Inventory.renderReport", "method", r"public function renderReport\(", "split"),
    ],
}


def _load(name: str) -> tuple[str, str, list]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    language = language_for_path(name)
    assert language is not None
    return text, language, chunk_text(text, language, name)


def test_every_grammar_language_has_a_fixture() -> None:
    covered = {language_for_path(name) for name in EXPECTED}
    assert covered == set(grammar_languages())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invariants(name: str) -> None:
    text, language, chunks = _load(name)
    check_invariants(text, chunks)
    lines = text.split("\n")
    for c in chunks:
        assert c.path == name and c.language == language
        check_sizes(lines, c)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_planted_symbols(name: str) -> None:
    text, _, chunks = _load(name)
    lines = text.split("\n")
    by_symbol: dict[str | None, list] = {}
    for c in chunks:
        by_symbol.setdefault(c.symbol, []).append(c)
    for symbol, kind, pattern, mode in EXPECTED[name]:
        first, last = item_span(lines, pattern)
        found = by_symbol.get(symbol)
        assert found, f"{symbol} not found; symbols: {sorted(map(str, by_symbol))}"
        if mode == "whole":
            matching = [c for c in found if c.start_line <= first <= c.end_line]
            assert len(matching) == 1, (symbol, [(c.start_line, c.end_line) for c in found])
            c = matching[0]
            assert c.kind == kind, (symbol, c.kind)
            assert c.start_line <= first and c.end_line >= last, (symbol, first, last, c)
            assert_glue(lines, c.start_line, first - 1)
            assert_glue(lines, last + 1, c.end_line)
        elif mode == "header":
            # the header holds the class line; code after the members may be a chunk too
            headers = [c for c in found if c.start_line <= first <= c.end_line]
            assert len(headers) == 1, (symbol, found)
            header = headers[0]
            assert header.kind == kind
            assert_glue(lines, header.start_line, first - 1)
            assert header.end_line < last, "a big class's header must not hold its members"
            members = [c for c in chunks if (c.symbol or "").startswith(symbol + ".")]
            assert len(members) >= 2
            assert all(header.end_line < m.start_line <= last for m in members)
        else:  # split
            assert len(found) >= 2, f"{symbol} ({last - first + 1} lines) was not split"
            assert all(c.kind == kind for c in found)
            found.sort(key=lambda c: c.start_line)
            assert_glue(lines, found[0].start_line, first - 1)
            assert_glue(lines, last + 1, found[-1].end_line)
            assert found[0].start_line <= first and found[-1].end_line >= last
            # the pieces are consecutive chunks: nothing else lies between them
            i = chunks.index(found[0])
            assert chunks[i : i + len(found)] == found
            for c in found:
                check_sizes(lines, c)


def test_nested_function_stays_in_its_parent() -> None:
    text, _, chunks = _load("inventory.py")
    lines = text.split("\n")
    step = item_span(lines, r"def step\(")
    parent = [c for c in chunks if c.start_line <= step[0] and c.end_line >= step[1]]
    assert [c.symbol for c in parent] == ["make_counter"]


def test_decorators_and_doc_comments_belong_to_their_definition() -> None:
    for name, symbol, marker in [
        ("inventory.py", "normalize_sku", "@functools.lru_cache"),
        ("inventory.ts", "Inventory.addStock", "@logged"),
        ("inventory.ts", "Inventory.addStock", "/** Increase the stock"),
        ("inventory.rs", "Item", "#[derive("),
        ("Inventory.java", "Inventory.addStock", "@Override"),
        ("Inventory.cs", "Warehouse.Inventory.AddStock", "[Obsolete("),
        ("Inventory.php", "Inventory.addStock", "#[\\Deprecated]"),
        ("inventory.go", "Inventory.AddStock", "// AddStock increases"),
    ]:
        _, _, chunks = _load(name)
        holder = [c for c in chunks if marker in c.text]
        assert [c.symbol for c in holder] == [symbol], (name, marker)


def test_hash_keys_the_embedded_text_not_the_path() -> None:
    text, language, chunks = _load("inventory.py")
    moved = chunk_text(text, language, "elsewhere/renamed.py")
    assert [c.hash for c in chunks] == [c.hash for c in moved]
    assert len({c.hash for c in chunks}) == len(chunks)
    for c in chunks:
        assert c.embed_text.startswith(c.header + "\n")
        assert c.embed_text.endswith(c.text)
        assert (c.symbol or "") in c.header
        assert "inventory.py" not in c.header


def test_line_windows_for_markdown_cover_every_line() -> None:
    text = (FIXTURES / "notes.md").read_text(encoding="utf-8")
    chunks = chunk_text(text, "markdown", "notes.md")
    check_invariants(text, chunks, windows=True)
    assert len(chunks) >= 2
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert a.start_line < b.start_line
        assert b.start_line <= a.end_line + 1 or not any(
            line.strip() for line in text.split("\n")[a.end_line : b.start_line - 1])
        assert a.end_line - b.start_line + 1 <= WINDOW_OVERLAP
    for c in chunks:
        assert c.end_line - c.start_line + 1 <= WINDOW_LINES
        assert c.kind == "lines" and c.symbol is None


def test_line_windows_stay_under_max_chars() -> None:
    rng = random.Random(7)
    lines = [" ".join(f"word{rng.randrange(1000)}" for _ in range(rng.randrange(1, 60)))
             for _ in range(300)]
    text = "\n".join(lines) + "\n"
    chunks = chunk_text(text, "text", "long.txt")
    check_invariants(text, chunks, windows=True)
    for c in chunks:
        assert len(c.text) <= MAX_CHARS or c.start_line == c.end_line


def test_oversized_code_without_definitions_is_split() -> None:
    # top-level statements only: one giant span between definitions, split on line bounds
    text = "\n".join(f"value_{i} = compute(value_{i - 1}, {i})" for i in range(1, 200)) + "\n"
    chunks = chunk_text(text, "python", "script.py")
    check_invariants(text, chunks)
    lines = text.split("\n")
    assert len(chunks) >= -(-199 // MAX_LINES)
    for c in chunks:
        check_sizes(lines, c)


def test_empty_and_blank_files() -> None:
    for language in ["python", "go", "markdown"]:
        assert chunk_text("", language, "x") == []
        assert chunk_text("\n\n   \n", language, "x") == []


# ----------------------------------------------------------------------------- properties

_PY_LINES = [
    "def f(x):", "def g():", "class A:", "class B(A):", "    def m(self):", "@decorator",
    "    @property", "    return x", "        return self", "    pass", "x = 1", "# comment",
    "    # comment", '"""doc"""', "    '''doc'''", "import os", "if x:", "    y = [", "    ]",
    "        z = (1,", "", "", "   ", "\t", "lambda: (", ")", "async def h():", "    await q",
    "long_name_" * 30, "    x = 'unterminated", "\\", "def broken(:",
]
_C_LINES = [
    "int f(int x) {", "}", "struct S {", "};", "class A {", "public:", "  void m() {",
    "    return;", "  }", "// comment", "/* block", " */", "#include <x.h>", "namespace n {",
    "", "  ", "template <class T>", "fn main() {", "impl S {", "func (s *S) M() {",
    "function g() {", "const h = () => {", "def r", "end", "<?php", "  x = y;" * 20,
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=400),
       language=st.sampled_from(grammar_languages()))
def test_random_text_keeps_invariants(text: str, language: str) -> None:
    check_invariants(text, chunk_text(text, language, "random"))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(_PY_LINES), max_size=150))
def test_random_python_keeps_invariants(lines: list[str]) -> None:
    text = "\n".join(lines)
    chunks = chunk_text(text, "python", "random.py")
    check_invariants(text, chunks)
    for c in chunks:
        check_sizes(text.split("\n"), c)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(_C_LINES), max_size=150),
       st.sampled_from([g for g in grammar_languages() if g != "python"]))
def test_random_braces_keep_invariants(lines: list[str], language: str) -> None:
    text = "\n".join(lines)
    chunks = chunk_text(text, language, "random")
    check_invariants(text, chunks)
    for c in chunks:
        check_sizes(text.split("\n"), c)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["# Title", "text line", "", "  ", "- item", "x" * 300]),
                max_size=200))
def test_random_markdown_windows_cover(lines: list[str]) -> None:
    text = "\n".join(lines)
    check_invariants(text, chunk_text(text, "markdown", "random.md"), windows=True)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(MAX_LINES - 5, 4 * MAX_LINES + 10),
       blanks=st.sets(st.integers(1, 4 * MAX_LINES + 10), max_size=40),
       width=st.integers(5, 90), language=st.sampled_from(["python", "go"]))
@example(n=MAX_LINES * 2 - 2, blanks={MAX_LINES - 2}, width=5, language="python")
def test_oversized_functions_split_within_limits(n: int, blanks: set[int], width: int,
                                                 language: str) -> None:
    body = ["" if i in blanks else f"    total = total + {'x' * (i * 7 % width)}"
            for i in range(1, n + 1)]
    if language == "python":
        lines = ["def long_function(total):", *body, "    return total"]
    else:
        lines = ["func LongFunction(total int) int {", *body, "    return total", "}"]
    text = "\n".join(lines) + "\n"
    chunks = chunk_text(text, language, "long")
    check_invariants(text, chunks)
    for c in chunks:
        check_sizes(lines, c)


def test_a_function_wrapped_in_several_calls_is_a_function() -> None:
    text = ("var map = _curry2(_dispatchable(['fantasy-land/map', 'map'], _xmap,\n"
            "  function map(fn, functor) {\n    return fn(functor);\n  }));\n")
    (chunk,) = chunk_text(text, "javascript", "map.js")
    assert (chunk.symbol, chunk.kind) == ("map", "function")
