"""The run of SentenceTransformerTrainer that keeps to a time budget (budget.py): a callback
that fits the plan to the time left and stops in time, batches taken in the order they were
made (topic batches, sampler.py), each sorted by code length so that GradCache mini-batches pad
little, and the learning rate on the plan's schedule.

transformers, sentence-transformers and datasets are imported here, at the top: this module is
loaded only when the steps run (stages.fit), after the checks that name what is missing.
"""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from datasets import Dataset
from sentence_transformers import (
    SentenceTransformerTrainer,
    SentenceTransformerTrainingArguments,
)
from sentence_transformers.sentence_transformer.data_collator import (
    SentenceTransformerDataCollator,
)
from torch.optim.lr_scheduler import LambdaLR
from torch.utils.data import BatchSampler, SequentialSampler
from transformers import PrinterCallback, TrainerCallback, set_seed

from .budget import Plan, Progress, ProgressFn

log = logging.getLogger(__name__)


class BudgetCallback(TrainerCallback):
    """Fits the plan to the time left; stops before a step that would end past the deadline;
    reports progress and records each step's loss."""

    def __init__(self, plan: Plan, deadline: float, progress: ProgressFn | None,
                 losses: list[float]) -> None:
        self.plan = plan
        self.deadline = deadline
        self.progress = progress
        self.losses = losses
        self.started = time.monotonic()
        self.first_done: float | None = None  # when step 1 ended

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
               **kw: Any) -> None:
        if logs and "loss" in logs:
            self.losses.append(float(logs["loss"]))
            if self.progress is not None:
                self.progress(Progress("train", state.global_step, self.plan.total,
                                       self.losses[-1]))

    def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> Any:
        plan = self.plan
        now = time.monotonic()
        done = plan.done = state.global_step
        if self.first_done is None:
            self.first_done = now
        # Step 1 also pays for the trainer's set-up: judging the pace by it would shrink the
        # plan for good, so the pace is that of the steps after it.
        if done > 1:
            per_step = (now - self.first_done) / (done - 1)
        else:
            per_step = now - self.started
        if plan.adaptive and done > 1:
            fits = done + int((self.deadline - now) // per_step)
            plan.total = max(done, min(plan.limit, fits))
        log.info("step %d/%d: %.1fs per step so far", done, plan.total, per_step)
        if done >= plan.total or now + per_step > self.deadline:
            if done < state.max_steps:
                log.info("time budget: stopping after %d steps", done)
            control.should_training_stop = True
        return control


@dataclass
class ByCodeLength(SentenceTransformerDataCollator):
    """Sorts a batch by code length before it is cut into GradCache mini-batches, so each
    mini-batch pads to similar lengths (the in-batch loss does not depend on the order)."""

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        batch: dict[str, Any] = super().__call__(sorted(features,
                                                        key=lambda f: len(f["positive"])))
        return batch


class BudgetTrainer(SentenceTransformerTrainer):
    """The sentence-transformers trainer, with the learning rate on `plan`'s schedule, batches
    in the order given, and no model card."""

    data_collator_class = ByCodeLength

    def __init__(self, plan: Plan, **kw: Any) -> None:
        self.plan = plan
        super().__init__(**kw)

    def create_scheduler(self, num_training_steps: int, optimizer: Any = None) -> Any:
        if self.lr_scheduler is None:
            opt = optimizer if optimizer is not None else self.optimizer
            assert opt is not None
            self.lr_scheduler = LambdaLR(opt, self.plan.factor)
        return self.lr_scheduler

    def get_batch_sampler(self, dataset: Any, batch_size: int, drop_last: bool,
                          *args: Any, **kw: Any) -> Any:
        """The pairs come in batch order (sampler.topic_order): take them as they are."""
        return BatchSampler(SequentialSampler(dataset), batch_size, drop_last=True)

    def add_model_card_callback(self, default_args_dict: dict[str, Any]) -> None:
        pass  # no model card: it samples the data (a tqdm bar) and draws from `random`


def run_trainer(model: Any, loss: Any, texts: list[str], codes: list[str], plan: Plan,
                deadline: float, progress: ProgressFn | None, losses: list[float],
                batch_size: int, learning_rate: float, seed: int) -> float:
    """Run the trainer for `plan.total` steps (fewer if the deadline comes first), the learning
    rate following `plan`; the seconds it took."""
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
        trainer = BudgetTrainer(plan, model=model, args=args, train_dataset=dataset, loss=loss)
        trainer.remove_callback(PrinterCallback)  # it prints log dicts on stdout
        trainer.add_callback(BudgetCallback(plan, deadline, progress, losses))
        set_seed(seed)
        trainer.train()
    return time.monotonic() - start
