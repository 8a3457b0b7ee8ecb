"""Query latency of the index at scale: nearcode's Store against numpy brute force, same run.

Synthetic, clustered unit vectors (no model involved) are written through the Store API
(`put_vectors` + `replace_file`, fake Python files of random identifier soup), then the same
queries go to:

  numpy        exact float32 matmul + argpartition over a matrix held in memory (the baseline)
  vector       Store.vector_candidates(q, 10): what the dense ranking costs (sign bits held in
               memory, counted by numpy, then exact re-scoring of 400 candidates)
  vector_vec0  the same with the coarse search in sqlite-vec's vec0 (Store.memory_bits = False:
               what it did before, and what it does while the index is being written)
  lexical      Store.lexical_candidates(words, 10): FTS5 BM25
  search       Retriever.search(text, 10) end to end (both rankings, fusion, reading the hits),
               minus the model: the query's vector is precomputed and looked up

Methods are interleaved per query (order rotated) so that load from other processes on a shared
machine hits all of them alike; ratios to numpy are the figures to trust. recall@10 is the share
of the exact numpy top 10 that vector_candidates returns. `cold` is the first vector query
on a freshly opened store (it loads the sign bits from the index file).

The vectors imitate all-MiniLM-L6-v2 embeddings of code (measured on the shared benchmark's
candidates: norm of the mean ~0.5, mean pairwise cosine ~0.25, nearest neighbour ~0.85, 10th
~0.65): a shared direction plus topic > group > family centres plus noise. Queries are noisier
draws from the same families (nearest ~0.7), like a question that is not a copy of the code.

    python bench/vector_search.py [--sizes 10000,100000] [--queries 200] [--json FILE]
                                  [--workdir DIR] [--reuse]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from nearcode.code.chunking import Chunk
from nearcode.config import Settings
from nearcode.search.retrieval import Retriever, Source
from nearcode.store.base import FileState
from nearcode.store.sqlite import Store

DIM = 384
CHUNKS_PER_FILE = 50
MODEL_ID = "synthetic-clustered-384"


# ----------------------------------------------------------------------------- data


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def clustered(n: int, n_queries: int, seed: int = 0, dim: int = DIM
              ) -> tuple[np.ndarray, np.ndarray]:
    """(n, dim) data and (n_queries, dim) query unit vectors; see the module docstring."""
    rng = np.random.default_rng(seed)
    mean = _unit(rng.standard_normal(dim))
    topics, groups, families = (_unit(rng.standard_normal((max(1, n // size), dim)))
                                for size in (400, 20, 3))

    def draw(count: int, noise: float) -> np.ndarray:
        fam = rng.integers(0, len(families), count)
        grp = fam * len(groups) // len(families)
        top = grp * len(topics) // len(groups)
        return _unit(0.5 * mean + 0.45 * topics[top] + 0.45 * groups[grp] + 0.45 * families[fam]
                     + noise * _unit(rng.standard_normal((count, dim))))

    return draw(n, 0.35), draw(n_queries, 0.8)


class Soup:
    """Random identifiers from a Zipf-distributed vocabulary: code-like text for FTS5."""

    SYLLABLES = ("ka ro mi te su na lo vi pe du ga ze bo ri fa to ne ly ax om ul in er "
                 "qu sh ch th").split()

    def __init__(self, seed: int, vocab: int = 4000) -> None:
        self.rng = np.random.default_rng(seed)
        words: set[str] = set()
        while len(words) < vocab:
            words.add("".join(self.rng.choice(self.SYLLABLES, int(self.rng.integers(2, 4)))))
        self.words = sorted(words)
        self.cdf = np.cumsum(1.0 / np.arange(1, vocab + 1))
        self.cdf /= self.cdf[-1]
        self._stream: list[int] = []
        self._at = 0

    def pick(self, k: int) -> list[str]:
        if self._at + k > len(self._stream):  # drawn in bulk: rng.choice(p=...) per call is slow
            draws = np.searchsorted(self.cdf, self.rng.random(100_000))
            self._stream = np.minimum(draws, len(self.words) - 1).tolist()
            self._at = 0
        self._at += k
        return [self.words[i] for i in self._stream[self._at - k : self._at]]

    def ident(self) -> str:
        parts = self.pick(int(self.rng.integers(1, 4)))
        if self.rng.random() < 0.5:
            return "_".join(parts)
        return parts[0] + "".join(w.capitalize() for w in parts[1:])

    def function(self, n: int) -> tuple[str, str]:
        name = f"{self.ident()}_{n}"
        body = [f"def {name}({self.ident()}, {self.ident()}):"]
        for _ in range(int(self.rng.integers(2, 12))):
            body.append(f"    {self.ident()} = {self.ident()}.{self.ident()}({self.ident()})")
        body.append(f"    return {self.ident()}")
        return name, "\n".join(body)


def fill(store: Any, vectors: np.ndarray, seed: int) -> tuple[dict[str, int], float]:
    """Insert one chunk per vector through the store API (`put_vectors` + `replace_file`, a
    file of CHUNKS_PER_FILE chunks at a time) into a store of any backend; returns the row of
    each chunk hash and the seconds it took."""
    store.ensure_model(MODEL_ID, vectors.shape[1], rebuild=True)
    soup = Soup(seed)
    started = time.perf_counter()
    row_of_hash: dict[str, int] = {}
    for f0 in range(0, len(vectors), CHUNKS_PER_FILE):
        rel = f"pkg{f0 // (CHUNKS_PER_FILE * 40)}/mod{f0 // CHUNKS_PER_FILE}.py"
        chunks, line = [], 1
        for row in range(f0, min(f0 + CHUNKS_PER_FILE, len(vectors))):
            name, text = soup.function(row)
            n_lines = text.count("\n") + 1
            chunks.append(Chunk(rel, "python", line, line + n_lines - 1, text, name, "function"))
            row_of_hash[chunks[-1].hash] = row
            line += n_lines + 1
        fresh = {c.hash: vectors[row_of_hash[c.hash]] for c in chunks}
        store.put_vectors(fresh)
        state = FileState(rel, line * 40, 1_700_000_000 * 10**9 + f0, f"synthetic{f0}", "disk")
        store.replace_file(state, "python", chunks, fresh)
    return row_of_hash, time.perf_counter() - started


def build_store(path: Path, vectors: np.ndarray, seed: int) -> tuple[Store, np.ndarray, float]:
    """A Store holding one chunk per vector; returns it, the chunk id of each row, and the
    insert throughput (chunks/s)."""
    store = Store(path)
    row_of_hash, seconds = fill(store, vectors, seed)
    ids = np.zeros(len(vectors), dtype=np.int64)
    for cid, h in store.db.execute("SELECT id, hash FROM chunks").fetchall():
        ids[row_of_hash[h]] = cid
    return store, ids, len(vectors) / seconds


def open_or_build(workdir: Path, n: int, vectors: np.ndarray, seed: int, reuse: bool
                  ) -> tuple[Store, np.ndarray, float | None]:
    path = workdir / f"vectors-{n}-{seed}.db"
    if reuse and path.exists():
        store = Store(path)
        if store.counts()[1] == n and store.model_id == MODEL_ID:
            # rows are matched to chunks through the vectors themselves (exact copies)
            row_of = {v.tobytes(): i for i, v in enumerate(vectors)}
            ids = np.zeros(n, dtype=np.int64)
            for cid, blob in store.db.execute(
                "SELECT c.id, e.vector FROM chunks c JOIN embeddings e ON e.hash = c.hash"
            ):
                ids[row_of[blob]] = cid
            return store, ids, None
        store.close()
        path.unlink()
        for extra in ("-wal", "-shm"):
            Path(str(path) + extra).unlink(missing_ok=True)
    return build_store(path, vectors, seed)


# ----------------------------------------------------------------------------- timing


class LookupEmbedder:
    """Stands in for the model: each query text maps to its precomputed vector."""

    batch_size = 32

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self.vectors = vectors
        self.dim = DIM
        self.model_id = MODEL_ID

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.vectors[t] for t in texts])


def numpy_topk(matrix: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    scores = matrix @ q
    top = np.argpartition(-scores, k)[:k]
    return top[np.argsort(-scores[top])]


def percentiles(ms: list[float]) -> dict[str, float]:
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p95_ms": round(float(np.percentile(ms, 95)), 2),
            "mean_ms": round(float(np.mean(ms)), 2)}


def rss_mb() -> dict[str, float]:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out[line.split(":")[0]] = round(int(line.split()[1]) / 1024, 1)
    return out


def run_size(n: int, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    matrix, queries = clustered(n, args.queries, seed=args.seed)
    t0 = time.perf_counter()
    store, ids, insert_rate = open_or_build(workdir, n, matrix, args.seed, args.reuse)
    print(f"  {n} chunks ready in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    soup = Soup(args.seed + 1)
    texts = [" ".join(soup.pick(int(soup.rng.integers(3, 8)))) + f" q{i}"
             for i in range(len(queries))]
    retriever = Retriever([Source(workdir, store)],
                          LookupEmbedder(dict(zip(texts, queries, strict=True))), Settings())
    from nearcode.code import lexical

    words = [lexical.query_terms(t) for t in texts]
    started = time.perf_counter()
    store.vector_candidates(queries[0], 10)
    cold_ms = (time.perf_counter() - started) * 1000

    def vec0(i: int) -> list[tuple[int, float]]:
        store.memory_bits = False
        try:
            return store.vector_candidates(queries[i], 10)
        finally:
            store.memory_bits = True

    methods: dict[str, Callable[[int], Any]] = {
        "numpy": lambda i: numpy_topk(matrix, queries[i], 10),
        "vector": lambda i: store.vector_candidates(queries[i], 10),
        "lexical": lambda i: store.lexical_candidates(words[i], 10),
        "search": lambda i: retriever.search(texts[i], 10),
    }
    if hasattr(store, "memory_bits"):
        methods["vector_vec0"] = vec0
    for i in range(min(5, len(queries))):  # warm: connections, page cache
        for fn in methods.values():
            fn(i)
    times: dict[str, list[float]] = {m: [] for m in methods}
    vector_methods = [m for m in methods if m.startswith("vector")]
    recalls: dict[str, list[float]] = {m: [] for m in vector_methods}
    top1: dict[str, list[bool]] = {m: [] for m in vector_methods}
    names = list(methods)
    for i in range(len(queries)):
        rot = i % len(names)
        found: dict[str, list[int]] = {}
        for name in names[rot:] + names[:rot]:
            started = time.perf_counter()
            out = methods[name](i)
            times[name].append((time.perf_counter() - started) * 1000)
            found[name] = ids[out].tolist() if name == "numpy" else [
                r[0] if isinstance(r, tuple) else r.chunk_id for r in out]
        for m in vector_methods:
            recalls[m].append(len(set(found["numpy"]) & set(found[m])) / 10)
            top1[m].append(found[m][:1] == found["numpy"][:1])
    db_mb = sum(p.stat().st_size for p in workdir.glob(f"vectors-{n}-{args.seed}.db*")) / 2**20
    result: dict[str, Any] = {
        "chunks": n,
        "queries": len(queries),
        "insert_chunks_per_s": None if insert_rate is None else round(insert_rate, 1),
        "db_mib": round(db_mb, 1),
        "recall@10": {m: round(float(np.mean(v)), 4) for m, v in recalls.items()},
        "top1_exact": {m: round(float(np.mean(v)), 4) for m, v in top1.items()},
        "vector_cold_ms": round(cold_ms, 1),
        "latency": {m: percentiles(v) for m, v in times.items()},
        "rss_mib": rss_mb(),
    }
    p50 = result["latency"]["numpy"]["p50_ms"]
    for m in methods:
        result["latency"][m]["x_numpy_p50"] = round(result["latency"][m]["p50_ms"] / p50, 2)
    store.close()
    return result


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "platform": platform.platform(),
            "load_avg_1m": round(os.getloadavg()[0], 2),
            "date": time.strftime("%Y-%m-%d %H:%M")}


def print_table(report: dict[str, Any]) -> None:
    m = report["machine"]
    print(f"\nvector search, synthetic clustered {DIM}-d unit vectors; {m['cpus']} CPUs, "
          f"load {m['load_avg_1m']} ({m['date']})")
    head = (f"{'chunks':>7} {'method':<8} {'p50 ms':>8} {'p95 ms':>8} {'x numpy':>8} "
            f"{'recall@10':>9}")
    print(head + "\n" + "-" * len(head))
    for r in report["sizes"]:
        for name, lat in r["latency"].items():
            rec = f"{r['recall@10'][name]:.3f}" if name in r["recall@10"] else ""
            print(f"{r['chunks']:>7} {name:<8} {lat['p50_ms']:>8.2f} {lat['p95_ms']:>8.2f} "
                  f"{lat['x_numpy_p50']:>7.2f}x {rec:>9}")
        ins = r["insert_chunks_per_s"]
        print(f"{'':>7} (db {r['db_mib']} MiB, insert {ins if ins else 'reused'} chunks/s, "
              f"vector cold {r['vector_cold_ms']} ms, top-1 exact {r['top1_exact']['vector']:.3f},"
              f" RSS {r['rss_mib'].get('VmRSS')} MiB)")


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workdir", type=Path, help="where the index files go (default: a temp "
                    "folder, removed afterwards unless --reuse)")
    ap.add_argument("--reuse", action="store_true", help="keep the index files in --workdir and "
                    "reuse them when they match")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args(argv)
    tmp = None
    workdir = args.workdir
    if workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="nearcode-vs-")
        workdir = Path(tmp.name)
    workdir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"machine": machine(), "dim": DIM, "sizes": []}
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            report["sizes"].append(run_size(n, args, workdir))
    finally:
        if tmp is not None:
            tmp.cleanup()
    report["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return report


if __name__ == "__main__":
    main()
