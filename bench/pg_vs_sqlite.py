"""SQLite vs PostgreSQL + pgvector at scale: indexing throughput and query latency, one run.

The same synthetic chunks (bench/vector_search.py's clustered vectors and identifier soup)
go through each store's API (`put_vectors` + `replace_file`, one file of 50 chunks at a time);
then the same queries ask `vector_candidates` (k=10), `lexical_candidates` (k=10) and
`Retriever.search` minus the model. recall@10 of the vector search is against the exact numpy
top 10. PostgreSQL runs from the `pgserver` package (a real server as a child process).

    python bench/pg_vs_sqlite.py [--sizes 10000,100000] [--queries 200] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import vector_search as vs  # noqa: E402
from nearcode.code import lexical  # noqa: E402
from nearcode.config import Settings  # noqa: E402
from nearcode.search.retrieval import Retriever, Source  # noqa: E402
from nearcode.store.pg import PgStore  # noqa: E402
from nearcode.store.sqlite import Store  # noqa: E402


def fill(store: Any, vectors: np.ndarray, seed: int) -> tuple[dict[str, int], float]:
    """vector_search.fill, then what ends an Indexer.sync (PostgreSQL: ANALYZE); the row of
    each chunk hash, and chunks/s."""
    row_of_hash, seconds = vs.fill(store, vectors, seed)
    started = time.perf_counter()
    store.prune_cache()
    return row_of_hash, len(vectors) / (seconds + time.perf_counter() - started)


def measure(store: Any, vectors: np.ndarray, queries: np.ndarray, texts: list[str],
            row_of_hash: dict[str, int]) -> dict[str, Any]:
    retriever = Retriever([Source(Path("/bench"), store)], vs.LookupEmbedder(dict(
        zip(texts, queries, strict=True))), Settings())  # type: ignore[arg-type]
    out: dict[str, Any] = {}
    times: dict[str, list[float]] = {"vector": [], "lexical": [], "search": []}
    recalls = []
    for q, text in zip(queries, texts, strict=True):
        t = time.perf_counter()
        found = store.vector_candidates(q, 10)
        times["vector"].append((time.perf_counter() - t) * 1000)
        exact = set(vs.numpy_topk(vectors, q, 10).tolist())
        rows = {row_of_hash[c.hash] for c in store.chunks_by_id([i for i, _ in found]).values()}
        recalls.append(len(rows & exact) / 10)
        t = time.perf_counter()
        store.lexical_candidates(lexical.query_terms(text), 10)
        times["lexical"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        retriever.search(text, 10)
        times["search"].append((time.perf_counter() - t) * 1000)
    for name, ms in times.items():
        out[name] = vs.percentiles(ms)
    out["recall@10"] = round(float(np.mean(recalls)), 3)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    import pgserver

    work = Path(tempfile.mkdtemp(prefix="nearcode-pg-bench-"))
    server = pgserver.get_server(work / "pg", cleanup_mode="stop")
    report: dict[str, Any] = {"load": os.getloadavg()[0], "sizes": {}}
    for n in [int(s) for s in args.sizes.split(",")]:
        vectors, queries = vs.clustered(n, args.queries, args.seed)
        soup = vs.Soup(args.seed + 1)
        texts = [soup.function(10**7 + i)[1][:200] for i in range(args.queries)]
        server.psql(f"DROP DATABASE IF EXISTS b{n}; CREATE DATABASE b{n};")
        row: dict[str, Any] = {}
        for name, store in (("sqlite", Store(work / f"s{n}.db")),
                            ("postgres", PgStore(server.get_uri(f"b{n}"), "bench"))):
            row_of_hash, rate = fill(store, vectors, args.seed)
            store.vector_candidates(queries[0], 10)  # warm: bits in memory / index pages
            row[name] = {"insert_chunks_per_s": round(rate, 1),
                         **measure(store, vectors, queries, texts, row_of_hash)}
            store.close()
        report["sizes"][n] = row
        print(f"\n{n} chunks (load {os.getloadavg()[0]:.1f})")
        print(f"{'store':10} {'insert/s':>9} {'vector p50/p95':>16} {'lexical p50/p95':>16}"
              f" {'search p50/p95':>16} {'recall@10':>9}")
        for name, r in row.items():
            fmt = lambda m, r=r: f"{r[m]['p50_ms']:.1f} / {r[m]['p95_ms']:.1f}"  # noqa: E731
            print(f"{name:10} {r['insert_chunks_per_s']:9.0f} {fmt('vector'):>16}"
                  f" {fmt('lexical'):>16} {fmt('search'):>16} {r['recall@10']:9.3f}")
    server.cleanup()
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
