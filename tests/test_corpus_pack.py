"""The corpus pack: what a run on another machine reads is what the corpus holds, cut where
the model stops reading, with at most so many pairs of one package."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from nearcode.train import corpus_pack
from nearcode.train.pairs import Pair


def _pair(package: str, i: int, doc: str, language: str = "python") -> Pair:
    query = doc.split(".")[0] + "."
    return Pair(query, doc, f"def f{i}(x): return x + {i}", "docstring", language,
                f"{package}/mod.py", f"f{i}", i)


def _words(texts: Sequence[str], n: int) -> list[str]:
    """A cut by whitespace words, standing in for the tokenizer's word pieces."""
    return [" ".join(t.split(" ")[:n]) for t in texts]


def test_pack_reads_back_each_pair_with_its_package_sentence_and_cut_texts(tmp_path: Path) -> None:
    train = [_pair("pkg-a", 1, "Add one. Then more words follow here."),
             _pair("pkg-b", 2, "Add two.", language="go")]
    # a sentence that is not the doc's start is kept as it is
    train.append(Pair("Name words", "Other doc.", "def g(): pass", "short", "python",
                      "pkg-a/g.py", "g", 1))
    heldout = [_pair("pkg-c", 3, "Held out pair.")]
    size = corpus_pack.pack(train, heldout, tmp_path / "p.xz", _words, 3)
    assert size == (tmp_path / "p.xz").stat().st_size
    back = corpus_pack.read(tmp_path / "p.xz")
    assert [(p.group, p.language, p.sentence) for p in back["train"]] == [
        ("pkg-a", "python", "Add one."), ("pkg-b", "go", "Add two."), ("pkg-a", "python",
                                                                       "Name words")]
    first = back["train"][0]
    assert first.code == "def f1(x): return"  # the code cut at 3 words
    assert first.doc == " ".join("Add one. Then more words follow here.".split()[:corpus_pack.
                                                                              DOC_TOKENS])
    assert [p.group for p in back["heldout"]] == ["pkg-c"]


def test_at_most_samples_big_packages_and_keeps_order() -> None:
    pairs = [_pair("big", i, f"Doc {i}.") for i in range(50)] + \
        [_pair("small", i, f"Doc {i}.") for i in range(5)]
    kept = corpus_pack.at_most(pairs, 10)
    assert Counter(p.path.split("/")[0] for p in kept) == {"big": 10, "small": 5}
    assert kept == [p for p in pairs if p in kept]  # order of the corpus
    assert kept == corpus_pack.at_most(pairs, 10)  # seeded
