"""nearcode on big repositories: indexing time, query latency, memory and disk at 60k-100k chunks.

Two corpora, each indexed from scratch through `Workspace.sync` (scan, chunk, embed, SQLite):

  synthetic  a generated tree of Python modules (random identifiers from a Zipf vocabulary,
             imports between modules, calls of imported names), --chunks chunks (100k). The
             model is a stand-in that maps each text to a clustered unit vector (dim 384, the
             clusters of vector_search.py), so the figures are nearcode's own costs: the
             pipeline around the model, the store and the queries.
  tree       a real tree (default: this Python's standard library with its tests, ~63k chunks)
             with the real default model. The throughput of indexing is reported as a ratio to
             a bare `SentenceTransformer(<model folder>).encode` of a sample of the same chunks,
             timed in the same run before and after the index (A, index, A).

Reported: time until every file is searchable, time until every chunk is embedded, peak RSS
(this process, and the first-use ONNX export, which runs in a child; the bare encode runs in
children of its own, not counted), bytes per chunk
of the index file, and p50/p95 of `search`, `findSimilar` (at a function, as the LSP request at
a position does) and `completionContext` (at a line inside a function), called in-process like
the server's handlers do, interleaved per query. On the synthetic corpus they exclude the
model (the stand-in costs microseconds); `model_query_ms` is the real model's single-query
latency measured in the same run, to add once for search/findSimilar-by-text and twice for
completionContext (findSimilar at a position reuses the chunk's stored vector).

    python bench/scale.py synthetic [--chunks 100000] [--queries 100] [--json F] [--markdown F]
    python bench/scale.py tree [--root DIR] [--sample 400] [--json F]
    python bench/scale.py queries --workdir DIR   # queries only, on what `synthetic` left there
    python bench/scale.py editing --workdir DIR   # the same, each right after a buffer edit
    python bench/scale.py export [--json F]       # the first use of the real model alone

`export` (and the start of `tree`) measures the first use of the model in a fresh cache: the ONNX
export runs in a child while this process, a workspace with nothing indexed yet, waits; the
process tree's peak then is this process's RSS before the export plus the child's peak RSS.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import resource
import subprocess
import sys
import sysconfig
import tempfile
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from nearcode.app.workspace import Workspace
from nearcode.config import Settings
from nearcode.embed.base import normalize
from nearcode.index.indexer import Progress
from nearcode.search.completion import completion_context
from nearcode.search.similar import similar_at
from vector_search import Soup, machine, percentiles

DIM = 384


# ----------------------------------------------------------------------------- synthetic corpus


class ClusteredEmbedder:
    """A stand-in model: each text gets a unit vector drawn, from its hash, around one of
    `families` cluster centres (topic > group > family, like vector_search.clustered)."""

    batch_size = 64
    dim = DIM
    model_id = "synthetic-clustered-384"

    def __init__(self, families: int, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.mean = normalize(rng.standard_normal((1, DIM)))[0]
        self.families = normalize(rng.standard_normal((families, DIM)))
        self.groups = normalize(rng.standard_normal((max(1, families // 7), DIM)))
        self.topics = normalize(rng.standard_normal((max(1, families // 133), DIM)))

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), DIM), dtype=np.float32)
        for i, text in enumerate(texts):
            rng = np.random.default_rng(zlib.crc32(text.encode("utf-8", "surrogatepass")))
            fam = int(rng.integers(0, len(self.families)))
            grp = fam * len(self.groups) // len(self.families)
            top = grp * len(self.topics) // len(self.groups)
            noise = normalize(rng.standard_normal((1, DIM)))[0]
            out[i] = (0.5 * self.mean + 0.45 * self.topics[top] + 0.45 * self.groups[grp]
                      + 0.45 * self.families[fam] + 0.35 * noise)
        return normalize(out)


FUNCS_PER_FILE = 50


def make_tree(root: Path, chunks: int, seed: int) -> list[str]:
    """Write about `chunks` functions as Python modules under `root`; returns their paths."""
    soup = Soup(seed)
    rng = random.Random(seed)
    defined: list[tuple[str, str]] = []  # (module, function)
    paths = []
    for f in range(max(1, chunks // FUNCS_PER_FILE)):
        module = f"pkg{f // 40}.mod{f}"
        lines = []
        imported = [rng.choice(defined) for _ in range(min(4, len(defined)))]
        for mod, name in imported:
            lines.append(f"from {mod} import {name}")
        lines.append("")
        for n in range(FUNCS_PER_FILE):
            name = f"{soup.ident()}_{f}_{n}"
            body = [f"def {name}({soup.ident()}, {soup.ident()}):"]
            for _ in range(rng.randint(2, 12)):
                if imported and rng.random() < 0.2:
                    callee = rng.choice(imported)[1]
                    body.append(f"    {soup.ident()} = {callee}({soup.ident()}, {soup.ident()})")
                else:
                    body.append(f"    {soup.ident()} = {soup.ident()}.{soup.ident()}"
                                f"({soup.ident()})")
            body.append(f"    return {soup.ident()}")
            lines += body + ["", ""]
            defined.append((module, name))
        rel = module.replace(".", "/") + ".py"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("\n".join(lines))
        paths.append(rel)
    for pkg in {p.split("/")[0] for p in paths}:
        (root / pkg / "__init__.py").write_text("")
    return paths


# ----------------------------------------------------------------------------- measuring


def peak_rss_mib() -> dict[str, float]:
    """Peak RSS of this process and of its largest finished child (the ONNX export)."""
    return {"self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "children": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}


def rss_now_mib() -> float:
    """This process's resident set size now (Linux), else its peak so far."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return peak_rss_mib()["self"]


