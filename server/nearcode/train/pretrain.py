"""Pre-training at scale: the cpt-code recipe over the open-source corpus, resumable.

The same objective as `nearcode train` (symmetric in-batch cross-entropy at scale 20 through
GradCache), run as a plain PyTorch loop so that a run of hours survives a stop: every
`checkpoint_minutes` the model, the optimizer and the step are written to `OUT/checkpoint`
(a temporary folder renamed into place), and a second `run` with the same OUT continues from
there with the same batches. The batches are fixed when a run starts (`OUT/plan.jsonl`): each
holds pairs of one package where it can (its near misses are the hardest negatives a search
meets, the aim of topic batches), packages too small for a batch pooled per language.

    python -m nearcode.cli.pretrain run CORPUS OUT [--steps N] [--minutes M]
    python -m nearcode.cli.pretrain eval CORPUS --model FOLDER|base [--run OUT]
"""

from __future__ import annotations

import json
import logging
import math
import random
import shutil
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .model import SCALE, load_model, resolve_start

log = logging.getLogger(__name__)

TRAIN_KINDS = frozenset({"docstring", "doc-comment", "short", "test"})  # not "name"


@dataclass(frozen=True)
class Options:
    """How to pre-train. `steps` fixes the schedule's length (None: one pass over the plan)."""

    batch_size: int = 64
    mini_batch_size: int = 16
    learning_rate: float = 1e-4
    warmup: float = 0.05
    seed: int = 0
    max_seq_length: int = 128
    checkpoint_minutes: float = 5.0
    steps: int | None = None
    start: str = "base"


@dataclass(frozen=True)
class Example:
    """One training pair and the group its batch is drawn from."""

    text: str
    code: str
    group: str  # the package
    language: str


def plan_batches(examples: Sequence[Example], batch_size: int, seed: int) -> list[list[int]]:
    """Batches of example indices: whole batches within a package first, the rest of each
    package pooled per language and cut into batches; every batch holds distinct codes and
    texts (a duplicate would be a false negative); the batches in a seeded random order."""
    rng = random.Random(seed)
    by_group: dict[str, list[int]] = defaultdict(list)
    for i, ex in enumerate(examples):
        by_group[ex.group].append(i)
    batches: list[list[int]] = []
    pooled: dict[str, list[int]] = defaultdict(list)
    for group in sorted(by_group):
        idx = by_group[group]
        rng.shuffle(idx)
        whole = len(idx) // batch_size * batch_size
        batches += [idx[i:i + batch_size] for i in range(0, whole, batch_size)]
        pooled[examples[idx[0]].language] += idx[whole:]
    for language in sorted(pooled):
        idx = pooled[language]
        rng.shuffle(idx)
        whole = len(idx) // batch_size * batch_size
        batches += [idx[i:i + batch_size] for i in range(0, whole, batch_size)]
    rng.shuffle(batches)
    return [b for b in batches if _distinct(examples, b)]


def _distinct(examples: Sequence[Example], batch: list[int]) -> bool:
    texts = {examples[i].text for i in batch}
    codes = {examples[i].code for i in batch}
    return len(texts) == len(codes) == len(batch)


def lr_factor(step: int, total: int, warmup: float) -> float:
    """Linear warm-up over the first `warmup` share of steps, then linear decay to zero."""
    ramp = max(1, int(total * warmup))
    if step < ramp:
        return (step + 1) / ramp
    return max(0.0, (total - step) / max(1, total - ramp))


# ----------------------------------------------------------------------------- the run


