"""Near-duplicates (duplicates.py, and the pure parts of duplicate_hints.py): the lexical measure,
diffs with file line numbers, grouping, the planted clones of tests/data/duplicates (fake
embedder, and the real model for the clone with renamed identifiers), one KNN query per chunk,
and `nearcode duplicates`.

Expectations come from tests/data/duplicates/planted.json and the fixture's files, not from
pasted output.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from helpers import DATA, FUNCTION
from nearcode.app.workspace import Workspace
from nearcode.cli import main
from nearcode.cli.options import EXIT_USAGE
from nearcode.config import Settings
from nearcode.lsp.features import duplicate_hints
from nearcode.search import copies
from nearcode.search import duplicates as d
from nearcode.store.sqlite import Store

FIXTURE = DATA / "duplicates"
PLANTED = json.loads((FIXTURE / "planted.json").read_text())
FAKE_THRESHOLD = 0.75  # fake-embedder cosine (word-part overlap) below the word-keeping clones


def member(spec: str) -> tuple[str, str]:
    path, symbol = spec.split(":")
    return path, symbol


def planted_pairs(clones: list[dict[str, Any]]) -> set[frozenset[tuple[str, str]]]:
    return {frozenset(pair) for c in clones
            for pair in itertools.combinations([member(m) for m in c["members"]], 2)}


def reported_pairs(report: d.Report) -> set[frozenset[tuple[str, str]]]:
    return {frozenset({(p.a.path, p.a.symbol), (p.b.path, p.b.symbol)})
            for g in report.groups for p in g.pairs}


def source_of(path: Path, symbol: str) -> list[str]:
    """The lines of `symbol`'s definition in a fixture file: from its def line to the last line
    indented under it."""
    lines = path.read_text().split("\n")
    start = next(i for i, line in enumerate(lines)
                 if re.match(rf"\s*(def|export function) {symbol}\b", line))
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][:1] in " }"):
        end += 1
    return [line for line in lines[start:end] if line.strip()]


@pytest.fixture(scope="module")
def fake_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The fixture indexed once with the fake embedder."""
    tmp = tmp_path_factory.mktemp("dups")
    shutil.copytree(FIXTURE, tmp / "ws")
    ws = Workspace([tmp / "ws"], Settings(model="fake", db_path=str(tmp / "index.db")))
    ws.sync()
    yield ws
    ws.close()


# ----------------------------------------------------------------------------- diff & groups


def make_member(path: str, start: int, text: str, cid: int, symbol: str = "f") -> copies.Member:
    end = start + len(text.split("\n")) - 1
    return copies.Member(Path("/ws"), path, start, end, symbol, "function", "python", text, cid)


def test_diff_shows_changed_lines_with_file_line_numbers() -> None:
    a_text = FUNCTION.rstrip("\n")
    b_text = textwrap.indent(a_text.replace("> 0", ">= 0"), "    ")  # a method copy
    a = make_member("a.py", 10, a_text, 1)
    b = make_member("b.py", 40, b_text, 2)
    diff = copies.unified_diff(a, b).split("\n")
    assert diff[:2] == ["--- a.py:10-16", "+++ b.py:40-46"]
    row = next(i for i, line in enumerate(a_text.split("\n")) if "> 0" in line)
    minus = [line for line in diff if line.startswith("-") and not line.startswith("---")]
    plus = [line for line in diff if line.startswith("+") and not line.startswith("+++")]
    assert minus == ["-        if item.count > 0:"]  # dedented: only the change differs
    assert plus == ["+        if item.count >= 0:"]
    hunk = next(line for line in diff if line.startswith("@@"))
    start_a = int(re.match(r"@@ -(\d+),", hunk).group(1))  # type: ignore[union-attr]
    assert start_a == 10 + row - copies.DIFF_CONTEXT  # file lines, one line of context before
    assert copies.unified_diff(a, make_member("c.py", 1, a_text, 3)) == ""


def test_groups_join_chains() -> None:
    ms = [make_member(f"m{i}.py", 1, f"text {i}", i) for i in range(6)]
    pairs = [
        copies.Pair(ms[0], ms[1], 0.97, 0.9),  # a chain: one group
        copies.Pair(ms[1], ms[2], 0.99, 0.8),
        copies.Pair(ms[4], ms[3], 0.96, 0.7),
    ]
    groups = copies.group_pairs(pairs)
    assert [len(g.members) for g in groups] == [3, 2]  # closest pairs: lexical 0.8 vs 0.7
    assert [m.path for m in groups[0].members] == ["m0.py", "m1.py", "m2.py"]
    assert {groups[0].closest.a.path, groups[0].closest.b.path} == {"m1.py", "m2.py"}
    assert groups[1].closest.a.path == "m3.py"  # members of a pair in path order
    assert copies.group_pairs([]) == []


