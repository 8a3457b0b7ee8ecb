"""Retrieval with the fake embedder: rankings that follow from its definition (cosine of
word-part counts) and from BM25, score fusion, filters, similar, two folders. The tests that
take the `ws` fixture run on both backends (SQLite and PostgreSQL + pgvector)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from helpers import DATA, write_tree
from nearcode.app.workspace import Workspace
from nearcode.code import lexical
from nearcode.code.likeness import code_tokens, lexical_similarity, resemblance
from nearcode.config import Settings
from nearcode.embed.fake import FakeEmbedder, fake_tokens
from nearcode.search import priors, retrieval
from nearcode.search.fusion import RRF_K, fuse_scores, rrf
from nearcode.search.retrieval import (
    LIKENESS_POOL,
    LIKENESS_WEIGHT,
    SEARCH_WEIGHTS,
    SIMILAR_QUERY_TERMS,
    SIMILAR_WEIGHTS,
    Hit,
)
from nearcode.search.similar import similar_at

APP = DATA / "retrieval" / "app"
LIB = DATA / "retrieval" / "lib"


@pytest.fixture
def ws(store_setting: str | None):  # type: ignore[no-untyped-def]
    """Both fixture folders, indexed with the fake embedder into the isolated cache, on each
    backend: SQLite files and a PostgreSQL database."""
    settings = Settings(model="fake", store=store_setting)
    workspace = Workspace([APP, LIB], settings, embedder=FakeEmbedder(), write_shared=True)
    workspace.sync()
    yield workspace
    workspace.close()


def _all_chunks(ws: Workspace) -> list[tuple[Path, object]]:
    out = []
    for folder in ws.folders:
        for path in folder.store.file_states():
            out += [(folder.root, c) for c in folder.store.chunks_of_file(path)]
    return out


def _bag(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for w in fake_tokens(text):
        counts[w] = counts.get(w, 0) + 1
    return counts


def _overlap_cosine(a: str, b: str) -> float:
    """The fake embedder's similarity as its docstring defines it: cosine of word-part counts
    (hash collisions aside)."""
    x, y = _bag(a), _bag(b)
    dot = sum(n * y.get(w, 0) for w, n in x.items())
    norm = np.sqrt(sum(n * n for n in x.values())) * np.sqrt(sum(n * n for n in y.values()))
    return float(dot / norm) if norm else 0.0


def _embed_text(c) -> str:  # type: ignore[no-untyped-def]
    return " ".join(p for p in (c.language, c.kind, c.symbol) if p) + "\n" + c.text


@pytest.mark.parametrize("query,symbol", [
    ("count words", "count_words"),
    ("circle area radius", "CircleArea"),
    ("cart total of items price", "cartTotal"),
    ("apply a discount percent", "applyDiscount"),
    ("reverse the words of a sentence", "reverse_words"),
    ("square area side", "SquareArea"),
    ("histogram bins", "histogram"),
    ("count lines in a file", "count_lines_in_file"),
])
def test_search_finds_the_function_with_most_overlap(ws: Workspace, query: str,
                                                     symbol: str) -> None:
    chunks = _all_chunks(ws)
    # the fake's definition picks the chunk; the test checks that the index agrees
    best = max(chunks, key=lambda rc: _overlap_cosine(query, _embed_text(rc[1])))
    assert best[1].symbol == symbol  # the fixture is built so that the intended one wins
    hits = ws.retriever.search(query, 5)
    assert hits[0].symbol == symbol
    assert (hits[0].root, hits[0].path) == (best[0], best[1].path)


def test_dense_scores_are_the_fake_cosines(ws: Workspace) -> None:
    query = "split words text count"
    vector = ws.embedder.embed_batch([query])[0]
    for folder in ws.folders:
        got = folder.store.vector_candidates(vector, 100)
        chunks = folder.store.chunks_by_id([i for i, _ in got])
        assert len(got) == folder.store.counts()[1]
        scores = [s for _, s in got]
        assert scores == sorted(scores, reverse=True)
        for cid, score in got:
            want = ws.embedder.embed_batch([_embed_text(chunks[cid])])[0] @ vector
            # the cosine with the stored vector (SQLite keeps int8: within 0.005)
            assert score == pytest.approx(float(want), abs=5e-3)
        # the fake's stated definition: word-part overlap, up to hash collisions
        top = chunks[got[0][0]]
        assert _overlap_cosine(query, _embed_text(top)) == pytest.approx(got[0][1], abs=0.05)


def test_fusion_is_weighted_score_fusion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # x: many 'alpha', no 'beta' -> closest by cosine; y: both words among many others ->
    # best by BM25, since 'beta' is rare (idf) and x's repeated 'alpha' saturates (k1).
    # Every function here is one line: the one-line prior (tested in test_definitions.py)
    # would scale them all alike.
    monkeypatch.setattr(priors, "THIN_PRIOR", 1.0)
    fillers = ["red green blue", "cat dog bird", "one two three", "sun moon star",
               "north south east", "salt pepper oil"]
    root = write_tree(tmp_path / "ws", {
        "x.py": "def repeat_first(alpha):\n    return alpha + alpha + alpha + alpha\n",
        "y.py": "def mixed(alpha, beta, gamma, delta, epsilon, zeta, eta, theta):\n"
                "    return iota + kappa + lam + mu + nu + xi + omicron + rho + sigma + tau\n",
        **{f"f{i}.py": "def {0}_{1}({2}):\n    return {2} * 2 + len({2})\n".format(*w.split())
           for i, w in enumerate(fillers)},
    })
    ws = Workspace([root], Settings(model="fake"), embedder=FakeEmbedder())
    ws.sync()
    store = ws.folders[0].store
    q = "alpha beta"
    path = {i: c.path for i, c in store.chunks_by_id(range(1, 100)).items()}
    dense = store.vector_candidates(ws.embedder.embed_batch([q])[0], 50)
    lexical = store.lexical_candidates(["alpha", "beta"], 50)
    assert [path[i] for i, s in dense if s > 0] == ["x.py", "y.py"]  # the premise
    assert [path[i] for i, _ in lexical] == ["y.py", "x.py"]

    def expected(weights) -> dict[str, float]:  # the definition of fuse_scores
        hi, lo = dense[0][1], dense[-1][1]
        out = {path[i]: weights.dense * (s - lo) / (hi - lo) for i, s in dense}
        norm = max(lexical[0][1], store.lexical_ceiling(["alpha", "beta"]))
        for i, s in lexical:
            out[path[i]] += weights.lexical * s / norm
        return out

    text = {c.path: c.text for c in store.chunks_by_id(range(1, 100)).values()}
    likeness = {p: LIKENESS_WEIGHT * resemblance(code_tokens(q), code_tokens(t))
                for p, t in text.items()}
    for weights, hits, reads_alike in ((SEARCH_WEIGHTS, ws.retriever.search(q, 4), False),
                                       (SIMILAR_WEIGHTS, ws.retriever.similar(q, 4), True)):
        want = expected(weights)
        if reads_alike:  # findSimilar adds how alike the code reads (resemblance)
            want = {p: s + likeness[p] for p, s in want.items()}
        assert [h.path for h in hits] == sorted(want, key=lambda p: -want[p])[:4]
        for h in hits:
            assert h.score == pytest.approx(want[h.path])
    # code -> code leans on words: fused, y (BM25 first) leads there, x (closest vector) for
    # search; how alike the code reads then decides findSimilar's order (checked above)
    fused = expected(SIMILAR_WEIGHTS)
    assert fused["y.py"] > fused["x.py"]
    assert ws.retriever.search(q, 1)[0].path == "x.py"
    ws.close()


def test_similar_tells_near_identical_siblings_apart_by_their_tokens(tmp_path: Path) -> None:
    # keymap and valmap hold the same code words; valmap's docstring adds one close to the
    # query's (values), so vectors and BM25 put it first. The query is keymap edited (locals
    # renamed): its tokens run in keymap's order, and that puts keymap first in the end.
    root = write_tree(tmp_path / "ws", {
        "keys.py": "def keymap(func, d):\n    rv = {}\n    for k, v in d.items():\n"
                   "        rv[func(k)] = v\n    return rv\n",
        "vals.py": "def valmap(func, d):\n    \"\"\"Maps values.\"\"\"\n"
                   "    rv = {}\n    for k, v in d.items():\n"
                   "        rv[k] = func(v)\n    return rv\n",
        **{f"f{i}.py": f"def other{i}(x):\n    return x * {i} + len(x)\n" for i in range(6)},
    })
    ws = Workspace([root], Settings(model="fake"), embedder=FakeEmbedder())
    ws.sync()
    query = "out = {}\nfor key, value in d.items():\n    out[func(key)] = value\nreturn out\n"
    hits = ws.retriever.similar(query, 2)
    alike = {h.path: LIKENESS_WEIGHT * resemblance(code_tokens(query), code_tokens(h.text))
             for h in hits}
    fused = {h.path: h.score - alike[h.path] for h in hits}
    assert set(alike) == {"keys.py", "vals.py"}
    assert fused["vals.py"] > fused["keys.py"]  # the premise
    assert alike["keys.py"] - alike["vals.py"] > fused["vals.py"] - fused["keys.py"]
    assert [h.path for h in hits] == ["keys.py", "vals.py"]
    ws.close()


def test_similar_gives_as_many_hits_as_asked_beyond_the_likeness_pool(tmp_path: Path) -> None:
    """The likeness re-orders only the best definitions (LIKENESS_PER_HIT × limit, from a pool
    of LIKENESS_POOL definitions' chunks): a longer list asked for still comes whole."""
    n = LIKENESS_POOL + 15
    root = write_tree(tmp_path / "ws", {
        f"m{i}.py": f"def scale_{i}(values):\n    return [v * {i} for v in values]\n"
        for i in range(n)})
    ws = Workspace([root], Settings(model="fake"), embedder=FakeEmbedder())
    ws.sync()
    query = "def scale(values):\n    return [v * 2 for v in values]\n"
    assert len(ws.retriever.similar(query, n)) == n
    assert len(ws.retriever.similar(query, 10)) == 10
    ws.close()


def test_definitions_stop_early_with_the_same_answer(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Search reads outlines only until the answer is settled; with the stop disabled (the
    k-th score bound never beats what is left) every answer is the same, with more outlines
    read."""
    # implementation a little below tests, classes and one-liners by its words, above them
    # once the priors count: a stop that ignored the priors would answer otherwise
    code = {f"pkg/m{i}.py": "".join(
        f"def {verb}_{noun}_{i}(x):\n    y = x.{verb}({noun!r})\n    return y or x\n\n\n"
        for verb in ("parse", "render", "load") for noun in ("page", "row")) for i in range(12)}
    tests = {f"tests/test_m{i}.py": f"def test_parse_page_row_{i}():\n"
             f"    assert parse_page_{i}(parse_row_{i}(1))\n" for i in range(8)}
    classes = {f"pkg/c{i}.py": f"class PageRowParser{i}:\n    page = 1\n    row = 2\n    "
               f"parse = None\n" for i in range(6)}
    thin = {f"pkg/t{i}.py": f"def parse_page_row_{i}(x):\n    return x\n" for i in range(6)}
    root = write_tree(tmp_path / "ws", code | tests | classes | thin)
    ws = Workspace([root], Settings(model="fake"), embedder=FakeEmbedder())
    ws.sync()
    queries = ["parse a page", "render rows", "load", "parse page 3 row", "page row parser"]
    calls = []
    real = ws.retriever._outline

    def counted(h, states):  # type: ignore[no-untyped-def]
        calls.append(h.chunk_id)
        return real(h, states)

    monkeypatch.setattr(ws.retriever, "_outline", counted)
    stopped = [[ws.retriever.search(q, k) for k in (1, 3, 5, 10)] for q in queries]
    with_stop = len(calls)
    calls.clear()
    monkeypatch.setattr(retrieval, "_kth", lambda best, k: float("-inf"))
    whole = [[ws.retriever.search(q, k) for k in (1, 3, 5, 10)] for q in queries]
    assert stopped == whole
    assert with_stop < len(calls)
    ws.close()


def test_similar_reads_the_whole_definition_not_its_best_chunk(tmp_path: Path) -> None:
    # A function long enough to be cut into several chunks: findSimilar's query is a whole
    # function, so a definition gains how alike its WHOLE text reads to the query
    # (LIKENESS_WEIGHT x resemblance) on top of its best chunk's fused score.
    steps = "\n".join(f"    total_{i} = compute_step(values, {i}) + offset_{i % 7}"
                      for i in range(150))
    long_fn = f"def run_all_steps(values):\n{steps}\n    return total_0\n"
    root = write_tree(tmp_path / "ws", {
        "long.py": long_fn,
        "short.py": "def one_step(values):\n    total_1 = compute_step(values, 1) + offset_1\n"
                    "    return total_1\n",
        **{f"f{i}.py": f"def other{i}(x):\n    return x * {i} + len(x)\n" for i in range(6)},
    })
    ws = Workspace([root], Settings(model="fake"), embedder=FakeEmbedder())
    ws.sync()
    store = ws.folders[0].store
    chunks = store.chunks_of_file("long.py")
    assert len(chunks) > 1  # the premise: the function is several chunks
    query = long_fn.split("\n", 1)[1].replace("total_", "acc_")  # its body, a local renamed
    ret = ws.retriever
    fused = {(h.path, h.chunk_id): h.score for h in ret._hybrid(
        query, ret.embed_query(query), 30, ret._filter((), ()), SIMILAR_WEIGHTS, None,
        lexical.query_terms(query, SIMILAR_QUERY_TERMS))}
    hits = ret.similar(query, 3)
    q = code_tokens(query)
    for h in hits:
        best = max(s for (path, _), s in fused.items() if path == h.path)
        assert h.score == pytest.approx(best + LIKENESS_WEIGHT * resemblance(
            q, code_tokens(h.text)))
    assert hits[0].path == "long.py"
    whole = next(h for h in hits if h.path == "long.py")
    assert (whole.start_line, whole.end_line) == (1, long_fn.count("\n"))
    # the whole function reads more like the query than any one of its chunks does
    assert resemblance(q, code_tokens(whole.text)) > max(
        resemblance(q, code_tokens(c.text)) for c in chunks)
    # a window of lines (completion context) is no definition: chunks are compared as they
    # are, by lexical_similarity, with a search's lexical query
    window = "\n".join(query.split("\n")[70:75])
    wfused = {h.chunk_id: h.score for h in ret._hybrid(
        window, ret.embed_query(window), 30, ret._filter((), ()), SIMILAR_WEIGHTS, None)}
    by_chunk = {c.id: c for c in chunks}
    in_long = [h for h in ret.similar(window, 3, chunks=True, window=True)
               if h.path == "long.py"]
    assert in_long
    for h in in_long:
        assert h.score == pytest.approx(wfused[h.chunk_id] + lexical_similarity(
            code_tokens(window), code_tokens(by_chunk[h.chunk_id].text)))
        assert (h.start_line, h.end_line) == (by_chunk[h.chunk_id].start_line,
                                              by_chunk[h.chunk_id].end_line)
    ws.close()


def test_similar_asks_for_more_words_than_search(tmp_path: Path) -> None:
    # A long function's distinctive word can be one of its rarest: the lexical query of code
    # keeps up to SIMILAR_QUERY_TERMS words (most frequent first), more than a search's.
    common = [f"word{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(60)]
    query = "\n".join(f"{w} = {w} + {w}" for w in common) + "\nzyzzyva_handler(1)\n"
    root = write_tree(tmp_path / "ws", {
        "z.py": "def handle():\n    return zyzzyva_handler(2)\n",
        **{f"f{i}.py": f"def other{i}(x):\n    return x * {i} + len(x)\n" for i in range(6)},
    })
    ws = Workspace([root], Settings(model="fake"), embedder=FakeEmbedder())
    ws.sync()
    assert "zyzzyva" not in lexical.query_terms(query)  # the premise: beyond a search's words
    assert "zyzzyva" in lexical.query_terms(query, SIMILAR_QUERY_TERMS)
    store = ws.folders[0].store
    found = store.lexical_candidates(lexical.query_terms(query, SIMILAR_QUERY_TERMS), 5)
    assert [store.chunks_by_id([cid])[cid].path for cid, _ in found] == ["z.py"]
    assert ws.retriever.similar(query, 1)[0].path == "z.py"
    ws.close()


def test_incidental_word_matches_are_not_a_full_match(tmp_path: Path) -> None:
    # 'gamma' appears once among many chunks: BM25's best is then far below the ceiling
    # (half the query's idf), and its normalised lexical score stays below 1.
    root = write_tree(tmp_path / "ws", {
        f"m{i}.py": f"def f{i}(x):\n    return x + {i}\n" for i in range(20)})
    (root / "g.py").write_text("def g(gamma):\n    return gamma\n")
    ws = Workspace([root], Settings(model="fake"), embedder=FakeEmbedder())
    ws.sync()
    store = ws.folders[0].store
    words = ["gamma", "delta", "epsilon", "zeta"]
    found = store.lexical_candidates(words, 5)
    assert len(found) == 1
    n = store.counts()[1]
    idf = {w: math.log((n - df + 0.5) / (df + 0.5)) for w, df in
           (("gamma", 1), ("delta", 0), ("epsilon", 0), ("zeta", 0))}
    assert store.lexical_ceiling(words) == pytest.approx(0.5 * sum(idf.values()))
    fused = fuse_scores([], [(s, cid) for cid, s in found], 1.0, 1.0,
                        store.lexical_ceiling(words))
    assert fused[found[0][0]] == pytest.approx(found[0][1] / store.lexical_ceiling(words))
    assert fused[found[0][0]] < 1.0
    ws.close()


def test_rrf() -> None:
    fused = rrf([["a", "b", "c"], ["c", "a"]], [1.0, 2.0], k=10)
    assert fused == pytest.approx({"a": 1 / 11 + 2 / 12, "b": 1 / 12, "c": 1 / 13 + 2 / 11})
    assert rrf([["a"], ["b"]], [1.0, 0.0]) == pytest.approx({"a": 1 / (RRF_K + 1)})


def test_filters_by_language_and_path(ws: Workspace) -> None:
    query = "area of a circle or square"
    go = ws.retriever.search(query, 10, languages=["go"])
    assert go and {h.language for h in go} == {"go"}
    assert {h.symbol for h in go} == {"CircleArea", "RectanglePerimeter", "SquareArea"}
    py = ws.retriever.search("count words", 10, languages=["python"], paths=["*.py"])
    assert py and all(h.path.endswith(".py") for h in py)
    shop = ws.retriever.search("total", 10, paths=["shop/**"])
    assert shop and {h.path for h in shop} == {"shop/cart.js"}
    assert ws.retriever.search("total", 10, languages=["rust"]) == []
    both = ws.retriever.search("area", 10, languages=["go"], paths=["geometry_extra.go"])
    assert [h.symbol for h in both] == ["SquareArea"]


def test_similar_leaves_out_the_query_chunk(ws: Workspace) -> None:
    app = ws.folders[0]
    text = (APP / "text_utils.py").read_text()
    line = text.split("\n").index("def count_words(text):") + 1
    own = app.store.chunk_at("text_utils.py", line)
    assert own is not None and own.symbol == "count_words"
    hits = similar_at(ws, APP / "text_utils.py", text, line, line, 10, whole_chunk=True)
    assert all(not (h.root == app.root and h.chunk_id == own.id) for h in hits)
    # the copy-pasted clone in the other folder is first by cosine and by BM25, so first
    others = [(r, c) for r, c in _all_chunks(ws) if not (r == app.root and c.id == own.id)]
    by_cosine = max(others, key=lambda rc: _overlap_cosine(own.text, _embed_text(rc[1])))
    lib = ws.folders[1].store
    by_bm25 = lib.lexical_candidates(lexical.query_terms(own.text), 1)[0][0]
    clone = (LIB.resolve(), "wordcount.py", "count_words")
    assert (by_cosine[0], by_cosine[1].path, by_cosine[1].symbol) == clone
    assert lib.chunks_by_id([by_bm25])[by_bm25].symbol == "count_words"
    assert (hits[0].root, hits[0].path, hits[0].symbol) == clone
    # asked without exclusion, the chunk itself would be the best answer
    same = ws.retriever.similar(own.text, 3)
    assert (same[0].root, same[0].chunk_id) == (app.root, own.id)
    excluded = ws.retriever.similar(own.text, 3, exclude=(app.root, frozenset({own.id})))
    assert own.id not in {h.chunk_id for h in excluded if h.root == app.root}


def test_hits_across_two_folders(ws: Workspace) -> None:
    hits = ws.retriever.search("area", 10, languages=["go"])
    roots = {h.root for h in hits}
    assert roots == {APP.resolve(), LIB.resolve()}
    for h in hits:
        assert h.abspath.is_file() and h.abspath == h.root / h.path
        lines = h.abspath.read_text().split("\n")
        assert h.text == "\n".join(lines[h.start_line - 1 : h.end_line])
    indexes = {(f.store.path, getattr(f.store, "key", None)) for f in ws.folders}
    assert len(indexes) == 2


def test_two_folders_with_one_db_setting(tmp_path: Path) -> None:
    settings = Settings(model="fake", db_path=str(tmp_path / "idx.db"))
    ws = Workspace([APP, LIB], settings, embedder=FakeEmbedder())
    assert len({f.store.path for f in ws.folders}) == 2
    ws.sync()
    assert {h.root for h in ws.retriever.search("area", 10)} == {APP.resolve(), LIB.resolve()}
    ws.close()


def test_hit_preview() -> None:
    hit = Hit(Path("/r"), "a.py", 1, 5, "f", "method", "python", 1.0,
              "    def f(self):\n\n        x = 1\n        y = 2\n        return x + y", 1)
    assert hit.preview == "def f(self):\n    x = 1\n    y = 2"
    assert hit.abspath == Path("/r/a.py")


def test_two_folders_with_the_same_name_and_one_db_setting(tmp_path: Path) -> None:
    a = write_tree(tmp_path / "a" / "src", {"one.py": "def first_thing():\n    return 1\n"})
    b = write_tree(tmp_path / "b" / "src", {"two.py": "def second_thing():\n    return 2\n"})
    settings = Settings(model="fake", db_path=str(tmp_path / "idx.db"))
    ws = Workspace([a, b], settings, embedder=FakeEmbedder())
    assert len({f.store.path for f in ws.folders}) == 2
    ws.sync()
    ws.sync()  # each folder's sync must leave the other's files alone
    hits = ws.retriever.search("thing", 10)
    assert {(h.root, h.path) for h in hits} == {(a.resolve(), "one.py"), (b.resolve(), "two.py")}
    ws.close()


def test_nested_folders_index_each_file_once(tmp_path: Path) -> None:
    outer = write_tree(tmp_path / "outer", {
        "top.py": "def top_level(x):\n    return x + 1\n",
        "pkg/inner_mod.py": "def inner_function(y):\n    return y * 2\n",
        "pkg/sub/deep.py": "def deep_function(z):\n    return z - 3\n",
    })
    inner = outer / "pkg"
    ws = Workspace([outer, inner], Settings(model="fake"), embedder=FakeEmbedder())
    try:
        ws.sync()
        files = {f.root.name: set(f.store.file_states()) for f in ws.folders}
        assert files == {"outer": {"top.py"}, "pkg": {"inner_mod.py", "sub/deep.py"}}
        hits = ws.retriever.search("inner function", 10)
        assert [(h.path, h.root) for h in hits if "inner_function" in h.text] == \
            [("inner_mod.py", inner.resolve())]
        # an edit under the inner folder belongs to it alone
        assert ws.folder_for(inner / "inner_mod.py") == (ws.folders[1], "inner_mod.py")
        assert ws.folders[0].indexer.filter.name_skip_reason("pkg/inner_mod.py") == "ignored"
    finally:
        ws.close()


def test_two_queries_embedded_at_once_are_the_ones_embedded_alone() -> None:
    """completionContext embeds its two queries at once when the embedder allows it: the same
    vectors as one after the other, in the order asked, and one after the other when not."""
    from nearcode.config import Settings
    from nearcode.embed.fake import FakeEmbedder
    from nearcode.search.retrieval import Retriever

    class Serial(FakeEmbedder):
        runs_in_parallel = False

    first, second = "def parse(text):\n    return text", "class Header:\n    name = 'x'"
    for embedder in (FakeEmbedder(), Serial()):
        retriever = Retriever([], embedder, Settings(model="fake"))
        a, b = retriever.embed_queries(first, second)
        assert np.array_equal(a, retriever.embed_query(first))
        assert np.array_equal(b, retriever.embed_query(second))
        assert not np.array_equal(a, b)


@pytest.mark.parametrize("query, question", [
    ("how does it follow redirects?", True),
    ("Where are idle connections closed", True),  # no `?`: its first word asks
    ("With a proxy, how is the upstream chosen?", True),
    ("what, exactly, happens on a timeout", True),
    ("Return the first item of a sequence.", False),  # a docstring's description
    ("Is the value a string?", False),  # yes or no: a predicate's doc, answered by a one-liner
    ("parse the settings file", False),
    ("somewhere in the scheduler", False),  # `where` inside a word
    ("", False),
])
def test_what_counts_as_a_question(query: str, question: bool) -> None:
    assert lexical.is_question(query) == question