def first_use(ws: Workspace) -> dict[str, Any]:
    """The first embedding: ONNX export in a child (with an empty cache), then the session.
    While the child runs this process waits, so the tree's peak is the sum below."""
    parent = rss_now_mib()
    t0 = time.perf_counter()
    ws.embedder.embed_batch(["def warm(up): pass"])
    # no other child has run yet; Linux starts a child's ru_maxrss at its parent's peak, so
    # this is the child's own peak unless that is below this process's peak so far
    child = peak_rss_mib()["children"]
    return {"model_id": ws.embedder.model_id, "load_s": round(time.perf_counter() - t0, 1),
            "parent_mib": parent, "export_child_mib": child,
            "tree_peak_mib": round(parent + child, 1), "parent_after_mib": rss_now_mib()}


def index_timed(ws: Workspace) -> dict[str, Any]:
    """Index from scratch; times to every file searchable (the lexical tier written) and to
    every chunk embedded."""
    started = time.perf_counter()
    marks: dict[str, float] = {}

    def progress(p: Progress) -> None:
        if p.stage == "files" and p.done == p.total:
            marks.setdefault("all_files_written_s", time.perf_counter() - started)

    report = ws.sync(progress)
    total = time.perf_counter() - started
    store = ws.folders[0].store
    files, chunks = store.counts()
    searchable = marks.get("all_files_written_s", total)
    out = {"files": files, "chunks": chunks, "all_files_searchable_s": round(searchable, 1),
           "all_embedded_s": round(total, 1), "chunks_embedded": report.chunks_embedded,
           "index_chunks_per_s": round(chunks / total, 1),
           "unembedded_after": store.unembedded_count()}
    return out


def disk(ws: Workspace) -> dict[str, Any]:
    """Bytes of the index file per chunk, after a WAL checkpoint."""
    store = ws.folders[0].store
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    path = Path(store.path)
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    chunks = store.counts()[1]
    return {"index_mib": round(size / 2**20, 1), "bytes_per_chunk": round(size / max(1, chunks))}


