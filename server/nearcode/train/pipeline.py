"""Contrastive fine-tuning of the embedding model on (description, code) pairs of the user's code.

The recipe of *Text and Code Embeddings by Contrastive Pre-training* (cpt-code), scaled to a
laptop: start from a pretrained model; for a batch of B pairs, score every description against
every code (B × B cosine similarities × 20, i.e. temperature 0.05, fixed rather than learned) and
apply cross-entropy in both directions, text → code and code → text, so that each pair's own
code is the answer and the other B - 1 are its negatives. GradCache
(`CachedMultipleNegativesRankingLoss`) embeds the batch in mini-batches and back-propagates
through cached gradients, so B = 64 or more fits in about 3 GB of RAM on two cores.

    prepare (mine, split by file) → evaluate_start → size_budget → batch (by topic; the
    standard library's pairs first when the budget leaves room, general.py) → fit (the
    library's steps, then the workspace's, within the time budget) → evaluate → save (temp
    folder, then rename) → activate if it beats the base and the start model

`train` runs these stages in order; each is a function returning a small dataclass that the next
takes, and the run is described by a typed `Manifest` (manifest.py).

A model lives in `<cache>/models/<name>/`: the sentence-transformers folder, `manifest.json`
(what it was trained on, how, and how well it does) and `split.json` (which files were held out).
"""

from __future__ import annotations

import json
import logging
import os
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
from . import pairs
from .budget import Progress, ProgressFn
from .data import TrainingError
from .evaluation import Metrics, evaluate
from .manifest import (
    GeneralStage,
    Manifest,
    ModelInfo,
    PairCounts,
    Seconds,
    Steps,
    TrainLoss,
)
from .model import ModelEmbedder, symmetric_loss
from .options import TrainOptions, check_options
from .stages import (
    Batches,
    Budget,
    Data,
    Fitted,
    Start,
    batch,
    evaluate_start,
    fit,
    prepare,
    size_budget,
)

log = logging.getLogger(__name__)


@dataclass
class Result:
    """What a training run made: the model's name and folder, its manifest, and whether it is
    now the active model."""

    name: str
    folder: Path
    manifest: Manifest
    activated: bool
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


# A trained model must beat the better of the base and the start model by this much (MRR@10 on
# the held-out pairs) to be activated: a few hundred held-out pairs move by about this much by
# chance, and activating re-embeds the whole workspace. From nearcode-code-v2 on the Python
# standard library, 15 minutes of training gave +0.0002 (docs/training.md).
MIN_GAIN = 0.01


def train(roots: Sequence[Path], settings: Settings, opts: TrainOptions,
          progress: ProgressFn | None = None) -> Result:
    """Mine pairs under `roots`, fine-tune, evaluate, save and maybe activate a model."""
    t0 = time.monotonic()
    say = progress or (lambda p: None)
    if opts.start == "active":  # what `default` means in this workspace, not elsewhere
        opts = replace(opts, start=registry.default_spec(Path(roots[0])))
    name = check_options(roots, opts)
    data = prepare(roots, settings, opts, say)
    start = evaluate_start(data, opts, say)
    budget = size_budget(start, data, opts)
    batches = batch(roots, start, data, budget, opts, say)
    fitted = fit(start, budget, batches, opts, progress)
    t_trained = time.monotonic()
    say(Progress("evaluate"))
    trained = ModelEmbedder(start.model, f"{name}@trained")
    metrics = {**start.metrics, "trained": evaluate(data.split.heldout, trained)}
    loss_after = symmetric_loss(trained, *start.sample)
    evaluation_s = start.seconds + time.monotonic() - t_trained
    manifest = describe_run(name, roots, opts, data, start, budget, batches, fitted, metrics,
                            loss_after, evaluation_s)
    # eval must not score the model on files it trained on, the library's among them
    folder = save(start.model, manifest, data.split, {p.path for p in batches.library_pairs})
    manifest.fingerprint = fingerprint(folder)
    manifest.write(folder)
    activated, notes = activate(name, metrics, Path(roots[0]))
    manifest.seconds.total = round(time.monotonic() - t0, 1)
    manifest.activated = activated
    manifest.write(folder)
    return Result(name, folder, manifest, activated, time.monotonic() - t0, notes)


