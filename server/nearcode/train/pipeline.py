"""Contrastive fine-tuning of the embedding model on (description, code) pairs of the user's code.

The recipe of *Text and Code Embeddings by Contrastive Pre-training* (cpt-code), scaled to a
laptop: start from a pretrained model; for a batch of B pairs, score every description against
every code (B × B cosine similarities × 20, i.e. temperature 0.05, fixed rather than learned) and
apply cross-entropy in both directions, text → code and code → text, so that each pair's own
code is the answer and the other B - 1 are its negatives. GradCache
(`CachedMultipleNegativesRankingLoss`) embeds the batch in mini-batches and back-propagates
through cached gradients, so B = 64 or more fits in about 3 GB of RAM on two cores.

    mine → split by file → evaluate start model → [train on the standard library's pairs
         with the budget the workspace leaves (general.py)] → train on the workspace's pairs
         within the time budget → evaluate → save (temp folder, then rename)
         → activate if it beats the base model

A model lives in `<cache>/models/<name>/`: the sentence-transformers folder, `manifest.json`
(what it was trained on, how, and how well it does) and `split.json` (which files were held out).
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..config import Settings
from ..embed import registry
from ..embed.base import fingerprint
from . import general, pairs, sampler
from .data import TrainingError, anchors, check_enough, mine_split
from .evaluation import Metrics, evaluate
from .model import SCALE, ModelEmbedder, load_model, resolve_start, symmetric_loss
from .trainer import SAFETY, Plan, Progress, ProgressFn, estimate_step_seconds, run_trainer

log = logging.getLogger(__name__)

LOSS_SAMPLE = 64  # training pairs on which the loss is measured before and after


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
    start: str = "base"  # "base", "active" or a trained model's name / a model folder
    max_steps: int | None = None  # fixes the step count (for an exact rerun)
    general_steps: int | None = None  # steps on the standard library first (None: by budget)
    query: str = "sentence"  # anchors: "sentence" (first sentence), "doc" or "mixed"
    names: bool = False  # also train on name ↔ code pairs
    max_seq_length: int | None = None  # default: embedding.MAX_TOKENS, what search embeds
    heldout_fraction: float = 0.2
    max_heldout: int = 500
    max_train_pairs: int | None = None  # use only this many training pairs (a seeded sample)


@dataclass
class Result:
    """What a training run made: the model's name and folder, its manifest, and whether it is
    now the active model."""

    name: str
    folder: Path
    manifest: dict[str, Any]
    activated: bool
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def default_name(roots: Sequence[Path]) -> str:
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", roots[0].resolve().name) or "workspace"
    return f"{stem}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


def check_dependencies() -> None:
    """TrainingError naming what to install when the trainer's dependencies are missing."""
    import importlib.util

    missing = [m for m in ("datasets", "accelerate") if importlib.util.find_spec(m) is None]
    if missing:
        raise TrainingError(f"nearcode train needs {' and '.join(missing)}: "
                            "pip install 'sentence-transformers[train]'")


