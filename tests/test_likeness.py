"""The token measure of how alike two pieces of code read (likeness.py), used by
near-duplicates and findSimilar's ordering."""

from __future__ import annotations

import pytest
from helpers import FUNCTION
from nearcode.code.likeness import (
    WORD_BAG_WEIGHT,
    code_tokens,
    dice,
    lexical_similarity,
    resemblance,
    shingles,
)
from nearcode.search.duplicates import LEXICAL_MIN


def test_tokens_leave_out_comments_and_split_identifiers() -> None:
    tokens = code_tokens(FUNCTION)
    assert tokens.lines == len([line for line in FUNCTION.split("\n") if line.strip()]) - 1
    assert "what" not in tokens.words  # the comment line
    assert ["total", "price"] == list(tokens.words[1:3])  # def total_price
    assert tokens.shape[:3] == ("def", "$", "(")  # keyword kept, identifier abstracted
    assert len(tokens.words) > len(tokens.shape)  # identifiers become several words


def test_lexical_similarity_properties() -> None:
    a = code_tokens(FUNCTION)
    assert lexical_similarity(a, a) == 1.0
    renamed = code_tokens(FUNCTION.replace("total", "acc").replace("item", "row"))
    edited = code_tokens(FUNCTION.replace("if item.count > 0:", "if item.count >= 0:"))
    other = code_tokens("def f(path):\n    with open(path) as fh:\n        return fh.read()\n")
    # renaming keeps the shape; the words change
    assert dice(a.shape_shingles, renamed.shape_shingles) == 1.0
    assert dice(a.word_shingles, renamed.word_shingles) < 0.6
    for b in (renamed, edited, other):
        assert lexical_similarity(a, b) == lexical_similarity(b, a)
        assert 0.0 <= lexical_similarity(a, b) < 1.0
    assert lexical_similarity(a, edited) > lexical_similarity(a, renamed)
    # a renamed copy is still a duplicate; unrelated code is not
    assert lexical_similarity(a, renamed) > LEXICAL_MIN > lexical_similarity(a, other)


def test_dice_counts_multisets() -> None:
    assert dice(shingles("abab", 2), shingles("abab", 2)) == 1.0
    assert dice(shingles("ab", 3), shingles("ab", 3)) == 1.0  # shorter than a shingle
    # ab ba ab vs ab: one of three shared
    assert dice(shingles("aba" + "b", 2), shingles("ab", 2)) == pytest.approx(2 * 1 / 4)


def test_resemblance_keeps_reordered_code_close() -> None:
    # findSimilar's measure: lexical_similarity plus WORD_BAG_WEIGHT x the Dice overlap of the
    # identifier words, which do not care about order. Reordered statements break shingles,
    # not the words.
    a = code_tokens("x = load(path)\ny = parse(x, strict)\nz = check(y)\nreturn render(z)\n")
    moved = code_tokens("z = check(y)\nreturn render(z)\nx = load(path)\ny = parse(x, strict)\n")
    other = code_tokens("for item in items:\n    total += item.price\nreturn total\n")
    assert a.word_bag == moved.word_bag
    assert "return" not in {w for (w,) in a.word_bag}  # keywords are not identifier words
    assert resemblance(a, a) == pytest.approx(1 + WORD_BAG_WEIGHT)
    assert resemblance(a, moved) == pytest.approx(lexical_similarity(a, moved) + WORD_BAG_WEIGHT)
    assert lexical_similarity(a, moved) < 1.0
    assert resemblance(a, moved) > resemblance(a, other)
    assert resemblance(a, moved) == resemblance(moved, a)

