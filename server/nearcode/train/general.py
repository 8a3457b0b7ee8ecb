"""The general stage of training: the Python standard library's pairs, before the workspace's.

A workspace with few documented functions trains for a few minutes and stops: the rest of its
time budget goes unused. Training first on (description, code) pairs of the standard library,
which every machine with Python has, then on the workspace's own pairs, carries what the
library teaches about reading code to the workspace (measured in docs/training.md: +0.123
MRR@10 on the bench corpora against +0.081 from their own pairs alone). The stage gets the
steps the budget leaves over the workspace's own, at most one pass over the library.
"""

from __future__ import annotations

import sysconfig
from collections.abc import Sequence
from pathlib import Path

from ..config import Settings
from . import pairs

EXCLUDE = ["site-packages/", "dist-packages/"]  # installed packages are not the library
MIN_STEPS = 5  # fewer general steps than this are not worth mining the library for


def library_root() -> Path | None:
    """The standard library's folder of the running Python, if it is there."""
    folder = Path(sysconfig.get_paths()["stdlib"])
    return folder if (folder / "os.py").is_file() else None


def overlaps(roots: Sequence[Path], library: Path) -> bool:
    """True when a root is inside the library or holds it: its files would be on both sides."""
    lib = library.resolve()
    for root in roots:
        r = root.resolve()
        if r == lib or r in lib.parents or lib in r.parents:
            return True
    return False


def steps(fit: int, own: int, epoch: int) -> int:
    """General steps for a run: what the `fit` steps of the budget leave after the `own`
    steps of the workspace, at most one `epoch` of the library; none when under MIN_STEPS."""
    n = min(epoch, fit - own)
    return n if n >= MIN_STEPS else 0


def library_pairs(library: Path, seed: int) -> list[pairs.Pair]:
    """The library's documented pairs (tests' included; no weak name pairs), seeded order."""
    mined = pairs.mine([library], Settings(exclude=list(EXCLUDE)), names=False)
    return pairs.shuffled(mined.pairs, seed)