def timed_queries(methods: dict[str, Callable[[int], Any]], n: int,
                  before: Callable[[int], None] | None = None) -> dict[str, Any]:
    """p50/p95 ms of each method over queries 0..n-1, interleaved, the order rotated;
    `before(i)` runs untimed before round i (not before the warm-up)."""
    names = list(methods)
    for i in range(min(3, n)):  # warm: connections, page cache, sign bits
        for fn in methods.values():
            fn(i)
    times: dict[str, list[float]] = {m: [] for m in names}
    for i in range(n):
        if before is not None:
            before(i)
        rot = i % len(names)
        for name in names[rot:] + names[:rot]:
            t0 = time.perf_counter()
            methods[name](i)
            times[name].append((time.perf_counter() - t0) * 1000)
    return {m: percentiles(v) for m, v in times.items()}


def query_methods(ws: Workspace, root: Path, paths: list[str], searches: list[str],
                  n: int, seed: int) -> dict[str, Callable[[int], Any]]:
    """search / findSimilar at a function / completionContext inside one, on random files."""
    rng = random.Random(seed)
    folder = ws.folders[0]
    sites: list[tuple[str, str, int, int]] = []  # rel, text, def line (1-based), body line (0)
    while len(sites) < n:
        rel = rng.choice(paths)
        text = (root / rel).read_text(encoding="utf-8", errors="replace")
        lines = text.split("\n")
        defs = [i for i, line in enumerate(lines) if line.lstrip().startswith("def ")
                and i + 3 < len(lines)]
        if not defs:
            continue
        d = rng.choice(defs)
        sites.append((rel, text, d + 1, d + 2))

    def similar(i: int) -> Any:
        rel, text, line, _ = sites[i]
        return similar_at(ws, root / rel, text, line, None, 10, whole_chunk=True)

    def completion(i: int) -> Any:
        rel, text, _, body = sites[i]
        line = text.split("\n")[body]
        return completion_context(ws, folder, rel, text, body, len(line) // 2, 5)

    return {"search": lambda i: ws.retriever.search(searches[i % len(searches)], 10),
            "findSimilar": similar, "completionContext": completion}


def model_latency(texts: list[str]) -> dict[str, Any] | None:
    """Single-query latency of the default model (the ONNX embedder), if it loads."""
    try:
        from nearcode.embed.registry import load_embedder

        embedder = load_embedder(Settings())
    except Exception as exc:  # no model on this machine: report the rest
        print(f"  model not loaded ({exc})", file=sys.stderr)
        return None
    for t in texts[:3]:
        embedder.embed_batch([t])
    times = []
    for t in texts:
        t0 = time.perf_counter()
        embedder.embed_batch([t])
        times.append((time.perf_counter() - t0) * 1000)
    return {"model_id": embedder.model_id, **percentiles(times)}


# ----------------------------------------------------------------------------- the two runs


def run_synthetic(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    tree = work / "tree"
    t0 = time.perf_counter()
    paths = make_tree(tree, args.chunks, args.seed)
    print(f"  wrote {len(paths)} files in {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    embedder = ClusteredEmbedder(max(1, args.chunks // 3), args.seed)
    ws = Workspace([tree], Settings(model="fake", db_path=str(work / "index.db"),
                                    watch=False), embedder=embedder)
    try:
        result: dict[str, Any] = {"corpus": f"synthetic {args.chunks} chunks",
                                  "index": index_timed(ws), "disk": disk(ws)}
        print(f"  indexed: {result['index']}", file=sys.stderr)
        soup = Soup(args.seed + 1)
        searches = [" ".join(soup.pick(int(soup.rng.integers(3, 8)))) for _ in range(50)]
        methods = query_methods(ws, tree, paths, searches, args.queries, args.seed)
        result["latency_ms"] = timed_queries(methods, args.queries)
        result["peak_rss_mib"] = peak_rss_mib()
    finally:
        ws.close()
    if not args.no_model:
        result["model_query_ms"] = model_latency(searches)
    return result


ENCODE = """
import json, resource, sys, time
from nearcode.embed.registry import resolve
from sentence_transformers import SentenceTransformer
texts = json.load(sys.stdin)
model = SentenceTransformer(str(resolve("default").folder), device="cpu")
model.encode(texts[:8])
t0 = time.perf_counter()
model.encode(texts)
print(json.dumps({"rate": len(texts) / (time.perf_counter() - t0),
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_queries(args: argparse.Namespace, work: Path, editing: bool = False
                ) -> dict[str, Any]:
    """Only the queries, on a synthetic tree and index that `synthetic --workdir` left (to
    compare two versions of nearcode on the same index, A B A B). `editing`: each round right
    after an edit, as while typing: a random file's buffer gets a new line (its unsaved text,
    indexed as the server does after BUFFER_DEBOUNCE), then the requests run on the index that
    edit changed; every buffer is dropped at the end (the index is left as `synthetic` wrote
    it)."""
    tree = work / "tree"
    paths = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("mod*.py"))
    embedder = ClusteredEmbedder(max(1, args.chunks // 3), args.seed)
    ws = Workspace([tree], Settings(model="fake", db_path=str(work / "index.db"),
                                    watch=False), embedder=embedder)
    indexer = ws.folders[0].indexer
    rng = random.Random(args.seed + 2)
    edited: list[str] = []

    def edit(i: int) -> None:
        rel = rng.choice(paths)
        indexer.set_buffer(rel, (tree / rel).read_text(encoding="utf-8") + f"\n# edit {i}\n")
        edited.append(rel)

    try:
        files, chunks = ws.folders[0].store.counts()
        soup = Soup(args.seed + 1)
        searches = [" ".join(soup.pick(int(soup.rng.integers(3, 8)))) for _ in range(50)]
        methods = query_methods(ws, tree, paths, searches, args.queries, args.seed)
        what = "each request after an edit" if editing else "queries only"
        return {"corpus": f"synthetic {args.chunks} chunks, {what}",
                "index": {"files": files, "chunks": chunks},
                "latency_ms": timed_queries(methods, args.queries, edit if editing else None)}
    finally:
        for rel in dict.fromkeys(edited):
            indexer.drop_buffer(rel)
        ws.close()


def encode_rate(texts: list[str]) -> float:
    """Chunks/s of a bare SentenceTransformer.encode of `texts` (the baseline), in a child
    process so that torch's memory does not count as nearcode's."""
    out = subprocess.run([sys.executable, "-c", ENCODE], input=json.dumps(texts), text=True,
                         capture_output=True, check=True)
    rate: float = json.loads(out.stdout.strip().splitlines()[-1])["rate"]
    return rate


def run_tree(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from nearcode.code.chunking import chunk_text
    from nearcode.code.languages import language_for_path

    root = args.root.resolve()
    ws = Workspace([root], Settings(db_path=str(work / "index.db"), watch=False))
    load = first_use(ws)
    files = ws.folders[0].indexer.filter.walk()
    rng = random.Random(args.seed)
    sample: list[str] = []
    for info in rng.sample(files, min(len(files), args.sample)):
        text = (root / info.path).read_text(encoding="utf-8", errors="replace")
        lang = language_for_path(info.path) or "text"
        sample += [c.embed_text for c in chunk_text(text, lang, info.path)]
    sample = rng.sample(sample, min(len(sample), args.sample))
    before = encode_rate(sample)
    try:
        result: dict[str, Any] = {"corpus": str(root), "model_load_s": load["load_s"],
                                  "first_use": load, "index": index_timed(ws), "disk": disk(ws)}
        print(f"  indexed: {result['index']}", file=sys.stderr)
        after = encode_rate(sample)
        rate = result["index"]["chunks_embedded"] / result["index"]["all_embedded_s"]
        result["encode_chunks_per_s"] = [round(before, 1), round(after, 1)]
        result["embedded_chunks_per_s"] = round(rate, 1)
        result["x_encode"] = round(rate / ((before + after) / 2), 2)
        paths = [f.path for f in files if f.path.endswith(".py")]
        searches = [t.split("\n", 2)[1][:80] for t in sample[:50]]
        methods = query_methods(ws, root, paths, searches, args.queries, args.seed)
        result["latency_ms"] = timed_queries(methods, args.queries)
        result["peak_rss_mib"] = {"self": peak_rss_mib()["self"],
                                  "children": load["export_child_mib"]}
    finally:
        ws.close()
    return result


def run_export(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Only the first use of the real model, in a workspace with nothing indexed yet."""
    (work / "empty").mkdir(exist_ok=True)
    ws = Workspace([work / "empty"], Settings(db_path=str(work / "index.db"), watch=False))
    try:
        return {"corpus": "first use of the model", "first_use": first_use(ws)}
    finally:
        ws.close()


def markdown(report: dict[str, Any]) -> str:
    r, m = report["result"], report["machine"]
    rows = [f"**{r['corpus']}** ({m['cpus']} CPUs, load {m['load_avg_1m']}, {m['date']})", "",
            "| figure | value |", "| --- | --- |"]
    if "first_use" in r:
        f = r["first_use"]
        rows += [f"| first use: ONNX export + load | {f['load_s']} s ({f['model_id']}) |",
                 f"| first use: peak RSS, this process + export child = tree | "
                 f"{f['parent_mib']} + {f['export_child_mib']} = {f['tree_peak_mib']} MiB |"]
    if "latency_ms" not in r:
        return "\n".join(rows) + "\n"
    lat = r["latency_ms"]
    if "disk" not in r:
        rows += [f"| {name} p50 / p95 | {p['p50_ms']} / {p['p95_ms']} ms |"
                 for name, p in lat.items()]
        return "\n".join(rows) + "\n"
    rows += [f"| files / chunks | {r['index']['files']} / {r['index']['chunks']} |",
             f"| all files searchable | {r['index']['all_files_searchable_s']} s |",
             f"| all chunks embedded | {r['index']['all_embedded_s']} s |",
             f"| index size | {r['disk']['index_mib']} MiB, {r['disk']['bytes_per_chunk']} "
             "bytes/chunk |",
             f"| peak RSS (self / largest child) | {r['peak_rss_mib']['self']} / "
             f"{r['peak_rss_mib']['children']} MiB |"]
    if "x_encode" in r:
        rows.append(f"| embedding throughput | {r['embedded_chunks_per_s']} chunks/s = "
                    f"{r['x_encode']}x bare encode ({r['encode_chunks_per_s']}) |")
    for name, p in lat.items():
        rows.append(f"| {name} p50 / p95 | {p['p50_ms']} / {p['p95_ms']} ms |")
    if r.get("model_query_ms"):
        q = r["model_query_ms"]
        rows.append(f"| model, one query p50 / p95 | {q['p50_ms']} / {q['p95_ms']} ms |")
    return "\n".join(rows) + "\n"


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", choices=("synthetic", "tree", "queries", "editing", "export"))
    ap.add_argument("--chunks", type=int, default=100_000, help="synthetic: how many")
    ap.add_argument("--root", type=Path, default=Path(sysconfig.get_paths()["stdlib"]),
                    help="tree: where (default: this Python's standard library)")
    ap.add_argument("--sample", type=int, default=400, help="tree: chunks for bare encode")
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-model", action="store_true", help="synthetic: skip model latency")
    ap.add_argument("--workdir", type=Path, help="default: a temp folder, removed afterwards")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args(argv)
    tmp = None if args.workdir else tempfile.TemporaryDirectory(prefix="nearcode-scale-")
    work = args.workdir or Path(tmp.name)  # type: ignore[union-attr]
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("NEARCODE_CACHE_DIR", str(work / "cache"))
    report: dict[str, Any] = {"machine": machine(), "command": " ".join(sys.argv)}
    try:
        run = {"synthetic": run_synthetic, "tree": run_tree, "queries": run_queries,
               "editing": functools.partial(run_queries, editing=True),
               "export": run_export}[args.corpus]
        report["result"] = run(args, work)
    finally:
        if tmp is not None:
            tmp.cleanup()
    report["machine"]["load_avg_end"] = round(os.getloadavg()[0], 2)
    text = markdown(report)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    if args.markdown:
        args.markdown.write_text(text)
    return report


if __name__ == "__main__":
    main()
