"""The pairs a run trains and measures on: mined from the roots, split by file, checked to be
enough, and the text side of each training pair."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..config import Settings
from ..errors import InvalidInput
from . import pairs

MIN_TRAIN_PAIRS = 128  # documented pairs on the training side (two batches of 64)
MIN_HELDOUT_PAIRS = 20  # documented pairs held out to measure the result


class TrainingError(InvalidInput):
    """Training cannot start or finish: too little data, no time, a bad name."""


def mine_split(roots: Sequence[Path], settings: Settings, seed: int,
               heldout_fraction: float = 0.2, max_heldout: int = 500
               ) -> tuple[pairs.Mined, pairs.Split]:
    """Pairs of `roots` and their split by file (the same for `train` and `eval`)."""
    mined = pairs.mine(roots, settings, names=True)
    return mined, pairs.split(mined.pairs, seed, heldout_fraction, MIN_HELDOUT_PAIRS, max_heldout,
                              mined.workspace)


def check_enough(mined: pairs.Mined, split: pairs.Split, min_train: int | None = None,
                 min_heldout: int | None = None) -> None:
    """TrainingError saying how many pairs were found and how many are needed, when too few."""
    min_train = MIN_TRAIN_PAIRS if min_train is None else min_train
    min_heldout = MIN_HELDOUT_PAIRS if min_heldout is None else min_heldout
    documented = [p for p in split.train if p.kind != "name"]
    if len(documented) >= min_train and len(split.heldout) >= min_heldout:
        return
    total = sum(1 for p in mined.pairs if p.kind != "name")
    raise TrainingError(
        f"too few documented functions to train on: found {total} (description, code) pairs in "
        f"{mined.files} files ({len(documented)} for training, {len(split.heldout)} held out); "
        f"need at least {min_train} for training and {min_heldout} held out. Add documented "
        f"code with --extra-source DIR (an installed library, say)")


def anchors(train: Sequence[pairs.Pair], mode: str, seed: int) -> list[str]:
    """The text side of each training pair: its first sentence, its whole description, or a
    seeded mix of both."""
    if mode not in ("sentence", "doc", "mixed"):
        raise TrainingError(f"unknown query mode {mode!r}: expected sentence, doc or mixed")
    rng = np.random.default_rng(seed)
    out = []
    for p in train:
        whole = " ".join(p.doc.split())
        use_doc = mode == "doc" or (mode == "mixed" and rng.random() < 0.5)
        out.append(whole if use_doc and whole else p.query)
    return out