class Run:
    """A pre-training run in folder `out`: its plan, its checkpoint, its log."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.plan_file = out / "plan.jsonl"
        self.checkpoint = out / "checkpoint"
        self.state_file = out / "state.json"

    def exists(self) -> bool:
        return self.plan_file.is_file() and self.state_file.is_file()

    def create(self, examples: Sequence[Example], opts: Options) -> None:
        """Fix the batches and the options of a new run."""
        self.out.mkdir(parents=True, exist_ok=True)
        batches = plan_batches(examples, opts.batch_size, opts.seed)
        total = min(opts.steps, len(batches)) if opts.steps else len(batches)
        tmp = self.plan_file.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for batch in batches[:total]:
                fh.write(json.dumps([[examples[i].text, examples[i].code] for i in batch]) + "\n")
        tmp.replace(self.plan_file)
        self._write_state({"options": asdict(opts), "step": 0, "total": total, "losses": [],
                           "seconds": 0.0, "pairs": len(examples),
                           "packages": sorted({ex.group for ex in examples})})

    def state(self) -> dict[str, Any]:
        return dict(json.loads(self.state_file.read_text()))

    def _write_state(self, state: dict[str, Any]) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(self.state_file)

    def batches(self) -> list[list[list[str]]]:
        with self.plan_file.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh]


def train(run: Run, minutes: float | None = None, until: int | None = None) -> dict[str, Any]:
    """Train from the run's checkpoint (or its start model) until its plan is done, `minutes`
    pass or step `until` is reached; checkpoint on the way and at the end. Returns the state."""
    import torch
    from sentence_transformers.sentence_transformer.losses import (
        CachedMultipleNegativesRankingLoss,
    )

    state = run.state()
    opts = Options(**state["options"])
    resumed = (run.checkpoint / "model").is_dir()
    model = load_model(run.checkpoint / "model" if resumed else resolve_start(opts.start).folder)
    model.max_seq_length = opts.max_seq_length
    model.train()
    loss_fn = CachedMultipleNegativesRankingLoss(
        model, scale=SCALE, mini_batch_size=opts.mini_batch_size,
        directions=("query_to_doc", "doc_to_query"), partition_mode="per_direction")
    optimizer = torch.optim.AdamW(model.parameters(), lr=opts.learning_rate)
    if resumed and (run.checkpoint / "optimizer.pt").is_file():
        optimizer.load_state_dict(torch.load(run.checkpoint / "optimizer.pt"))
    total = state["total"]
    batches = run.batches()
    start = time.monotonic()
    last_save = start
    deadline = start + minutes * 60 if minutes else math.inf
    log.info("pre-training from step %d of %d (%s)", state["step"], total,
             "resumed" if resumed else f"start model {opts.start}")
    first = state["step"]
    end = min(total, until) if until is not None else total
    while state["step"] < end and time.monotonic() < deadline:
        step = state["step"]
        torch.manual_seed(opts.seed * 1_000_003 + step)  # dropout: a resumed run = an unbroken one
        for group in optimizer.param_groups:
            group["lr"] = opts.learning_rate * lr_factor(step, total, opts.warmup)
        batch = sorted(batches[step], key=lambda pair: len(pair[1]))  # pads alike in GradCache
        features = [model.preprocess([p[0] for p in batch]),
                    model.preprocess([p[1] for p in batch])]
        loss = loss_fn(features, None)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()
        state["losses"].append(round(float(loss.detach()), 4))
        state["step"] = step + 1
        now = time.monotonic()
        if step % 10 == 0:
            recent = state["losses"][-10:]
            log.info("step %d/%d loss %.3f (%.1fs/step)", step + 1, total,
                     sum(recent) / len(recent), (now - start) / (step + 1 - first))
        if now - last_save > opts.checkpoint_minutes * 60:
            state["seconds"] += now - last_save
            _save(run, model, optimizer, state)
            last_save = now
    state["seconds"] += time.monotonic() - last_save
    _save(run, model, optimizer, state)
    return state


def _save(run: Run, model: Any, optimizer: Any, state: dict[str, Any]) -> None:
    """Write the checkpoint beside the old one, then swap: a stop mid-write loses nothing."""
    import torch

    tmp = run.out / "checkpoint.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save(str(tmp / "model"))
    torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
    old = run.out / "checkpoint.old"
    shutil.rmtree(old, ignore_errors=True)
    if run.checkpoint.exists():
        run.checkpoint.replace(old)
    tmp.replace(run.checkpoint)
    shutil.rmtree(old, ignore_errors=True)
    run._write_state(state)
    log.info("checkpoint at step %d/%d", state["step"], state["total"])


def load_examples(corpus: Path, split: str) -> list[Example]:
    """The corpus's pairs of one split as training examples (kinds that train only); a
    pair's group is its package (`Pair.path` starts with the package id)."""
    from .corpus_shards import load_pairs

    return [Example(p.query, p.code, p.path.split("/", 1)[0], p.language)
            for p in load_pairs(corpus, split=split) if p.kind in TRAIN_KINDS]


# ----------------------------------------------------------------------------- evaluation


def heldout_by_language(corpus: Path, per_language: int, seed: int = 0,
                        trained: frozenset[str] = frozenset()) -> dict[str, list[Any]]:
    """Held-out packages' documented pairs (the kinds that are ever held out), per language,
    a seeded sample of at most `per_language` each: every model is scored on the same ones.
    Packages in `trained` (a run's training packages) are left out even if the manifest now
    holds them out: a corpus that grew may have moved one."""
    from .corpus_shards import load_pairs
    from .pairs import TRAIN_ONLY

    by_language: dict[str, list[Any]] = defaultdict(list)
    for p in load_pairs(corpus, split="heldout"):
        if p.kind not in TRAIN_ONLY and p.path.split("/", 1)[0] not in trained:
            by_language[p.language].append(p)
    rng = random.Random(seed)
    out = {}
    for language in sorted(by_language):
        items = by_language[language]
        rng.shuffle(items)
        out[language] = items[:per_language]
    return out


def evaluate_models(corpus: Path, specs: Sequence[str], per_language: int = 500,
                    trained: frozenset[str] = frozenset()
                    ) -> dict[str, dict[str, dict[str, float | int]]]:
    """MRR@10 / R@1 / R@5 per language of BM25 and each model ('base' or a folder), each
    query ranked against the code of its language's sampled held-out pairs."""
    from ..embed import registry
    from ..embed.torch_backend import SentenceTransformerEmbedder
    from . import evaluation

    heldout = heldout_by_language(corpus, per_language, trained=trained)
    table: dict[str, dict[str, dict[str, float | int]]] = {}
    for language, items in heldout.items():
        table[language] = {"bm25": evaluation.evaluate(items, None).as_dict()}
    for spec in specs:
        ref = registry.resolve(spec)
        embedder = SentenceTransformerEmbedder(ref.folder, ref.name)
        for language, items in heldout.items():
            table[language][spec] = evaluation.evaluate(items, embedder).as_dict()
    return table