def _copies(path: str, n: int, lines: int, role: str = "impl") -> list[copies.Member]:
    text = "\n".join(f"x{i} = {i}" for i in range(lines))
    return [dataclasses.replace(make_member(f"{path}{i}.py", 1, text, hash((path, i)) % 10**6),
                                role=role) for i in range(n)]


def _chain(ms: list[copies.Member], lexical: float) -> list[copies.Pair]:
    return [copies.Pair(a, b, 0.9, lexical) for a, b in zip(ms, ms[1:], strict=False)]


def test_groups_are_ordered_by_what_to_act_on_first() -> None:
    identical = _copies("src/same", 2, 30)  # identical, long: first
    shorter = _copies("src/short", 2, 6)  # identical but short: its weight is 6/15
    tests_only = _copies("tests/t", 2, 30, role="test")  # identical, but only tests: last
    family = _copies("src/handler", 8, 5)  # many short look-alikes: after the pairs
    pairs = (_chain(tests_only, 1.0) + _chain(family, 1.0) + _chain(shorter, 1.0)
             + _chain(identical, 0.95))
    groups = copies.group_pairs(pairs)
    firsts = [g.members[0].path for g in groups]
    assert firsts == ["src/same0.py", "src/short0.py", "src/handler0.py", "tests/t0.py"]
    assert [g.family for g in groups] == [False, False, True, False]
    assert [g.secondary for g in groups] == [False, False, False, True]
    assert groups[1].weight == 1.0 * 6 / copies.WEIGHT_LINES


# ----------------------------------------------------------------------------- the planted set


def test_planted_clones_found_and_look_alikes_not(fake_ws: Workspace) -> None:
    report = d.find_duplicates(fake_ws.retriever.sources, d.Options(threshold=FAKE_THRESHOLD))
    found = reported_pairs(report)
    visible = [c for c in PLANTED["clones"] if not c.get("needs_model")]
    assert planted_pairs(visible) <= found
    assert found <= planted_pairs(PLANTED["clones"])  # nothing else: precision 1
    reported_files = {p for pair in found for p, _ in pair}
    assert not reported_files & set(PLANTED["not_clones"])
    # each planted clone is one group of its own, and groups come largest first
    assert len(report.groups) == len(found)
    assert [len(g.members) for g in report.groups] == sorted(
        (len(g.members) for g in report.groups), reverse=True)


def test_short_look_alikes_never_count(fake_ws: Workspace) -> None:
    """Getters and setters share almost every word and their whole shape, so only the size
    rule keeps them out: even at --min-lines 1 and a low threshold."""
    report = d.find_duplicates(fake_ws.retriever.sources, d.Options(threshold=0.3, min_lines=1))
    files = {m.path for g in report.groups for m in g.members}
    assert "accounts/models.py" not in files
    assert not any(m.symbol and m.symbol.startswith(("User.", "Product.")) for g in report.groups
                   for m in g.members)


def test_bug_fix_shows_in_the_diff(fake_ws: Workspace) -> None:
    clone = next(c for c in PLANTED["clones"] if "fixed" in c)
    (path_a, sym_a), (path_b, sym_b) = (member(m) for m in clone["members"])
    lines_a = source_of(FIXTURE / path_a, sym_a)
    lines_b = source_of(FIXTURE / path_b, sym_b)
    # the lines that differ, apart from the def line (the names differ by design)
    only_a = {x.strip() for x in lines_a[1:]} - {x.strip() for x in lines_b[1:]}
    only_b = {x.strip() for x in lines_b[1:]} - {x.strip() for x in lines_a[1:]}
    assert only_a and only_b

    report = d.find_duplicates(fake_ws.retriever.sources, d.Options(threshold=FAKE_THRESHOLD))
    group = next(g for g in report.groups if {m.path for m in g.members} == {path_a, path_b})
    diff = group.diff.split("\n")
    removed = {x[1:].strip() for x in diff if x.startswith("-") and not x.startswith("---")}
    added = {x[1:].strip() for x in diff if x.startswith("+") and not x.startswith("+++")}
    first, second = group.closest.a.path, group.closest.b.path
    fixed, unfixed = (only_a, only_b) if first == path_a else (only_b, only_a)
    assert (first, second) in ((path_a, path_b), (path_b, path_a))
    assert fixed <= removed and unfixed <= added
    assert not (removed | added) & ({x.strip() for x in lines_a[1:]}
                                    & {x.strip() for x in lines_b[1:]})  # shared lines: context