def check_name(name: str) -> str:
    """A model name that is a plain folder name and not taken."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", name) or name in ("base", "default"):
        raise TrainingError(f"bad model name {name!r}: use letters, digits, '.', '_' and '-' "
                            "(and not 'base' or 'default')")
    if (registry.models_dir() / name).exists():
        raise TrainingError(f"a trained model named {name!r} exists already; pick another --name")
    return name


# ----------------------------------------------------------------------------- training


def train(roots: Sequence[Path], settings: Settings, opts: TrainOptions,
          progress: ProgressFn | None = None) -> Result:
    """Mine pairs under `roots`, fine-tune, evaluate, save and maybe activate a model."""
    t0 = time.monotonic()
    say = progress or (lambda p: None)
    check_dependencies()
    name = check_name(opts.name or default_name(roots))
    if opts.batch_size < 2:
        raise TrainingError("--batch-size must be at least 2 (the other pairs are the negatives)")
    if opts.minutes <= 0 or opts.epochs <= 0:
        raise TrainingError("--minutes and --epochs must be positive")
    if opts.general_steps is not None and opts.general_steps < 0:
        raise TrainingError("--general-steps must be 0 or more")

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
    t_mined = time.monotonic()

    base_ref = registry.base_model()
    start_ref = resolve_start(opts.start)
    say(Progress("evaluate"))
    model = load_model(start_ref.folder)
    start_embedder = ModelEmbedder(model, f"{start_ref.name}@start")
    metrics: dict[str, Metrics] = {"bm25": evaluate(split.heldout, None)}
    metrics["start"] = evaluate(split.heldout, start_embedder)
    if start_ref.folder.resolve() == base_ref.folder.resolve():
        metrics["base"] = metrics["start"]
    else:
        base_model = load_model(base_ref.folder)
        metrics["base"] = evaluate(split.heldout, ModelEmbedder(base_model, base_ref.name))
        del base_model
    texts = anchors(train_pairs, opts.query, opts.seed)
    codes = [p.code for p in train_pairs]
    sample = (texts[:LOSS_SAMPLE], codes[:LOSS_SAMPLE])
    loss_before = symmetric_loss(start_embedder, *sample)
    t_evaluated = time.monotonic()

    # size the run: whole epochs' worth of steps, cut to what fits the time budget
    from sentence_transformers.sentence_transformer.losses import (
        CachedMultipleNegativesRankingLoss,
    )
    from transformers import set_seed

    set_seed(opts.seed)
    # Training may read fewer tokens than search does (it is faster); the saved model keeps
    # the length it is used with.
    seq_length = model.max_seq_length
    model.max_seq_length = min(seq_length, opts.max_seq_length or seq_length)
    loss = CachedMultipleNegativesRankingLoss(
        model, scale=SCALE, mini_batch_size=min(opts.mini_batch_size, opts.batch_size),
        directions=("query_to_doc", "doc_to_query"), partition_mode="per_direction")
    budget = opts.minutes * 60
    step_s = estimate_step_seconds(model, loss, texts, codes, opts.batch_size,
                                    opts.seed) * SAFETY
    steps_per_epoch = max(1, len(train_pairs) // opts.batch_size)
    planned = opts.max_steps or max(1, math.ceil(opts.epochs * steps_per_epoch))
    fits = int(budget // step_s)
    if fits < 1:
        raise TrainingError(
            f"one training step of {opts.batch_size} pairs takes about {step_s:.0f}s here, "
            f"more than the {budget:.0f}s that --minutes {opts.minutes:g} allows; give more "
            f"minutes or a smaller --batch-size")
    steps = min(planned, fits)
    log.info("one step of %d pairs: about %.1fs; %d steps planned, %d fit the budget",
             opts.batch_size, step_s, planned, fits)
    if steps < planned:
        log.info("time budget fits %d of %d steps (%.1fs each)", steps, planned, step_s)
    library, library_pairs = _general_pairs(roots, opts, fits, steps, say)
    # the pairs trained on (one epoch's worth at most: more epochs go over them again),
    # grouped into batches by topic
    say(Progress("batch"))
    t_batching = time.monotonic()
    texts, codes = _topic_batches(start_embedder, texts, codes, steps, opts)
    general_texts, general_codes = _topic_batches(
        start_embedder, anchors(library_pairs, opts.query, opts.seed),
        [p.code for p in library_pairs], len(library_pairs) // opts.batch_size, opts)
    batching_s = time.monotonic() - t_batching
    general_steps = len(general_texts) // opts.batch_size
    say(Progress("train", 0, general_steps + steps))

    cpu0 = _cpu_seconds()
    t_train = time.monotonic()
    general_losses: list[float] = []
    if general_steps:  # first the library, within the time the workspace's steps leave
        general_plan = _plan(general_steps, opts, adaptive=opts.general_steps is None)
        run_trainer(model, loss, general_texts, general_codes, general_plan,
                    t_train + budget - steps * step_s, _shifted(progress, 0, steps),
                    general_losses, opts.batch_size, opts.learning_rate, opts.seed)
    general_s = time.monotonic() - t_train
    losses: list[float] = []
    plan = _plan(steps, opts, adaptive=opts.max_steps is None)
    trained_s = run_trainer(model, loss, texts, codes, plan, t_train + budget,
                            _shifted(progress, len(general_losses), 0), losses,
                            opts.batch_size, opts.learning_rate, opts.seed)
    t_trained = time.monotonic()
    trained_cpu = _cpu_seconds() - cpu0
    model.max_seq_length = seq_length

    say(Progress("evaluate"))
    trained = ModelEmbedder(model, f"{name}@trained")
    metrics["trained"] = evaluate(split.heldout, trained)
    loss_after = symmetric_loss(trained, *sample)

    seconds = {
        "mining": round(t_mined - t0, 1), "evaluation": round(t_evaluated - t_mined
                                                             + time.monotonic() - t_trained, 1),
        "batching": round(batching_s, 1), "general_training": round(general_s, 1),
        "training": round(trained_s, 1),
        "training_cpu": round(trained_cpu, 1),
    }
    manifest: dict[str, Any] = {
        "name": name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "base_model": {"name": base_ref.name, "fingerprint": fingerprint(base_ref.folder)},
        "start_model": {"name": start_ref.name, "fingerprint": fingerprint(start_ref.folder)},
        "sources": [str(Path(r).resolve()) for r in roots],
        "data_hash": pairs.data_hash(split),
        "pairs": {
            "train": len(train_pairs), "trained_on": min(len(losses) * opts.batch_size,
                                                         len(train_pairs)),
            "heldout": len(split.heldout), "train_by_kind": _kinds(train_pairs),
            "files": mined.files, "heldout_files": len(split.heldout_files),
            "dropped": dict(mined.dropped),
        },
        "metrics": {k: v.as_dict() for k, v in metrics.items()},
        "general": {
            "source": str(library) if library else None, "pairs": len(library_pairs),
            "steps": len(general_losses),
            "trained_on": len(general_losses) * opts.batch_size,
            "per_step": [round(x, 4) for x in general_losses],
        },
        "train_loss": {"before": round(loss_before, 4), "after": round(loss_after, 4),
                       "per_step": [round(x, 4) for x in losses]},
        "steps": {"done": len(losses), "planned": planned, "fit_budget": fits,
                  "schedule": plan.total,
                  "estimated_step_seconds": round(step_s, 2)},
        "seconds": seconds,
        "seed": opts.seed,
        "args": asdict(opts) | {"name": name},
        "versions": _versions(),
    }
    # eval must not score the model on files it trained on, the library's among them
    folder = _save(model, name, manifest, split, {p.path for p in library_pairs})
    manifest["fingerprint"] = fingerprint(folder)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")

    beats = metrics["trained"].mrr10 > max(metrics["base"].mrr10, metrics["start"].mrr10)
    notes = []
    if beats:
        registry.set_active(name)
        notes.append(f"activated {name}: held-out MRR@10 {metrics['trained'].mrr10:.3f} beats "
                     f"{metrics['base'].mrr10:.3f} of the base model")
    else:
        notes.append(f"not activated: held-out MRR@10 {metrics['trained'].mrr10:.3f} does not "
                     f"beat {max(metrics['base'].mrr10, metrics['start'].mrr10):.3f}; "
                     f"`nearcode models use {name}` would switch to it anyway")
    total = time.monotonic() - t0
    manifest["seconds"]["total"] = round(total, 1)
    manifest["activated"] = beats
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return Result(name, folder, manifest, beats, total, notes)


def _general_pairs(roots: Sequence[Path], opts: TrainOptions, fits: int, own_steps: int,
                   say: ProgressFn) -> tuple[Path | None, list[pairs.Pair]]:
    """The standard library and its pairs for the general stage (none when there is none).

    By default the stage takes what the budget's `fits` steps leave after the workspace's
    `own_steps`, when starting from the base model (a trained start had its stage) and not
    repeating a run exactly (`max_steps`: give `general_steps` too). An explicit
    `general_steps` that cannot be met is an error."""
    asked = opts.general_steps
    if asked == 0 or (asked is None and (opts.start != "base" or opts.max_steps is not None
                                         or fits - own_steps < general.MIN_STEPS)):
        return None, []
    library = general.library_root()
    problem = ("no standard library found for this Python" if library is None else
               f"the workspace overlaps the standard library ({library})"
               if general.overlaps(roots, library) else None)
    if problem:
        if asked is not None:
            raise TrainingError(f"--general-steps {asked}: {problem}")
        log.info("no general stage: %s", problem)
        return None, []
    assert library is not None
    say(Progress("general"))
    found = general.library_pairs(library, opts.seed)
    epoch = len(found) // opts.batch_size
    n = min(asked, epoch) if asked is not None else general.steps(fits, own_steps, epoch)
    log.info("general stage: %d steps on %d pairs of %s", n, len(found), library)
    return library, found[: n * opts.batch_size]


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


def _save(model: Any, name: str, manifest: dict[str, Any], split: pairs.Split,
          also_trained: set[str]) -> Path:
    """Write the model into a temporary folder beside its place, then rename it into place."""
    root = registry.models_dir()
    root.mkdir(parents=True, exist_ok=True)
    final = root / name
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=root))
    try:
        model.save(str(tmp), create_model_card=False)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        (tmp / "split.json").write_text(json.dumps({
            "seed": manifest["seed"],
            "heldout_files": sorted(split.heldout_files),
            "train_files": sorted(split.train_files | also_trained),
        }, indent=1) + "\n")
        if final.exists():
            raise TrainingError(f"a trained model named {name!r} appeared meanwhile")
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _cpu_seconds() -> float:
    """CPU time of this process (user + system): steadier than wall time on a shared machine."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _kinds(items: Sequence[pairs.Pair]) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in items:
        out[p.kind] = out.get(p.kind, 0) + 1
    return out


def _versions() -> dict[str, str]:
    import sentence_transformers
    import torch

    return {"python": sys.version.split()[0], "torch": torch.__version__,
            "sentence_transformers": sentence_transformers.__version__,
            "threads": str(torch.get_num_threads())}


