"""The stages of a training run, in order; each returns a small dataclass the next one takes.

    prepare → evaluate_start → size_budget → batch → fit

pipeline.py runs them, then evaluates, saves and activates the model.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..config import Settings
from ..embed import registry
from ..embed.base import ModelRef
from . import general, pairs, sampler
from .budget import SAFETY, Plan, Progress, ProgressFn, estimate_step_seconds
from .data import TrainingError, anchors, check_enough, mine_split
from .evaluation import Metrics, evaluate
from .model import SCALE, ModelEmbedder, load_model, resolve_start, symmetric_loss
from .options import TrainOptions

log = logging.getLogger(__name__)

LOSS_SAMPLE = 64  # training pairs on which the loss is measured before and after


@dataclass
class Data:
    """The pairs of a run: mined, split by file, and the training side shuffled and cut."""

    mined: pairs.Mined
    split: pairs.Split
    train: list[pairs.Pair]
    texts: list[str]  # the text side of each training pair (`anchors`)
    codes: list[str]
    seconds: float


@dataclass
class Start:
    """The model training starts from, loaded, and where it and the base model stand."""

    base: ModelRef
    start: ModelRef
    model: Any  # a SentenceTransformer
    embedder: ModelEmbedder
    metrics: dict[str, Metrics]  # "bm25", "start", "base" on the held-out pairs
    sample: tuple[list[str], list[str]]  # training pairs the loss is measured on
    loss_before: float
    seconds: float


@dataclass
class Budget:
    """How many steps the run takes: epochs' worth, cut to what fits the time budget."""

    loss: Any  # CachedMultipleNegativesRankingLoss
    seq_length: int  # the model's own, restored after training (it may train on fewer)
    seconds: float  # the time budget of the training steps
    step_seconds: float  # estimated, with SAFETY
    planned: int
    fits: int
    steps: int


@dataclass
class Batches:
    """The pairs trained on, in topic batches: the library's first (the general stage), then
    the workspace's."""

    library: Path | None
    library_pairs: list[pairs.Pair]
    general_texts: list[str]
    general_codes: list[str]
    texts: list[str]
    codes: list[str]
    general_steps: int
    seconds: float
    general_skipped: str | None = None  # why there is no general stage, when there is none


@dataclass
class Fitted:
    """What the training steps did: their losses, the schedule, and the time they took."""

    general_losses: list[float]
    losses: list[float]
    plan: Plan
    general_seconds: float
    seconds: float
    cpu_seconds: float


def prepare(roots: Sequence[Path], settings: Settings, opts: TrainOptions,
            say: ProgressFn) -> Data:
    """Mine and split the pairs; enough of them, or TrainingError saying how many there are."""
    t0 = time.monotonic()
    say(Progress("mine"))
    mined, split = mine_split(roots, settings, opts.seed, opts.heldout_fraction, opts.max_heldout)
    check_enough(mined, split)
    train_pairs = [p for p in split.train if opts.names or p.kind != "name"]
    train_pairs = pairs.shuffled(train_pairs, opts.seed)
    if opts.max_train_pairs:
        train_pairs = train_pairs[: opts.max_train_pairs]
    if opts.batch_size > len(train_pairs):
        raise TrainingError(f"--batch-size {opts.batch_size} is more than the {len(train_pairs)} "
                            "training pairs found; give a smaller one")
    texts = anchors(train_pairs, opts.query, opts.seed)
    return Data(mined, split, train_pairs, texts, [p.code for p in train_pairs],
                time.monotonic() - t0)


