"""`python -m nearcode.cli.pretrain run | eval`: pre-training on the corpus (train/pretrain.py).

A maintainer's command: a run takes hours on a CPU and resumes from its checkpoint.
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
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "eval":
        trained = frozenset(Run(args.run).state()["packages"]) if args.run else frozenset()
        table = evaluate_models(args.corpus, args.model or ["base"], args.per_language, trained)
        print(json.dumps(table, indent=1))
        return 0
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


if __name__ == "__main__":
    sys.exit(main())
