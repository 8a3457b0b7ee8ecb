"""Pre-training on a lent GPU machine: the recipe of `nearcode.train.pretrain`, sized to minutes.

The same objective (symmetric in-batch cross-entropy at scale 20, mean pooling, vectors of norm
1), the same topic batches (`plan_batches`: pairs of one package where possible), AdamW with
warm-up and linear decay, gradient clipping at 1. What differs, because the machine is lent for
minutes and its files travel in 64 MiB:

- batches are whole on the GPU (no GradCache) and re-planned each epoch;
- the schedule runs on progress = max(step / planned steps, elapsed / --minutes), so a run ends
  on time whatever the machine's speed;
- the word-piece embeddings stay frozen and only the transformer layers come back
  (`layers.safetensors`, float16, 21 MB): `assemble` puts them into a copy of the start model.

    python training/gpu_pretrain.py train PACK START OUT [--epochs 2] [--minutes 5] [--query mixed]
    python training/gpu_pretrain.py assemble START OUT/layers.safetensors MODEL_FOLDER

PACK comes from `python -m nearcode.cli.pretrain pack CORPUS PACK`. Needs torch, transformers,
safetensors and numpy (all on the lent machine), and `server/` on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from nearcode.embed.base import MAX_TOKENS  # what search embeds of a text
from nearcode.train.model import SCALE  # 1 / temperature of the in-batch softmax

FROZEN = "embeddings."  # parameters under this prefix do not train and do not travel back


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="gpu_pretrain.py")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train")
    p.add_argument("pack", type=Path)
    p.add_argument("start", type=Path, help="a sentence-transformers folder (BertModel)")
    p.add_argument("out", type=Path)
    p.add_argument("--epochs", type=float, default=2.0)
    p.add_argument("--minutes", type=float, default=5.0)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--learning-rate", type=float, default=1e-4)
    p.add_argument("--warmup", type=float, default=0.05)
    p.add_argument("--query", choices=("sentence", "doc", "mixed"), default="sentence")
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("assemble")
    p.add_argument("start", type=Path)
    p.add_argument("layers", type=Path)
    p.add_argument("model", type=Path)
    return parser.parse_args(argv)


class Encoder:
    """A BertModel with mean pooling and unit-length output: what serving embeds."""

    def __init__(self, folder: Path, device: str) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.torch = torch
        self.device = device
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self.model = AutoModel.from_pretrained(str(folder), dtype=torch.float32).to(device)

    def ids(self, texts: list[str]) -> list[list[int]]:
        return list(self.tokenizer(texts, truncation=True, max_length=MAX_TOKENS)["input_ids"])

    def embed(self, rows: list[list[int]]) -> Any:
        torch = self.torch
        width = max(len(r) for r in rows)
        ids = torch.zeros((len(rows), width), dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, :len(r)] = torch.tensor(r)
            mask[i, :len(r)] = 1
        ids, mask = ids.to(self.device), mask.to(self.device)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.device == "cuda"):
            hidden = self.model(input_ids=ids, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).float()
        pooled = (hidden.float() * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1)


def mrr10(enc: Encoder, pairs: list[Any]) -> dict[str, float]:
    """Per language, each held-out sentence against its language's codes (as `pretrain eval`)."""
    from nearcode.train.evaluation import metrics, ranks

    torch = enc.torch
    enc.model.eval()
    out = {}
    with torch.no_grad():
        for language in sorted({p.language for p in pairs}):
            items = [p for p in pairs if p.language == language]
            q = torch.cat([enc.embed(enc.ids([p.sentence for p in items[i:i + 256]]))
                           for i in range(0, len(items), 256)])
            c = torch.cat([enc.embed(enc.ids([p.code for p in items[i:i + 256]]))
                           for i in range(0, len(items), 256)])
            scores = (q @ c.T).cpu().numpy()
            out[language] = round(metrics(ranks(scores, range(len(items)))).mrr10, 4)
    enc.model.train()
    return out


