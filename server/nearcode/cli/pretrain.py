"""`python -m nearcode.cli.pretrain run | eval | pack`: pre-training on the corpus
(train/pretrain.py).

A maintainer's command: a run takes hours on a CPU and resumes from its checkpoint; `pack`
writes the corpus small enough for a GPU machine (training/gpu_pretrain.py).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from ..train.pretrain import Options, Run, evaluate_models, load_examples, train

log = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nearcode.cli.pretrain")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="start or resume a pre-training run")
    p.add_argument("corpus", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--steps", type=int, help="length of the schedule (default: one pass)")
    p.add_argument("--minutes", type=float, help="stop (with a checkpoint) after this long")
    p.add_argument("--batch-size", type=int, default=Options.batch_size)
    p.add_argument("--learning-rate", type=float, default=Options.learning_rate)
    p.add_argument("--start", default="base", help="'base', 'shipped' or a model folder")
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("eval", help="per-language MRR@10 on the held-out packages")
    p.add_argument("corpus", type=Path)
    p.add_argument("--model", action="append", default=[], help="'base' or a model folder "
                   "(repeatable)")
    p.add_argument("--per-language", type=int, default=500)
    p.add_argument("--run", type=Path, help="a run folder: its training packages never count")
    p = sub.add_parser("pack", help="the training pairs and a held-out sample in one small "
                       "file, for a run on another machine")
    p.add_argument("corpus", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--per-language", type=int, default=500, help="held-out pairs per language")
    p.add_argument("--per-package", type=int, default=4000, help="training pairs per package "
                   "at most (a seeded sample): the pack stays small, no package dominates")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "eval":
        trained = frozenset(Run(args.run).state()["packages"]) if args.run else frozenset()
        table = evaluate_models(args.corpus, args.model or ["base"], args.per_language, trained)
        print(json.dumps(table, indent=1))
        return 0
    if args.command == "pack":
        return _pack(args.corpus, args.out, args.per_language, args.per_package)
    run = Run(args.out)
    if not run.exists():
        examples = load_examples(args.corpus, "train")
        opts = Options(batch_size=args.batch_size, learning_rate=args.learning_rate,
                       seed=args.seed, steps=args.steps, start=args.start)
        run.create(examples, opts)
        log.info("new run: %d pairs, %d steps", len(examples), run.state()["total"])
    state = train(run, args.minutes)
    print(json.dumps({k: state[k] for k in ("step", "total", "seconds")}))
    return 0


def _pack(corpus: Path, out: Path, per_language: int, per_package: int) -> int:
    from ..embed.base import MAX_TOKENS
    from ..train import corpus_pack
    from ..train.corpus_shards import load_pairs
    from ..train.model import resolve_start
    from ..train.pretrain import TRAIN_KINDS, heldout_by_language

    train_pairs = corpus_pack.at_most(
        [p for p in load_pairs(corpus, "train") if p.kind in TRAIN_KINDS], per_package)
    heldout = [p for items in heldout_by_language(corpus, per_language).values() for p in items]
    cut = corpus_pack.token_cutter(resolve_start("base").folder / "tokenizer.json")
    size = corpus_pack.pack(train_pairs, heldout, out, cut, MAX_TOKENS - 2)
    print(json.dumps({"train": len(train_pairs), "heldout": len(heldout), "bytes": size}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
