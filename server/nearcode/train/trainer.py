"""Training within a time budget: how long a step takes, how many fit `--minutes`, and the
run of SentenceTransformerTrainer that keeps to it (the learning rate still decays to zero on
the last step that fits when the machine turns out slower than estimated)."""

from __future__ import annotations

import logging
import tempfile
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
    return seconds * float(np.mean(per_step)) / probe_tokens * batch_size / n


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


def budget_callback(plan: Plan, deadline: float, progress: ProgressFn | None,
                     losses: list[float]) -> Any:
    from transformers import TrainerCallback

    class Budget(TrainerCallback):  # type: ignore[misc]
        """Fits the plan to the time left; stops before a step that would end past the
        deadline; reports progress."""

        def __init__(self) -> None:
            self.started = time.monotonic()
            self.first_done: float | None = None  # when step 1 ended

        def on_log(self, args, state, control, logs=None, **kw):  # type: ignore[no-untyped-def]
            if logs and "loss" in logs:
                losses.append(float(logs["loss"]))
                if progress is not None:
                    progress(Progress("train", state.global_step, plan.total, losses[-1]))

        def on_step_end(self, args, state, control, **kw):  # type: ignore[no-untyped-def]
            now = time.monotonic()
            done = plan.done = state.global_step
            if self.first_done is None:
                self.first_done = now
            # Step 1 also pays for the trainer's set-up: judging the pace by it would shrink
            # the plan for good, so the pace is that of the steps after it.
            if done > 1:
                per_step = (now - self.first_done) / (done - 1)
            else:
                per_step = now - self.started
            if plan.adaptive and done > 1:
                fits = done + int((deadline - now) // per_step)
                plan.total = max(done, min(plan.limit, fits))
            log.info("step %d/%d: %.1fs per step so far", done, plan.total, per_step)
            if done >= plan.total or now + per_step > deadline:
                if done < state.max_steps:
                    log.info("time budget: stopping after %d steps", done)
                control.should_training_stop = True
            return control

    return Budget()


def run_trainer(model: Any, loss: Any, texts: list[str], codes: list[str], plan: Plan,
                deadline: float, progress: ProgressFn | None, losses: list[float],
                batch_size: int, learning_rate: float, seed: int) -> float:
    """Run SentenceTransformerTrainer for `plan.total` steps (fewer if the deadline comes
    first), the learning rate following `plan`."""
    from datasets import Dataset  # type: ignore[import-untyped]
    from sentence_transformers import (
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer.data_collator import (
        SentenceTransformerDataCollator,
    )
    from transformers import PrinterCallback, set_seed

    @dataclass
    class ByCodeLength(SentenceTransformerDataCollator):  # type: ignore[misc]
        """Sorts a batch by code length before it is cut into GradCache mini-batches, so each
        mini-batch pads to similar lengths (the in-batch loss does not depend on the order)."""

        def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
            return super().__call__(sorted(features, key=lambda f: len(f["positive"])))

    class Trainer(SentenceTransformerTrainer):  # type: ignore[misc]
        data_collator_class = ByCodeLength

        def create_scheduler(self, num_training_steps: int, optimizer: Any = None) -> Any:
            from torch.optim.lr_scheduler import LambdaLR

            if self.lr_scheduler is None:
                opt = optimizer if optimizer is not None else self.optimizer
                assert opt is not None
                self.lr_scheduler = LambdaLR(opt, plan.factor)
            return self.lr_scheduler

        def get_batch_sampler(self, dataset: Any, batch_size: int, drop_last: bool,
                              *args: Any, **kw: Any) -> Any:
            """The pairs come in batch order (batching.topic_order): take them as they are."""
            from torch.utils.data import BatchSampler, SequentialSampler

            return BatchSampler(SequentialSampler(dataset), batch_size, drop_last=True)

        def add_model_card_callback(self, default_args_dict: dict[str, Any]) -> None:
            pass  # no model card: it samples the data (a tqdm bar) and draws from `random`

    dataset = Dataset.from_dict({"anchor": texts, "positive": codes})
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="nearcode-train-") as out:
        args = SentenceTransformerTrainingArguments(
            output_dir=out, max_steps=plan.total, per_device_train_batch_size=batch_size,
            learning_rate=learning_rate, seed=seed, data_seed=seed,
            logging_steps=1, save_strategy="no",
            report_to="none", disable_tqdm=True, use_cpu=True, dataloader_num_workers=0,
            dataloader_pin_memory=False, dataloader_drop_last=True,
        )
        trainer = Trainer(model=model, args=args, train_dataset=dataset, loss=loss)
        trainer.remove_callback(PrinterCallback)  # it prints log dicts on stdout
        trainer.add_callback(budget_callback(plan, deadline, progress, losses))
        set_seed(seed)
        trainer.train()
    return time.monotonic() - start
