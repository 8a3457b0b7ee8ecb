"""Held-out metrics on examples small enough to check by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from nearcode.embed.fake import FakeEmbedder
from nearcode.train import evaluation
from nearcode.train.pairs import Pair


def test_ranks_count_ties_against_the_answer() -> None:
    scores = np.array([
        [0.9, 0.1, 0.2],  # answer 0 is best: rank 1
        [0.5, 0.4, 0.6],  # answer 1 is beaten by both: rank 3
        [0.3, 0.3, 0.3],  # answer 2 ties with both: rank 3, not 1
    ])
    assert evaluation.ranks(scores, [0, 1, 2]) == [1, 3, 3]


def test_metrics_by_hand() -> None:
    # ranks 1, 2, 5, 11: reciprocal ranks 1, 1/2, 1/5 and 0 (beyond the top 10)
    m = evaluation.metrics([1, 2, 5, 11])
    assert m.n == 4
    assert m.mrr10 == pytest.approx((1 + 0.5 + 0.2 + 0) / 4)  # 0.425
    assert m.r1 == pytest.approx(1 / 4)
    assert m.r5 == pytest.approx(3 / 4)
    assert evaluation.metrics([]).n == 0
    assert m.as_dict() == {"mrr10": 0.425, "r1": 0.25, "r5": 0.75, "n": 4}


def test_mrr_depth_is_ten() -> None:
    assert evaluation.metrics([10]).mrr10 == pytest.approx(0.1)
    assert evaluation.metrics([11]).mrr10 == 0.0


def _pair(query: str, code: str) -> Pair:
    return Pair(query, query, code, "docstring", "python", "w/a.py", "f", 1)


def test_bm25_matches_the_formula() -> None:
    docs = ["parse json text", "write json file", "parse parse xml"]
    bm = evaluation.BM25(docs, k1=1.2, b=0.75)
    n, avg = 3, 3.0
    idf_parse = math.log((n - 2 + 0.5) / (2 + 0.5) + 1)  # in 2 of 3 documents
    idf_xml = math.log((n - 1 + 0.5) / (1 + 0.5) + 1)  # in 1 of 3
    s = bm.scores("xml parse")
    # document 2: tf(parse) = 2, tf(xml) = 1, length 3 = the average
    norm = 1.2 * (1 - 0.75 + 0.75 * 3 / avg)
    expect = idf_parse * 2 * 2.2 / (2 + norm) + idf_xml * 1 * 2.2 / (1 + norm)
    assert s[2] == pytest.approx(expect)
    assert s[1] == 0.0
    assert s[0] == pytest.approx(idf_parse * 2.2 / (1 + norm))


def test_bm25_splits_identifiers() -> None:
    bm = evaluation.BM25(["def parseJsonText(s): ...", "def write_file(p): ..."])
    s = bm.scores("parse the JSON")
    assert s[0] > 0 and s[1] == 0


def test_evaluate_with_a_fake_embedder_and_bm25() -> None:
    # FakeEmbedder's similarity is word overlap, so each query finds its own code first,
    # except the last query whose words all point at the first code
    pairs = [
        _pair("sort the list", "python function sort_list\ndef sort_list(xs): return sorted(xs)"),
        _pair("open a socket", "python function open_socket\ndef open_socket(host): ..."),
        _pair("read the config file", "python function read_config\ndef read_config(p): ..."),
        _pair("sort list", "python function shuffle\ndef shuffle(xs): random.shuffle(xs)"),
    ]
    dense = evaluation.evaluate(pairs, FakeEmbedder())
    assert dense.n == 4
    assert dense.r1 == pytest.approx(3 / 4)
    bm = evaluation.evaluate(pairs, None)
    # BM25 ignores 'the'/'a'; 'sort list' scores 0 on the shuffle code, below sort_list's code
    # and tied with the two others, and ties count against it: rank 4
    assert bm.r1 == pytest.approx(3 / 4)
    assert bm.mrr10 == pytest.approx((1 + 1 + 1 + 1 / 4) / 4)