def train(args: argparse.Namespace) -> int:
    import torch
    from nearcode.train import corpus_pack
    from nearcode.train.pretrain import Example, lr_factor, plan_batches
    from safetensors.torch import save_file

    start_time = time.monotonic()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    packed = corpus_pack.read(args.pack)
    pairs, heldout = packed["train"], packed["heldout"]
    enc = Encoder(args.start, device)
    log: dict[str, Any] = {"options": {k: str(v) for k, v in vars(args).items()},
                           "device": device, "pairs": len(pairs),
                           "packages": sorted({p.group for p in pairs}),
                           "heldout_before": mrr10(enc, heldout), "losses": []}
    print(json.dumps({"heldout_before": log["heldout_before"]}), flush=True)
    code_ids = enc.ids([p.code for p in pairs])
    sentence_ids = enc.ids([p.sentence for p in pairs])
    doc_ids = enc.ids([p.doc or p.sentence for p in pairs])
    examples = [Example(p.sentence, p.code, p.group, p.language) for p in pairs]
    trainable = [(n, w) for n, w in enc.model.named_parameters() if not n.startswith(FROZEN)]
    for n, w in enc.model.named_parameters():
        w.requires_grad = not n.startswith(FROZEN)
    optimizer = torch.optim.AdamW([w for _, w in trainable], lr=args.learning_rate)
    per_epoch = len(plan_batches(examples, args.batch_size, args.seed))
    planned = int(per_epoch * args.epochs)
    rng = random.Random(args.seed)
    budget = args.minutes * 60 - (time.monotonic() - start_time)
    began = time.monotonic()
    step, epoch, progress = 0, 0, 0.0
    enc.model.train()
    while progress < 1.0:
        for batch in plan_batches(examples, args.batch_size, args.seed + epoch):
            progress = max(step / planned, (time.monotonic() - began) / budget)
            if progress >= 1.0:
                break
            for group in optimizer.param_groups:
                group["lr"] = args.learning_rate * lr_factor(int(progress * 10_000), 10_000,
                                                             args.warmup)
            use_doc = [args.query == "doc" or (args.query == "mixed" and rng.random() < 0.5)
                       for _ in batch]
            q = enc.embed([doc_ids[i] if d else sentence_ids[i]
                           for i, d in zip(batch, use_doc, strict=True)])
            c = enc.embed([code_ids[i] for i in batch])
            logits = SCALE * q @ c.T
            target = torch.arange(len(batch), device=device)
            loss = (torch.nn.functional.cross_entropy(logits, target)
                    + torch.nn.functional.cross_entropy(logits.T, target)) / 2
            loss.backward()
            torch.nn.utils.clip_grad_norm_([w for _, w in trainable], 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            if step % 25 == 0:
                log["losses"].append([step, epoch, round(float(loss), 4)])
                print(f"step {step}/{planned} epoch {epoch} loss {float(loss):.3f} "
                      f"{time.monotonic() - began:.0f}s", flush=True)
            step += 1
        epoch += 1
    log.update(steps=step, planned=planned, epochs=round(step / per_epoch, 3),
               seconds=round(time.monotonic() - began, 1), heldout_after=mrr10(enc, heldout))
    args.out.mkdir(parents=True, exist_ok=True)
    save_file({n: w.detach().to(torch.float16).cpu().contiguous() for n, w in trainable},
              str(args.out / "layers.safetensors"))
    (args.out / "run.json").write_text(json.dumps(log, indent=1))
    print(json.dumps({k: log[k] for k in ("steps", "epochs", "seconds", "heldout_after")}))
    return 0


def assemble(args: argparse.Namespace) -> int:
    """A copy of the start model with the trained layers in place (float16, as shipped)."""
    from safetensors.torch import load_file, save_file

    if args.model.exists():
        shutil.rmtree(args.model)
    shutil.copytree(args.start, args.model)
    weights = load_file(str(args.start / "model.safetensors"))
    layers = load_file(str(args.layers))
    missing = set(layers) - set(weights)
    if missing:
        print(f"layers not in the start model: {sorted(missing)[:3]}", file=sys.stderr)
        return 2
    weights.update(layers)
    save_file({n: w.half().contiguous() for n, w in weights.items()},
              str(args.model / "model.safetensors"), metadata={"format": "pt"})
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    return train(args) if args.command == "train" else assemble(args)


if __name__ == "__main__":
    sys.exit(main())