def test_one_knn_query_per_eligible_chunk(fake_ws: Workspace,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = Store.vector_candidates

    def counting(self: Store, query: Any, k: int, *args: Any, **kwargs: Any) -> Any:
        calls.append(k)
        return original(self, query, k, *args, **kwargs)

    monkeypatch.setattr(Store, "vector_candidates", counting)
    report = d.find_duplicates(fake_ws.retriever.sources, d.Options(threshold=FAKE_THRESHOLD))
    assert len(calls) == report.compared < report.chunks
    assert set(calls) == {d.NEIGHBOURS}


def test_duplicates_of_one_file_and_exclude(fake_ws: Workspace) -> None:
    clone = next(c for c in PLANTED["clones"] if not c.get("needs_model"))
    (path_a, sym_a), (path_b, sym_b) = (member(m) for m in clone["members"])
    store = fake_ws.folders[0].store
    sources = fake_ws.retriever.sources
    found = d.duplicates_of(sources, 0, store.chunks_of_file(path_a),
                            d.Options(threshold=FAKE_THRESHOLD))
    ((chunk_id, pairs),) = found.items()
    assert pairs[0].a.symbol == sym_a and (pairs[0].b.path, pairs[0].b.symbol) == (path_b, sym_b)
    # excluded: the file gets nothing, and is nobody's copy
    excluded = d.Options(threshold=FAKE_THRESHOLD, exclude=(str(Path(path_b).parent) + "/",))
    assert d.duplicates_of(sources, 0, store.chunks_of_file(path_b), excluded) == {}
    assert d.duplicates_of(sources, 0, store.chunks_of_file(path_a), excluded) == {}


@pytest.mark.slow
def test_real_model_finds_every_planted_clone_at_the_defaults(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """The renamed-identifiers clone changes most words: the fake embedder cannot see it, the
    model can. Defaults as shipped (Settings and Options)."""
    tmp = tmp_path_factory.mktemp("dups-real")
    shutil.copytree(FIXTURE, tmp / "ws")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NEARCODE_CACHE_DIR", str(tmp / "cache"))
        settings = Settings(backend="torch", db_path=str(tmp / "index.db"))
        ws = Workspace([tmp / "ws"], settings)
        try:
            ws.sync()
            options = d.Options(threshold=settings.duplicate_threshold)
            report = d.find_duplicates(ws.retriever.sources, options)
        finally:
            ws.close()
    found = reported_pairs(report)
    assert planted_pairs(PLANTED["clones"]) <= found
    assert found == planted_pairs(PLANTED["clones"])


# ----------------------------------------------------------------------------- diagnostics parts


def test_hint_on_the_definition_line_with_the_copies_as_related() -> None:
    text = '@cached\n# the total\ndef total(items):\n    return sum(items)'
    assert copies.header_line(text, "Cart.total") == 2
    assert copies.definition_start(text, "Cart.total") == 0  # decorator and comment belong to it
    assert copies.header_line("x = 1\ny = 2", None) == 0
    merged = '"""Totals."""\n\nimport math\n__all__ = ["total"]\n\n\n' + text
    assert copies.header_line(merged, "total") == 8  # not the __all__ line
    assert copies.definition_start(merged, "total") == 6
    a = make_member("a.py", 5, text, 1, "total")
    b = make_member("pkg/b.py", 20, text, 2, "total")
    c = make_member("c.py", 1, text, 3, "sum_all")
    hint = duplicate_hints.diagnostic([copies.Pair(a, b, 0.971, 0.9), copies.Pair(a, c, 0.95, 0.8)],
                                      Path("/ws"))
    assert hint.message == "Near-duplicate of pkg/b.py:20 (similarity 0.97) and 1 more"
    assert hint.range.start.line == 5 - 1 + 2 and hint.range.start.character == 0
    assert [r.location.uri for r in hint.related_information or []] == [
        b.abspath.as_uri(), c.abspath.as_uri()]


def test_file_hints_keep_the_most_similar_up_to_the_cap() -> None:
    ms = [make_member("a.py", 10 * i + 1, f"def f{i}():\n    pass", i) for i in range(4)]
    other = make_member("b.py", 1, "def g():\n    pass", 99)
    by_chunk = {m.chunk_id: [copies.Pair(m, other, 0.9 + m.chunk_id / 100, 0.9)] for m in ms}
    hints = duplicate_hints.file_hints(by_chunk, Path("/ws"), cap=2)
    assert [h.range.start.line for h in hints.diagnostics] == [31 - 1, 21 - 1]
    assert hints.points_at == {(Path("/ws"), "b.py")}


def test_no_hints_until_every_folder_is_indexed() -> None:
    folders = [SimpleNamespace(root=Path("/a")), SimpleNamespace(root=Path("/b"))]
    ls = SimpleNamespace(ws=SimpleNamespace(folders=folders),
                         settings=Settings(), workspace=SimpleNamespace(text_documents={}))
    hints = duplicate_hints.Hints(ls)  # type: ignore[arg-type]
    submitted: list[object] = []
    hints._worker = SimpleNamespace(submit=submitted.append)  # type: ignore[assignment]
    hints.indexed(folders[0], {"x.py"})  # an open buffer, during the initial indexing
    hints.indexed(folders[0], None)  # the first folder's initial sync
    assert submitted == []
    hints.indexed(folders[1], None)
    assert len(submitted) == 1
    ls.settings = Settings(diagnostics=False)
    hints._scheduled = False
    hints.indexed(folders[0], {"x.py"})
    assert len(submitted) == 1  # diagnostics off: nothing


# ----------------------------------------------------------------------------- the command


@pytest.fixture
def cli_ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(FIXTURE, root)
    (root / ".git").mkdir()  # a repository: indexed without asking
    return root.resolve()


def test_cli_json(cli_ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["duplicates", str(cli_ws), "--model", "fake",
                 "--threshold", str(FAKE_THRESHOLD), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert data["threshold"] == FAKE_THRESHOLD and data["min_lines"] == d.MIN_LINES
    visible = [c for c in PLANTED["clones"] if not c.get("needs_model")]
    assert len(data["groups"]) == len(visible)
    for g in data["groups"]:
        assert g["size"] == len(g["members"]) == 2
        assert {g["closest"]["a"], g["closest"]["b"]} == {0, 1}
        for m in g["members"]:
            assert Path(m["abspath"]) == cli_ws / m["path"]
            lines = (cli_ws / m["path"]).read_text().split("\n")
            assert m["symbol"].split(".")[-1] in "\n".join(
                lines[m["start_line"] - 1 : m["end_line"]])
        assert g["diff"].startswith("--- ")
        assert 0 < g["similarity"] <= 1


def test_cli_human_output(cli_ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["duplicates", str(cli_ws), "--model", "fake",
                 "--threshold", str(FAKE_THRESHOLD)])
    out, err = capsys.readouterr()
    assert code == 0, err
    clone = next(c for c in PLANTED["clones"] if "fixed" in c)
    for path, _ in (member(m) for m in clone["members"]):
        assert re.search(rf"{re.escape(path)}:\d+-\d+", out)
    assert "similarity 0." in out and "\n    @@ -" in out
    # a threshold nothing reaches
    code = main(["duplicates", str(cli_ws), "--model", "fake", "--threshold", "1",
                 "--min-lines", "200"])
    out, _ = capsys.readouterr()
    assert code == 0 and out.startswith("0 groups of near-duplicates")


@pytest.mark.parametrize("argv, message", [
    (["--threshold", "0"], "--threshold must be in (0, 1]"),
    (["--threshold", "1.5"], "--threshold must be in (0, 1]"),
    (["--min-lines", "0"], "--min-lines must be at least 1"),
])
def test_cli_bad_input(cli_ws: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                       message: str) -> None:
    code = main(["duplicates", str(cli_ws), "--model", "fake", *argv])
    out, err = capsys.readouterr()
    assert code == EXIT_USAGE and out == ""
    assert err.strip() == f"nearcode: error: {message}, got {argv[1]}"


def test_cli_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["duplicates", str(tmp_path / "nope"), "--model", "fake"])
    _, err = capsys.readouterr()
    assert code == EXIT_USAGE and err.count("\n") == 1 and "does not exist" in err


def test_cli_on_a_postgresql_store(cli_ws: Path, pg_url: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The definitions come through the store contract (IndexStore.definitions), so `nearcode
    duplicates` works on a shared PostgreSQL index (built as CI builds it, read through the
    overlay) and finds what it finds on SQLite."""

    def groups(*argv: str) -> list[list[tuple[str, str]]]:
        code = main(["duplicates", str(cli_ws), "--model", "fake",
                     "--threshold", str(FAKE_THRESHOLD), "--json", *argv])
        out, err = capsys.readouterr()
        assert code == 0, err
        return [[(m["path"], m["symbol"]) for m in g["members"]]
                for g in json.loads(out)["groups"]]

    on_sqlite = groups()
    assert main(["index", str(cli_ws), "--model", "fake", "--store", pg_url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["files"] > 0  # the shared index, in PostgreSQL
    on_postgres = groups("--store", pg_url)
    assert on_postgres == on_sqlite
    assert len(on_postgres) == len([c for c in PLANTED["clones"] if not c.get("needs_model")])