def evaluate_start(data: Data, opts: TrainOptions, say: ProgressFn) -> Start:
    """Load the start model; measure it, the base model and BM25 on the held-out pairs, and the
    loss on a sample of the training pairs."""
    t0 = time.monotonic()
    base_ref = registry.base_model()
    start_ref = resolve_start(opts.start)
    say(Progress("evaluate"))
    model = load_model(start_ref.folder)
    start_embedder = ModelEmbedder(model, f"{start_ref.name}@start")
    heldout = data.split.heldout
    metrics: dict[str, Metrics] = {"bm25": evaluate(heldout, None)}
    metrics["start"] = evaluate(heldout, start_embedder)
    if start_ref.folder.resolve() == base_ref.folder.resolve():
        metrics["base"] = metrics["start"]
    else:
        base_model = load_model(base_ref.folder)
        metrics["base"] = evaluate(heldout, ModelEmbedder(base_model, base_ref.name))
        del base_model
    sample = (data.texts[:LOSS_SAMPLE], data.codes[:LOSS_SAMPLE])
    loss_before = symmetric_loss(start_embedder, *sample)
    return Start(base_ref, start_ref, model, start_embedder, metrics, sample, loss_before,
                 time.monotonic() - t0)


def size_budget(start: Start, data: Data, opts: TrainOptions) -> Budget:
    """Whole epochs' worth of steps, cut to what fits the time budget (a step timed first)."""
    from sentence_transformers.sentence_transformer.losses import (
        CachedMultipleNegativesRankingLoss,
    )
    from transformers import set_seed

    set_seed(opts.seed)
    model = start.model
    # Training may read fewer tokens than search does (it is faster); the saved model keeps
    # the length it is used with.
    seq_length = model.max_seq_length
    model.max_seq_length = min(seq_length, opts.max_seq_length or seq_length)
    loss = CachedMultipleNegativesRankingLoss(
        model, scale=SCALE, mini_batch_size=min(opts.mini_batch_size, opts.batch_size),
        directions=("query_to_doc", "doc_to_query"), partition_mode="per_direction")
    seconds = opts.minutes * 60
    step_s = estimate_step_seconds(model, loss, data.texts, data.codes, opts.batch_size,
                                   opts.seed) * SAFETY
    steps_per_epoch = max(1, len(data.train) // opts.batch_size)
    planned = opts.max_steps or max(1, math.ceil(opts.epochs * steps_per_epoch))
    fits = int(seconds // step_s)
    if fits < 1:
        raise TrainingError(
            f"one training step of {opts.batch_size} pairs takes about {step_s:.0f}s here, "
            f"more than the {seconds:.0f}s that --minutes {opts.minutes:g} allows; give more "
            f"minutes or a smaller --batch-size")
    steps = min(planned, fits)
    log.info("one step of %d pairs: about %.1fs; %d steps planned, %d fit the budget",
             opts.batch_size, step_s, planned, fits)
    if steps < planned:
        log.info("time budget fits %d of %d steps (%.1fs each)", steps, planned, step_s)
    return Budget(loss, seq_length, seconds, step_s, planned, fits, steps)


def batch(roots: Sequence[Path], start: Start, data: Data, budget: Budget, opts: TrainOptions,
          say: ProgressFn) -> Batches:
    """The library's pairs for the general stage (if any), and the pairs trained on (one
    epoch's worth at most: more epochs go over them again), grouped into batches by topic."""
    library, library_pairs, skipped = _general_pairs(roots, opts, budget.fits, budget.steps,
                                                     say)
    say(Progress("batch"))
    t0 = time.monotonic()
    texts, codes = _topic_batches(start.embedder, data.texts, data.codes, budget.steps, opts)
    general_texts, general_codes = _topic_batches(
        start.embedder, anchors(library_pairs, opts.query, opts.seed),
        [p.code for p in library_pairs], len(library_pairs) // opts.batch_size, opts)
    general_steps = len(general_texts) // opts.batch_size
    if skipped is None and not general_steps:
        skipped = (f"the {len(library_pairs)} pairs of the standard library make no batch of "
                   f"{opts.batch_size}")
    return Batches(library, library_pairs, general_texts, general_codes, texts, codes,
                   general_steps, time.monotonic() - t0, skipped)


def fit(start: Start, budget: Budget, batches: Batches, opts: TrainOptions,
        progress: ProgressFn | None) -> Fitted:
    """Train: first on the library, within the time the workspace's steps leave, then on the
    workspace's pairs until the deadline."""
    from .trainer import run_trainer  # transformers and datasets: loaded to train only

    steps, general_steps = budget.steps, batches.general_steps
    (progress or (lambda p: None))(Progress("train", 0, general_steps + steps))
    model = start.model
    cpu0 = _cpu_seconds()
    t_train = time.monotonic()
    general_losses: list[float] = []
    if general_steps:
        general_plan = _plan(general_steps, opts, adaptive=opts.general_steps is None)
        run_trainer(model, budget.loss, batches.general_texts, batches.general_codes,
                    general_plan, t_train + budget.seconds - steps * budget.step_seconds,
                    _shifted(progress, 0, steps), general_losses, opts.batch_size,
                    opts.learning_rate, opts.seed)
    general_s = time.monotonic() - t_train
    losses: list[float] = []
    plan = _plan(steps, opts, adaptive=opts.max_steps is None)
    trained_s = run_trainer(model, budget.loss, batches.texts, batches.codes, plan,
                            t_train + budget.seconds, _shifted(progress, len(general_losses), 0),
                            losses, opts.batch_size, opts.learning_rate, opts.seed)
    cpu = _cpu_seconds() - cpu0
    model.max_seq_length = budget.seq_length
    return Fitted(general_losses, losses, plan, general_s, trained_s, cpu)


def _general_pairs(roots: Sequence[Path], opts: TrainOptions, fits: int, own_steps: int,
                   say: ProgressFn) -> tuple[Path | None, list[pairs.Pair], str | None]:
    """The standard library and its pairs for the general stage, or none and why not.

    By default the stage takes what the budget's `fits` steps leave after the workspace's
    `own_steps`, when starting from the base model (a trained start had its stage) and not
    repeating a run exactly (`max_steps`: give `general_steps` too). An explicit
    `general_steps` that cannot be met is an error."""
    asked = opts.general_steps
    why = None
    if asked == 0:
        why = "--general-steps 0"
    elif asked is None and opts.start != "base":
        why = (f"the run starts from {opts.start!r}, not the base model (a trained start had "
               "its general stage; --general-steps N asks for one)")
    elif asked is None and opts.max_steps is not None:
        why = "--max-steps repeats a run exactly (give --general-steps N too for a general stage)"
    elif asked is None and fits - own_steps < general.MIN_STEPS:
        why = (f"the workspace's own {own_steps} steps fill the time budget ({fits} steps fit; "
               f"a general stage needs {general.MIN_STEPS} more)")
    if why is not None:
        return None, [], why
    library = general.library_root()
    problem = ("no standard library found for this Python" if library is None else
               f"the workspace overlaps the standard library ({library})"
               if general.overlaps(roots, library) else None)
    if problem:
        if asked is not None:
            raise TrainingError(f"--general-steps {asked}: {problem}")
        log.info("no general stage: %s", problem)
        return None, [], problem
    assert library is not None
    say(Progress("general"))
    found = general.library_pairs(library, opts.seed)
    epoch = len(found) // opts.batch_size
    n = min(asked, epoch) if asked is not None else general.steps(fits, own_steps, epoch)
    log.info("general stage: %d steps on %d pairs of %s", n, len(found), library)
    return library, found[: n * opts.batch_size], None


def _topic_batches(embedder: ModelEmbedder, texts: list[str], codes: list[str], steps: int,
                   opts: TrainOptions) -> tuple[list[str], list[str]]:
    """The first `steps` batches' worth of pairs (at most all), in topic batches."""
    take = min(steps * opts.batch_size, len(texts))
    if take < opts.batch_size:
        return [], []
    order = sampler.topic_order(embedder.embed_batch(texts[:take]), opts.batch_size, opts.seed)
    return [texts[i] for i in order], [codes[i] for i in order]


def _plan(steps: int, opts: TrainOptions, adaptive: bool) -> Plan:
    warmup = math.ceil(steps * opts.warmup) if opts.warmup < 1 else int(opts.warmup)
    return Plan(steps, warmup, adaptive)


def _shifted(progress: ProgressFn | None, before: int, after: int) -> ProgressFn | None:
    """`progress` for one stage of several: its steps counted among all stages' steps."""
    if progress is None:
        return None
    return lambda p: progress(replace(p, step=p.step + before, steps=p.steps + before + after))


def _cpu_seconds() -> float:
    """CPU time of this process (user + system): steadier than wall time on a shared machine."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
