"""`nearcode eval`: the base model, BM25 and a trained model on a corpus's held-out pairs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Settings
from ..embed import registry
from ..embed.torch_backend import SentenceTransformerEmbedder
from . import data
from .budget import Progress, ProgressFn
from .data import TrainingError, mine_split
from .evaluation import Metrics, evaluate


@dataclass
class EvalReport:
    """Held-out metrics of several rankers on one corpus."""

    pairs: int
    files: int
    metrics: dict[str, Metrics]
    excluded: int = 0  # held-out pairs dropped because the model trained on their file
    seed: int = 0


def evaluate_corpus(roots: Sequence[Path], settings: Settings, model: str | None,
                    seed: int | None = None, max_heldout: int = 500,
                    progress: ProgressFn | None = None) -> EvalReport:
    """The base model, BM25 and (unless None) `model` on the held-out pairs of `roots`.

    A trained model is measured on the split it was trained with (its seed), and held-out pairs
    from files it trained on are left out, so no score comes from training data."""
    ref = registry.resolve(model) if model else None
    split_info: dict[str, Any] = {}
    if ref is not None and (ref.folder / "split.json").is_file():
        split_info = json.loads((ref.folder / "split.json").read_text())
    seed = seed if seed is not None else int(split_info.get("seed", 0))
    (progress or (lambda p: None))(Progress("mine"))
    mined, split = mine_split(roots, settings, seed, max_heldout=max_heldout)
    trained_on = set(split_info.get("train_files", []))
    heldout = [p for p in split.heldout if p.path not in trained_on]
    if len(heldout) < data.MIN_HELDOUT_PAIRS:
        raise TrainingError(
            f"too few held-out pairs to measure anything: {len(heldout)} (need "
            f"{data.MIN_HELDOUT_PAIRS}); found {len(mined.pairs)} pairs in {mined.files} files")
    (progress or (lambda p: None))(Progress("evaluate"))
    base = registry.base_model()
    out = {"base": evaluate(heldout, SentenceTransformerEmbedder(base.folder, base.name)),
           "bm25": evaluate(heldout, None)}
    if ref is not None and ref.folder.resolve() != base.folder.resolve():
        out[ref.name] = evaluate(heldout, SentenceTransformerEmbedder(ref.folder, ref.name))
    return EvalReport(len(heldout), len(split.heldout_files), out,
                      len(split.heldout) - len(heldout), seed)
