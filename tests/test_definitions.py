"""A hit is a definition: a file's chunks grouped into definitions (search/definitions.py), doc
comments kept with their definition, file roles (code/roles.py), and the retriever's rules over
a real workspace with the fake model: one hit per definition, never a nameless hit,
implementation before tests for the same match, findSimilar never answering with the query's
own definition, and a negated path glob alone meaning "everything except"."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pathspec
import pytest
from helpers import DATA
from nearcode.app.workspace import Workspace
from nearcode.code import lexical, roles
from nearcode.code.bodies import body_lines
from nearcode.code.chunking import MAX_LINES, chunk_text
from nearcode.code.roles import DECLARATION, DOC, EXAMPLE, GENERATED, IMPL, TEST, VENDOR, file_role
from nearcode.config import Settings
from nearcode.search import priors
from nearcode.search.definitions import NAME_CHARS, outline
from nearcode.search.similar import similar_at
from nearcode.store.base import StoredChunk


def _stored(text: str, language: str, path: str) -> list[StoredChunk]:
    return [StoredChunk(i, c.path, c.language, c.start_line, c.end_line, c.symbol, c.kind,
                        c.hash, c.text) for i, c in enumerate(chunk_text(text, language, path))]


def _long_body(n: int, indent: str = "    ") -> str:
    return "\n".join(f"{indent}total_{i} = compute_step({i}) + total_{max(i - 1, 0)}"
                     for i in range(n))


def test_a_long_function_cut_in_pieces_is_one_definition() -> None:
    text = f"import os\n\n\ndef crunch(values):\n{_long_body(MAX_LINES * 2)}\n    return 1\n"
    chunks = _stored(text, "python", "m.py")
    pieces = [c for c in chunks if c.symbol == "crunch"]
    assert len(pieces) >= 2  # the premise: the chunker cut it
    (crunch,) = [d for d in outline("m.py", chunks) if d.name == "crunch"]
    assert pieces[0].start_line == 1  # premise: the imports were merged into its first piece
    assert (crunch.start_line, crunch.end_line) == (4, pieces[-1].end_line)  # from `def`
    assert set(crunch.chunk_ids) == {c.id for c in pieces}


def test_inner_functions_belong_to_their_function_methods_not_to_their_class() -> None:
    inner = "\n".join(f"        def step_{i}(x):\n            y = x + {i}\n            z = y * 2\n"
                      f"            return z - {i}\n" for i in range(8))
    doc = "'''Runs the steps of a job, one after another, and stops when asked to.'''"
    text = (f"class Engine:\n    {doc}\n    name = 'engine'\n\n    def run(self):\n{inner}\n"
            f"        return step_0(1)\n\n    def stop(self):\n        return False\n")
    chunks = _stored(text, "python", "e.py")
    assert any(c.symbol and c.symbol.startswith("Engine.run.") for c in chunks)  # premise
    defs = {d.name: d for d in outline("e.py", chunks)}
    assert set(defs) == {"Engine", "Engine.run", "Engine.stop"}
    run = defs["Engine.run"]
    assert run.start_line == 5 and run.end_line == text.split("\n").index(
        "        return step_0(1)") + 1
    assert defs["Engine"].end_line < run.start_line  # the class's own code, not its methods


def test_go_methods_are_not_part_of_their_type() -> None:
    text = textwrap.dedent("""\
        package stack

        // Stack holds values.
        type Stack struct {
            items []int
        }

        // Push adds v on top.
        func (s *Stack) Push(v int) {
            s.items = append(s.items, v)
        }
        """)
    names = {d.name for d in outline("s.go", _stored(text, "go", "s.go"))}
    assert {"Stack", "Stack.Push"} <= names


def test_every_definition_has_a_name_a_person_reads() -> None:
    py = "import os\nimport sys\n\nCONFIG = os.environ.get('APP_CONFIG', 'default.toml')\n" \
         "print('starting', sys.argv, CONFIG, 'with a long enough line to stand alone')\n"
    md = "# Title\n\nintro text\n\n## Retries\n\n" + "\n".join(
        f"Retry line {i} explains backoff." for i in range(80)) + "\n"
    for path, language, text in (("app.py", "python", py), ("README.md", "markdown", md)):
        for d in outline(path, _stored(text, language, path)):
            assert d.name and not d.name.lstrip().startswith(("/*", "*", "#", "//")), d
    names = [d.name for d in outline("README.md", _stored(md, "markdown", "README.md"))]
    assert "README.md › Retries" in names
    (module,) = outline("app.py", _stored(py, "python", "app.py"))
    assert module.name == "app.py: import os"


def test_a_jsdoc_comment_a_blank_line_above_stays_with_its_function() -> None:
    text = textwrap.dedent("""\
        'use strict'

        const net = require('node:net')
        const tls = require('node:tls')
        const util = require('./util')

        /**
         * Opens a socket to the host, with TLS when asked.
         * @param {object} opts
         */

        function connect (opts) {
          return opts.tls ? tls.connect(opts) : net.connect(opts)
        }
        """)
    chunks = _stored(text, "javascript", "c.js")
    (fn,) = [c for c in chunks if c.symbol == "connect"]
    assert fn.start_line == 7  # the /** line
    assert not any(c.text.lstrip().startswith("/**") and c.symbol != "connect" for c in chunks)


@pytest.mark.parametrize(("path", "head", "role"), [
    ("src/http/client.py", "", IMPL),
    ("tests/test_client.py", "", TEST),
    ("pkg/client_test.go", "", TEST),
    ("lib/fetch.test.js", "", TEST),
    ("src/__tests__/x.ts", "", TEST),
    ("docs/guide.md", "", DOC),
    ("README.md", "", DOC),
    ("examples/basic.rs", "", EXAMPLE),
    ("vendor/github.com/x/y.go", "", VENDOR),
    ("types/index.d.ts", "", DECLARATION),
    ("src/tables.rs", "// DO NOT EDIT: this file is automatically generated\n", GENERATED),
    ("api/v1.pb.go", "", GENERATED),
    ("src/gen.go", "// Code generated by stringer; DO NOT EDIT.\n\npackage x\n", GENERATED),
    ("src/generator.py", "'''Generates the tables (run me).'''\n", IMPL),
])
def test_file_roles(path: str, head: str, role: str) -> None:
    assert file_role(path, head) == role


def test_role_globs_match_as_gitignore_globs_do() -> None:
    """roles.py matches each role's globs as one regex: the same paths as pathspec's
    gitignore matching of the globs one by one, on every path of this repository and on
    paths at the edges of the globs (a bare folder name, a dotted file at the root)."""
    repo = Path(__file__).resolve().parent.parent
    paths = [p.relative_to(repo).as_posix() for p in repo.rglob("*")
             if "node_modules" not in p.parts and ".git" not in p.parts][:5000]
    paths += ["test", "a/tests", "tests/x", "spec/x.rb", "x.test.js/y", "lib/a.min.js",
              "a/node_modules/b/c.js", "docs", "x.d.ts", "a/b_pb2.py", "dist/x.js", "a/vendor"]
    for role, globs in roles._GLOBS.items():
        one_by_one = pathspec.GitIgnoreSpec.from_lines(globs)
        for path in paths:
            assert bool(roles._spec(role).search(path)) == one_by_one.match_file(path), (role,
                                                                                        path)


# ----------------------------------------------------------------------------- end to end

_IMPL = '''\
def parse_retry_after(header):
    """Seconds to wait from a Retry-After header value."""
    value = header.strip()
    if value.isdigit():
        return int(value)
    return parse_http_date(value)
'''


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "tests").mkdir()
    # the function in the implementation and, copied, in a test helper that matches the
    # question a little better (one more comment line of its words)
    (root / "src" / "retry.py").write_text(_IMPL)
    (root / "tests" / "test_retry.py").write_text(
        _IMPL.replace('    value =', '    # wait seconds: retry after header\n    value ='))
    body = _long_body(MAX_LINES * 2)
    (root / "src" / "crunch.py").write_text(
        f"def crunch_retry_values(values):\n{body}\n    return values\n")
    (root / "src" / "other.py").write_text(
        f"def crunch_other_values(values):\n{body}\n    return None\n")
    workspace = Workspace([root], Settings(model="fake", watch=False))
    workspace.sync()
    yield workspace
    workspace.close()


def test_search_gives_one_hit_per_definition_and_names_them(ws: Workspace) -> None:
    hits = ws.retriever.search("crunch retry values compute step total", 10)
    keys = [(h.path, h.symbol) for h in hits]
    assert len(keys) == len(set(keys))
    assert all(h.symbol for h in hits)
    crunch = next(h for h in hits if h.symbol == "crunch_retry_values")
    stored = ws.folders[0].store.chunks_of_file("src/crunch.py")
    assert len(stored) >= 2  # premise: several chunks
    assert (crunch.start_line, crunch.end_line) == (1, max(c.end_line for c in stored))
    chunked = ws.retriever.search("crunch retry values compute step total", 10, chunks=True)
    best = next(h for h in chunked if h.symbol == "crunch_retry_values")
    assert any((c.start_line, c.end_line) == (best.start_line, best.end_line) for c in stored)


def test_implementation_ranks_above_a_test_with_a_slightly_better_match(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    query = "seconds to wait from a retry-after header"
    with monkeypatch.context() as m:
        m.setattr(priors, "ROLE_PRIOR", {})
        raw = {h.path: h.score for h in ws.retriever.search(query, 10)}
    assert raw["tests/test_retry.py"] > raw["src/retry.py"]  # premise: the test matches better
    prior = priors.ROLE_PRIOR[TEST]
    assert raw["tests/test_retry.py"] * prior < raw["src/retry.py"]  # ... by less than the prior
    hits = ws.retriever.search(query, 10)
    paths = [h.path for h in hits]
    assert paths.index("src/retry.py") < paths.index("tests/test_retry.py")
    scores = {h.path: h for h in hits}
    assert scores["tests/test_retry.py"].role == TEST and scores["src/retry.py"].role == IMPL
    assert scores["tests/test_retry.py"].score == pytest.approx(raw["tests/test_retry.py"] * prior)


def test_a_negated_glob_alone_means_everything_but(ws: Workspace) -> None:
    hits = ws.retriever.search("retry after header", 10, paths=["!tests/**"])
    assert hits and all(not h.path.startswith("tests/") for h in hits)
    assert any(h.path == "src/retry.py" for h in hits)


def test_similar_never_returns_its_own_definition(ws: Workspace) -> None:
    root = ws.folders[0].root
    text = (root / "src" / "crunch.py").read_text()
    pieces = ws.folders[0].store.chunks_of_file("src/crunch.py")
    # the cursor in the function's last piece: its first piece is as alike as code gets
    hits = similar_at(ws, root / "src" / "crunch.py", text, pieces[-1].start_line, None,
                      whole_chunk=True)
    assert hits and all(h.path != "src/crunch.py" for h in hits)
    assert hits[0].path == "src/other.py"


def test_a_rust_test_module_inside_a_source_file_is_tests() -> None:
    text = textwrap.dedent("""\
        pub fn parse(s: &str) -> u32 {
            s.trim().parse().unwrap_or(0)
        }

        #[cfg(test)]
        mod tests {
            use super::*;

            #[test]
            fn parses_numbers() {
                assert_eq!(parse(" 7 "), 7);
            }
        }
        """)
    roles = {d.name: d.role for d in outline("src/lib.rs", _stored(text, "rust", "src/lib.rs"))}
    assert roles["parse"] == IMPL
    assert roles["tests.parses_numbers"] == TEST


def test_a_definition_leaves_out_what_was_merged_in_from_around_it() -> None:
    text = textwrap.dedent("""\
        use std::io;

        impl Agent {
            /// Waits for activity.
            fn poll(&mut self) -> io::Result<()> {
                self.selector.wait()?;
                Ok(())
            }

            fn stop(&mut self) {
                self.selector.close();
                self.running = false;
            }
        }
        """)
    chunks = _stored(text, "rust", "a.rs")
    defs = {d.name: d for d in outline("a.rs", chunks)}
    assert [c for c in chunks if c.symbol == "Agent.poll"][0].start_line == 1  # premise: merged
    assert (defs["Agent.poll"].start_line, defs["Agent.poll"].end_line) == (4, 8)
    assert defs["Agent.poll"].text.split("\n")[0].strip() == "/// Waits for activity."
    assert [c for c in chunks if c.symbol == "Agent.stop"][0].end_line == 14  # premise: `}`
    assert (defs["Agent.stop"].start_line, defs["Agent.stop"].end_line) == (10, 13)


def test_a_destructuring_import_is_named_by_its_statement_on_one_line() -> None:
    text = textwrap.dedent("""\
        const {
          PoolMissingUpstreamError,
          InvalidArgumentError
        } = require('../core/errors')
        const kUrl = Symbol('url')
        """)
    defs = outline("pool.js", _stored(text, "javascript", "pool.js"))
    assert defs and all("\n" not in d.name for d in defs)
    statement = ("const { PoolMissingUpstreamError, InvalidArgumentError } = "
                 "require('../core/errors')")
    assert defs[0].name == f"pool.js: {statement[:NAME_CHARS - 1]}…"


@pytest.mark.parametrize("query, question", [
    ("redirects followed until the policy says how many and when following stops", False),
    ("how are redirects followed and when does following redirects stop?", True),
])
def test_a_function_that_does_the_work_ranks_above_a_one_line_option(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, query: str, question: bool) -> None:
    """A text query: a builder option whose doc matches a little better still comes after
    the function that follows the redirects, by the body prior (a one-line body; for a
    question, a short body); findSimilar has none."""
    shutil.copy(DATA / "one_liners" / "client.py", tmp_path / "client.py")
    ws = Workspace([tmp_path], Settings(model="fake", watch=False))
    try:
        ws.sync()
        assert lexical.is_question(query) == question
        with monkeypatch.context() as m:
            m.setattr(priors, "THIN_PRIOR", 1.0)
            m.setattr(priors, "QUESTION_SHORT_PRIOR", 1.0)
            raw = {h.symbol: (h.score, body_lines(h.text))
                   for h in ws.retriever.search(query, 10)}
        option, work = "Client.redirect_policy", "follow_redirects"
        expected = {name: score * priors.body_prior(body, question)
                    for name, (score, body) in raw.items()}
        assert raw[option][0] > raw[work][0]  # premise: the one-liner's doc matches better
        assert raw[option][1] == 1 and raw[work][1] > 1  # premise: one line against several
        assert expected[option] < expected[work]  # ... by less than the priors tell apart
        hits = ws.retriever.search(query, 10)
        assert [h.symbol for h in hits][:2] == [work, option]
        for h in hits:
            assert h.score == pytest.approx(expected[h.symbol])
    finally:
        ws.close()


def test_a_class_whose_own_code_lies_on_both_sides_of_a_method_is_one_hit(
        tmp_path: Path) -> None:
    """A class's fields, then methods, then more of its own code (overload signatures): two
    runs of one definition in the outline, one hit in the results, at the better run."""
    shutil.copy(DATA / "split_class" / "pool.ts", tmp_path / "pool.ts")
    ws = Workspace([tmp_path], Settings(model="fake", watch=False))
    try:
        ws.sync()
        store = ws.folders[0].store
        runs = [d for d in outline("pool.ts", store.chunks_of_file("pool.ts"))
                if d.name == "ConnectionPool"]
        assert len(runs) == 2 and runs[0].key == runs[1].key  # premise: two runs apart
        hits = ws.retriever.search("connection pool idle busy release broken connection", 10)
        names = [h.symbol for h in hits]
        assert names.count("ConnectionPool") == 1 and len(names) == len(set(names))
    finally:
        ws.close()


def test_for_a_question_a_declaration_counts_as_a_function_with_no_body(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An interface whose doc matches a question better than the function that does the work
    comes after it: for a question a declaration counts as a function with no body does."""
    shutil.copy(DATA / "one_liners" / "retry.ts", tmp_path / "retry.ts")
    ws = Workspace([tmp_path], Settings(model="fake", watch=False))
    query = "how many retries does a failed request get, and what delay between retries?"
    try:
        ws.sync()
        with monkeypatch.context() as m:  # every prior of a question at 1: the raw scores
            m.setattr(priors, "QUESTION_SHORT_PRIOR", 1.0)
            raw = {h.symbol: h for h in ws.retriever.search(query, 10)}
        decl, work = raw["RetryOptions"], raw["retryRequest"]
        assert decl.score > work.score and decl.kind == "interface"  # premise
        assert priors.kind_prior(decl.kind, True) == priors.body_prior(0, True) < \
            priors.kind_prior(decl.kind, False)
        expected = {decl.symbol: decl.score * priors.kind_prior(decl.kind, True),
                    work.symbol: work.score * priors.body_prior(body_lines(work.text), True)}
        hits = [h for h in ws.retriever.search(query, 10) if h.symbol in expected]
        assert [h.symbol for h in hits] == sorted(expected, key=lambda s: -expected[s])
        assert hits[0].symbol == work.symbol
        for h in hits:
            assert h.score == pytest.approx(expected[h.symbol])
    finally:
        ws.close()