def describe_run(name: str, roots: Sequence[Path], opts: TrainOptions, data: Data,
                 start: Start, budget: Budget, batches: Batches, fitted: Fitted,
                 metrics: dict[str, Metrics], loss_after: float, evaluation_s: float
                 ) -> Manifest:
    """The manifest of the run (without the saved model's fingerprint and the verdict)."""
    b = opts.batch_size
    return Manifest(
        name=name,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        base_model=ModelInfo(start.base.name, fingerprint(start.base.folder)),
        start_model=ModelInfo(start.start.name, fingerprint(start.start.folder)),
        sources=[str(Path(r).resolve()) for r in roots],
        data_hash=pairs.data_hash(data.split),
        pairs=PairCounts(
            train=len(data.train), trained_on=min(len(fitted.losses) * b, len(data.train)),
            heldout=len(data.split.heldout), train_by_kind=_kinds(data.train),
            files=data.mined.files, heldout_files=len(data.split.heldout_files),
            dropped=dict(data.mined.dropped)),
        metrics=metrics,
        general=GeneralStage(
            source=str(batches.library) if batches.library else None,
            pairs=len(batches.library_pairs), steps=len(fitted.general_losses),
            trained_on=len(fitted.general_losses) * b,
            per_step=[round(x, 4) for x in fitted.general_losses],
            skipped=None if fitted.general_losses else batches.general_skipped),
        train_loss=TrainLoss(round(start.loss_before, 4), round(loss_after, 4),
                             [round(x, 4) for x in fitted.losses]),
        steps=Steps(done=len(fitted.losses), planned=budget.planned, fit_budget=budget.fits,
                    schedule=fitted.plan.total,
                    estimated_step_seconds=round(budget.step_seconds, 2)),
        seconds=Seconds(
            mining=round(data.seconds, 1), evaluation=round(evaluation_s, 1),
            batching=round(batches.seconds, 1), general_training=round(fitted.general_seconds, 1),
            training=round(fitted.seconds, 1), training_cpu=round(fitted.cpu_seconds, 1)),
        seed=opts.seed,
        args=asdict(opts) | {"name": name},
        versions=_versions(),
    )


def activate(name: str, metrics: dict[str, Metrics], root: Path) -> tuple[bool, list[str]]:
    """Make the model the active one of the workspace `root` (and of no other) when it beats
    the base and the start model by at least MIN_GAIN; whether it did, and a note saying so."""
    trained, base, start = metrics["trained"].mrr10, metrics["base"].mrr10, metrics["start"].mrr10
    if trained >= max(base, start) + MIN_GAIN:
        registry.set_active(name, root)
        return True, [f"activated {name} for {root}: held-out MRR@10 {trained:.3f} beats "
                      f"{base:.3f} of the base model and {start:.3f} of the model it started "
                      "from (other workspaces keep their model)"]
    return False, [f"not activated: held-out MRR@10 {trained:.3f} does not beat "
                   f"{max(base, start):.3f} by {MIN_GAIN}; `nearcode models use {name}` would "
                   "switch to it anyway"]


def save(model: Any, manifest: Manifest, split: pairs.Split, also_trained: set[str]) -> Path:
    """Write the model into a temporary folder beside its place, then rename it into place."""
    name = manifest.name
    root = registry.models_dir()
    root.mkdir(parents=True, exist_ok=True)
    final = root / name
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=root))
    try:
        model.save(str(tmp), create_model_card=False)
        manifest.write(tmp)
        (tmp / "split.json").write_text(json.dumps({
            "seed": manifest.seed,
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


