"""Embedding speed and agreement: plain sentence-transformers against nearcode's backends.

One run measures, on the same chunk texts (what nearcode embeds: chunking.chunk_text +
Chunk.embed_text): bare `SentenceTransformer(path).encode(texts)` (the baseline), nearcode's
torch embedder, ONNX Runtime fp32 and int8. Throughput is timed in rounds over slices of the
texts, each round running every backend in a rotated order, so that load from other processes
hits all of them alike; ratios to the baseline are the figures to trust on a shared machine.
Also: single-query latency p50/p95, cosine agreement of each backend with torch, and, when the
shared benchmark corpus is there, dense MRR@10 / recall on its A_search task.

    python bench/embed_speed.py [--corpus auto|bench|stdlib] [--limit N] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import sysconfig
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from nearcode.code.chunking import Chunk, chunk_text  # noqa: E402
from nearcode.code.languages import language_for_path  # noqa: E402
from nearcode.embed import registry  # noqa: E402
from nearcode.embed.base import normalize  # noqa: E402
from nearcode.embed.onnx_backend import OnnxEmbedder  # noqa: E402
from nearcode.embed.torch_backend import SentenceTransformerEmbedder  # noqa: E402

BENCH_DIRS = [os.environ.get("NEARCODE_BENCH_DIR"), "~/.cache/nearcode-bench", "/tmp/nb"]
STDLIB_PACKAGES = ["json", "email", "asyncio"]
FALLBACK_QUERIES = [
    "parse a JSON document", "decode a MIME header", "cancel a running task",
    "read lines from a stream", "format an email address", "escape a string for output",
]


@dataclass
class Corpus:
    name: str
    chunks: list[Chunk]
    queries: list[dict[str, Any]] = field(default_factory=list)  # A_search rows, if any

    @property
    def texts(self) -> list[str]:
        return [c.embed_text for c in self.chunks]


def bench_corpus() -> Path | None:
    for d in BENCH_DIRS:
        if d and (Path(d).expanduser() / "A_search" / "queries.jsonl").is_file():
            return Path(d).expanduser()
    return None


def load_corpus(kind: str) -> Corpus:
    """Chunks of the shared benchmark's A_search workspace (with its queries), or of stdlib
    packages."""
    bench = bench_corpus() if kind in ("auto", "bench") else None
    if kind == "bench" and bench is None:
        sys.exit("no benchmark corpus found in " + ", ".join(d for d in BENCH_DIRS if d))
    if bench is not None:
        root = bench / "A_search" / "workspace"
        queries = [json.loads(line) for line in
                   (bench / "A_search" / "queries.jsonl").read_text().splitlines() if line]
        return Corpus(f"A_search workspace ({bench})", _chunk_tree(root), queries)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    chunks = [c for pkg in STDLIB_PACKAGES for c in _chunk_tree(stdlib / pkg, stdlib)]
    return Corpus("stdlib " + ", ".join(STDLIB_PACKAGES), chunks)


def _chunk_tree(root: Path, rel_to: Path | None = None) -> list[Chunk]:
    chunks = []
    for f in sorted(root.rglob("*")):
        lang = language_for_path(f.name) if f.is_file() else None
        if lang in ("python", "javascript", "typescript"):
            rel = f.relative_to(rel_to or root).as_posix()
            chunks += chunk_text(f.read_text(encoding="utf-8", errors="replace"), lang, rel)
    return chunks


# ----------------------------------------------------------------------------- backends


@dataclass
class Backend:
    name: str
    embed: Callable[[Sequence[str]], np.ndarray]
    model_id: str
    load_s: float
    seconds: float = 0.0
    vectors: list[np.ndarray] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)


def make_backends(names: Sequence[str], batch_size: int) -> list[Backend]:
    ref = registry.base_model()
    out = []
    for name in names:
        started = time.perf_counter()
        if name == "baseline":
            from sentence_transformers import SentenceTransformer

            st = SentenceTransformer(str(ref.folder), device="cpu")

            def encode(texts: Sequence[str], st: Any = st) -> np.ndarray:
                return normalize(st.encode(list(texts), batch_size=batch_size,
                                           show_progress_bar=False))

            backend = Backend(name, encode, "sentence-transformers encode()", 0.0)
        elif name == "torch":
            emb: Any = SentenceTransformerEmbedder(ref.folder, ref.name, batch_size=batch_size)
            _ = emb.model
            backend = Backend(name, emb.embed_batch, emb.model_id, 0.0)
        else:
            emb = OnnxEmbedder.for_model(ref, quantized=name == "onnx-int8")
            emb.batch_size = batch_size
            emb.load()  # exports on the first run on this machine (counted in load_s)
            backend = Backend(name, emb.embed_batch, emb.model_id, 0.0)
        backend.embed(["def warm_up(): pass"] * 4)
        backend.load_s = time.perf_counter() - started
        out.append(backend)
    return out


def time_throughput(backends: list[Backend], texts: list[str], rounds: int) -> None:
    """Each slice of the texts through every backend, the order rotated per slice."""
    bounds = np.linspace(0, len(texts), rounds + 1).astype(int)
    for r in range(rounds):
        part = texts[bounds[r] : bounds[r + 1]]
        for b in backends[r % len(backends):] + backends[: r % len(backends)]:
            started = time.perf_counter()
            b.vectors.append(b.embed(part))
            b.seconds += time.perf_counter() - started
        print(f"  round {r + 1}/{rounds}: {len(part)} chunks", file=sys.stderr)


def time_queries(backends: list[Backend], queries: list[str]) -> None:
    for q in queries:
        for b in backends:
            started = time.perf_counter()
            b.embed([q])
            b.latencies_ms.append((time.perf_counter() - started) * 1000)


def retrieval(chunks: list[Chunk], vectors: np.ndarray, queries: list[dict[str, Any]],
              query_vectors: np.ndarray) -> dict[str, float]:
    """Dense-only MRR@10, R@1, R@10 on A_search: a hit is a chunk of the gold file whose lines
    overlap the gold span (the benchmark's non-strict rule)."""
    ranks = []
    top = np.argsort(-(query_vectors @ vectors.T), axis=1)[:, :10]
    for q, row in zip(queries, top, strict=True):
        g = q["gold"]
        rank = next((k + 1 for k, i in enumerate(row)
                     if chunks[i].path == g["path"] and chunks[i].start_line <= g["end_line"]
                     and chunks[i].end_line >= g["start_line"]), None)
        ranks.append(rank)
    return {
        "mrr@10": round(float(np.mean([1 / r if r else 0.0 for r in ranks])), 4),
        "r@1": round(float(np.mean([r == 1 for r in ranks])), 4),
        "r@10": round(float(np.mean([r is not None for r in ranks])), 4),
    }


# ----------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", choices=["auto", "bench", "stdlib"], default="auto")
    ap.add_argument("--limit", type=int, help="embed only N chunks (no retrieval check)")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--queries", type=int, default=40, help="single-query latency samples")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--backends", default="baseline,torch,onnx-fp32,onnx-int8")
    ap.add_argument("--out", type=Path, help="write the results as JSON")
    args = ap.parse_args(argv)

    corpus = load_corpus(args.corpus)
    chunks = corpus.chunks
    if args.limit:
        chunks = random.Random(0).sample(chunks, min(args.limit, len(chunks)))
        corpus.queries = []
    texts = [c.embed_text for c in chunks]
    names = args.backends.split(",")
    print(f"{len(texts)} chunks of {corpus.name}; loading {', '.join(names)}", file=sys.stderr)
    backends = make_backends(names, args.batch_size)
    lengths = _token_lengths(texts)

    time_throughput(backends, texts, args.rounds)
    query_texts = [q["query"] for q in corpus.queries][: args.queries] or \
        (FALLBACK_QUERIES * (args.queries // len(FALLBACK_QUERIES) + 1))[: args.queries]
    time_queries(backends, query_texts)

    by_name = {b.name: b for b in backends}
    reference = by_name.get("torch") or by_name.get("baseline") or backends[0]
    ref_vectors = np.vstack(reference.vectors)
    base = by_name.get("baseline", backends[0])
    results: dict[str, Any] = {
        "corpus": {"name": corpus.name, "chunks": len(texts),
                   "median_tokens": int(np.median(lengths)),
                   "truncated": round(float(np.mean(lengths >= 256)), 3)},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "processor": _cpu_name(), "load_avg_1m": round(os.getloadavg()[0], 2)},
        "reference": reference.name,
        "backends": {},
    }
    for b in backends:
        vectors = np.vstack(b.vectors)
        cos = (vectors * ref_vectors).sum(axis=1)
        row: dict[str, Any] = {
            "model_id": b.model_id,
            "load_s": round(b.load_s, 2),
            "chunks_per_s": round(len(texts) / b.seconds, 2),
            "ratio": round(base.seconds / b.seconds, 3),
            "query_p50_ms": round(float(np.percentile(b.latencies_ms, 50)), 2),
            "query_p95_ms": round(float(np.percentile(b.latencies_ms, 95)), 2),
            "cos_mean": round(float(cos.mean()), 5),
            "cos_min": round(float(cos.min()), 5),
        }
        if corpus.queries:
            qv = b.embed([q["query"] for q in corpus.queries])
            row["retrieval"] = retrieval(chunks, vectors, corpus.queries, qv)
        results["backends"][b.name] = row
    print_table(results)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n")
    return results


def print_table(results: dict[str, Any]) -> None:
    c, m = results["corpus"], results["machine"]
    print(f"\n{c['chunks']} chunks of {c['name']}: median {c['median_tokens']} tokens, "
          f"{c['truncated']:.0%} cut at 256; {m['cpus']} CPUs, load {m['load_avg_1m']}")
    head = (f"{'backend':<10} {'chunks/s':>8} {'ratio':>6} {'q p50 ms':>9} {'q p95 ms':>9} "
            f"{'cos mean':>9} {'cos min':>8} {'MRR@10':>7} {'R@1':>6} {'R@10':>6} {'load s':>7}")
    print(head + "\n" + "-" * len(head))
    for name, r in results["backends"].items():
        ret = r.get("retrieval") or {}
        print(f"{name:<10} {r['chunks_per_s']:>8.1f} {r['ratio']:>5.2f}x {r['query_p50_ms']:>9.1f} "
              f"{r['query_p95_ms']:>9.1f} {r['cos_mean']:>9.4f} {r['cos_min']:>8.4f} "
              f"{ret.get('mrr@10', float('nan')):>7.3f} {ret.get('r@1', float('nan')):>6.3f} "
              f"{ret.get('r@10', float('nan')):>6.3f} {r['load_s']:>7.1f}")
    print(f"(ratio: throughput / baseline's; cosine against {results['reference']})")


def _token_lengths(texts: list[str]) -> np.ndarray:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(registry.base_model().folder / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(256)
    return np.array([len(e.ids) for e in tok.encode_batch(texts)])


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    main()
