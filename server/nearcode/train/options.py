"""How to train (`TrainOptions`), and the checks a run passes before it starts."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..embed import registry
from .data import TrainingError


@dataclass
class TrainOptions:
    """How to train. `minutes` bounds the training steps (mining and evaluation come on top)."""

    minutes: float = 15.0
    epochs: float = 1.0
    batch_size: int = 64
    mini_batch_size: int = 16
    learning_rate: float = 1e-4
    warmup: float = 0.1
    seed: int = 0
    name: str | None = None
    start: str = "shipped"  # "shipped", "base", "active" or a trained model's name / a folder
    max_steps: int | None = None  # fixes the step count (for an exact rerun)
    general_steps: int | None = None  # steps on the standard library first (None: by budget)
    query: str = "sentence"  # anchors: "sentence" (first sentence), "doc" or "mixed"
    names: bool = False  # also train on name ↔ code pairs
    max_seq_length: int | None = None  # default: embedding.MAX_TOKENS, what search embeds
    heldout_fraction: float = 0.2
    max_heldout: int = 500
    max_train_pairs: int | None = None  # use only this many training pairs (a seeded sample)


def default_name(roots: Sequence[Path]) -> str:
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", roots[0].resolve().name) or "workspace"
    return f"{stem}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


def check_dependencies() -> None:
    """TrainingError naming what to install when the trainer's dependencies are missing."""
    missing = [m for m in ("datasets", "accelerate") if importlib.util.find_spec(m) is None]
    if missing:
        raise TrainingError(f"nearcode train needs {' and '.join(missing)}: "
                            "pip install 'sentence-transformers[train]'")


RESERVED_NAMES = ("base", "default", "shipped", registry.SHIPPED_MODEL_NAME,
                  *registry.REPLACED)  # what resolve() reads as something else


def check_name(name: str) -> str:
    """A model name that is a plain folder name and not taken."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", name) or name in RESERVED_NAMES:
        raise TrainingError(f"bad model name {name!r}: use letters, digits, '.', '_' and '-' "
                            f"(and not {', '.join(map(repr, RESERVED_NAMES))})")
    if (registry.models_dir() / name).exists():
        raise TrainingError(f"a trained model named {name!r} exists already; pick another --name")
    return name


def check_options(roots: Sequence[Path], opts: TrainOptions) -> str:
    """The new model's name, once the options and the trainer's dependencies are usable."""
    check_dependencies()
    name = check_name(opts.name or default_name(roots))
    if opts.batch_size < 2:
        raise TrainingError("--batch-size must be at least 2 (the other pairs are the negatives)")
    if opts.minutes <= 0 or opts.epochs <= 0:
        raise TrainingError("--minutes and --epochs must be positive")
    if opts.general_steps is not None and opts.general_steps < 0:
        raise TrainingError("--general-steps must be 0 or more")
    return name
