"""Training within a time budget: how long a step takes, how many fit `--minutes`, and the
plan the learning rate follows (it still decays to zero on the last step that fits when the
machine turns out slower than estimated). trainer.py runs the steps to this plan."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

SAFETY = 1.15  # the first step's time estimate times this must fit the budget


@dataclass
class Progress:
    """Where training is: a phase, and within 'train' the step of steps and the last loss."""

    phase: str
    step: int = 0
    steps: int = 0
    loss: float | None = None


ProgressFn = Callable[[Progress], None]


def estimate_step_seconds(model: Any, loss: Any, texts: Sequence[str], codes: Sequence[str],
                          batch_size: int, seed: int = 0, samples: int = 8,
                          repeats: int = 3) -> float:
    """Seconds one optimizer step of `batch_size` pairs takes.

    One mini-batch step is timed (the fastest of `repeats`: another program busy for a moment
    must not shrink the whole run); a step costs about that per token, and its tokens are those
    of its mini-batches, each padded to its longest text once a batch is sorted by code length
    (as `run_trainer`'s collator does). Averaged over a few seeded batches. Leaves no
    gradients behind.
    """
    m = min(len(texts), loss.mini_batch_size)
    features = [model.preprocess(list(texts[:m])), model.preprocess(list(codes[:m]))]
    probe_tokens = sum(f["input_ids"].numel() for f in features)
    model.train()
    times = []
    for _ in range(repeats):
        start = time.monotonic()
        value = loss(features, None)
        value.backward()
        times.append(time.monotonic() - start)
        model.zero_grad(set_to_none=True)
    seconds = min(times)

    def tokens(items: Sequence[str]) -> list[int]:
        ids = model.tokenizer(list(items), truncation=True, max_length=model.max_seq_length)
        return [len(x) for x in ids["input_ids"]]

    rng = np.random.default_rng(seed)
    n = min(batch_size, len(texts))
    per_step = []
    for _ in range(samples):
        pick = rng.choice(len(texts), size=n, replace=False)
        order = sorted(pick, key=lambda i: len(codes[i]))
        t_len, c_len = tokens([texts[i] for i in order]), tokens([codes[i] for i in order])
        step = 0
        for lo in range(0, n, m):
            for lens in (t_len[lo : lo + m], c_len[lo : lo + m]):
                step += max(lens) * len(lens)
        per_step.append(step)
    return float(seconds * float(np.mean(per_step)) / probe_tokens * batch_size / n)


@dataclass
class Plan:
    """The step count the learning-rate schedule decays over. Under a time budget it shrinks
    when steps turn out slower than estimated (a shared machine), so that the rate still
    reaches zero on the last step that fits, instead of training stopping half-way down; it
    grows back, up to the steps first planned, when the machine is free again."""

    total: int
    warmup: int
    adaptive: bool
    done: int = 0
    limit: int = field(init=False)  # the steps first planned: the plan never grows past them

    def __post_init__(self) -> None:
        self.limit = self.total

    def factor(self, step: int) -> float:
        """Linear warm-up, then linear decay to 0 at `total` (as transformers' 'linear')."""
        if step < self.warmup:
            return step / max(1, self.warmup)
        return max(0.0, (self.total - step) / max(1, self.total - self.warmup))
