"""nearcode's benchmark in one table: retrieval quality against BM25 and dense, and speed.

Quality, per task of the shared benchmark (../shared/bench, see its README): BM25 and dense come
from its baselines.json (written by its baselines.py); nearcode comes from its run_nearcode.py
against `nearcode serve` (run here, or its report read with --no-run). Speed comes from the JSON
that index_speed.py, vector_search.py and server_latency.py write (run them here with --speed).

    python bench/run.py [--no-run | --tasks ABC] [--speed] [--markdown] [--results DIR]

--results DIR (default $NEARCODE_RESULTS_DIR or ~/.cache/nearcode-bench-results) holds
nearcode.json (the runner's report), index_speed.json, vector_search.json,
server_latency.json and table.md / table.txt. The runner works in a private folder
(<results>/run) whose task folders link to the shared corpus, so the corpus folder and other
people's runner outputs are left alone, and the server gets its own cache
(NEARCODE_CACHE_DIR=<results>/cache, indexes emptied before each run: a fresh index).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SHARED = Path(os.environ.get("NEARCODE_SHARED_BENCH",
                             Path(__file__).resolve().parents[2] / "shared" / "bench"))
sys.path.insert(0, str(SHARED))
import benchlib  # noqa: E402

HERE = Path(__file__).resolve().parent
METRICS = ("mrr@10", "r@1", "r@5", "r@10")
NEARCODE_METHOD = {"A": "search", "B": "findSimilar", "C": "completionContext"}


def bench_folder(arg: Path | None) -> Path:
    for d in ([arg] if arg else [Path(benchlib.bench_dir()), Path("/tmp/nb")]):
        if (d / "baselines.json").is_file():
            return d
    sys.exit("no baselines.json: run ../shared/bench/make_corpus.py and baselines.py first")


def load(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.is_file() else None


# ----------------------------------------------------------------------------- running


def run_quality(args: argparse.Namespace, bench: Path, results: Path) -> Path:
    """run_nearcode.py against `nearcode serve` in a private folder linked to the corpus."""
    work = results / "run"
    work.mkdir(parents=True, exist_ok=True)
    for name in [*benchlib.TASKS.values(), "baselines.json", "manifest.json"]:
        link = work / name
        if not link.exists() and (bench / name).exists():
            link.symlink_to(bench / name)
    cache = results / "cache"
    shutil.rmtree(cache / "indexes", ignore_errors=True)  # a fresh index: ours alone
    env = {**os.environ, "NEARCODE_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1"}
    report = results / "nearcode.json"
    cmd = [sys.executable, str(SHARED / "run_nearcode.py"), "--tasks", args.tasks,
           "--server", args.server, "--out", str(work), "--report", str(report)]
    if args.limit:
        cmd += ["--limit", str(args.limit)]
    print("$", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, env=env, check=True)
    return report


def run_speed(results: Path, quick: bool) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    env.setdefault("NEARCODE_CACHE_DIR", str(results / "cache"))
    scripts = [
        ("index_speed.py", ["--max-files", "20", "--rounds", "2"] if quick else []),
        ("vector_search.py", ["--sizes", "10000", "--queries", "50"] if quick else []),
        ("server_latency.py", ["--rounds", "5", "--probes", "2"] if quick else []),
    ]
    for script, extra in scripts:
        out = results / script.replace(".py", ".json")
        cmd = [sys.executable, str(HERE / script), "--json", str(out), *extra]
        print("$", " ".join(cmd), file=sys.stderr)
        subprocess.run(cmd, env=env, check=True)


# ----------------------------------------------------------------------------- the table


def fmt(x: float | None, digits: int = 3) -> str:
    return "" if x is None else f"{x:.{digits}f}"


def quality_rows(baselines: dict[str, Any], nearcode: dict[str, Any] | None) -> list[list[str]]:
    rows = []
    for task, folder in benchlib.TASKS.items():
        base = baselines.get(folder, {}).get("methods", {})
        if not base:
            continue
        n = base.get("bm25", {}).get("metrics", {}).get("all", {}).get("n", "")
        label = f"{folder} ({n})"
        best = max(base[m]["metrics"]["all"]["mrr@10"] for m in ("bm25", "dense") if m in base)
        for method, name in (("bm25", "BM25"), ("dense", "dense")):
            if method in base:
                m = base[method]["metrics"]["all"]
                rows.append([label, name, *(fmt(m[k]) for k in METRICS), "", "", ""])
                label = ""
        entry = (nearcode or {}).get(folder)
        if entry:
            meth = entry["methods"].get(NEARCODE_METHOD[task], {})
            m, lat = meth.get("metrics", {}).get("all"), meth.get("latency", {})
            status = entry.get("index_status") or {}
            chunks, index_s = status.get("chunks"), entry.get("index_s")
            rate = f"{chunks / index_s:.1f} ({chunks} in {index_s:.0f} s)" \
                if chunks and index_s else ""
            if m:
                delta = m["mrr@10"] - best
                rows.append([label, f"nearcode {NEARCODE_METHOD[task]} ({delta:+.3f} vs best)",
                             *(fmt(m[k]) for k in METRICS),
                             f"{lat.get('p50_ms')} / {lat.get('p95_ms')}", rate,
                             fmt(entry.get("memory", {}).get("vmhwm_mb"), 0)])
            if entry.get("errors"):
                rows.append(["", f"  errors: {entry['errors']}", "", "", "", "", "", "", ""])
    return rows


def speed_rows(index: dict[str, Any] | None, vectors: dict[str, Any] | None,
               server: dict[str, Any] | None) -> list[list[str]]:
    rows: list[list[str]] = []
    blank = ["", "", "", ""]
    if index:
        where = "/".join(Path(index["workspace"]).parts[-2:])
        label = f"index speed ({index['chunks']} chunks of {where})"
        for r in index["results"]:
            backend = r["model_id"].rsplit("/", 1)[-1] if "@" in r["model_id"] else "baseline"
            name = r["name"] if r["name"].endswith(backend) else f"{r['name']} ({backend})"
            rows.append([label, name, *blank, "",
                         f"{r['chunks_per_s']:.1f} ({r['ratio']:.2f}x encode)", ""])
            label = ""
    if vectors:
        for size in vectors["sizes"]:
            label = f"{size['chunks'] // 1000}k chunks, synthetic"
            lat, rec = size["latency"], size["recall@10"]
            names = [("numpy", "numpy brute force (exact)"),
                     ("vector", f"vector_candidates (recall@10 {rec['vector']:.3f})"),
                     ("vector_vec0", "  same, vec0 KNN path"),
                     ("lexical", "lexical_candidates (FTS5)"),
                     ("search", "Retriever.search minus model")]
            for key, name in names:
                if key in lat:
                    rows.append([label, name, *blank,
                                 f"{lat[key]['p50_ms']:.1f} / {lat[key]['p95_ms']:.1f}", "", ""])
                    label = ""
    if server:
        s = server["index_status"]
        label = f"nearcode serve ({s.get('chunks')} chunks)"
        idle, busy = server["latency"].get("idle", {}), server["latency"].get("indexing", {})
        mem = server["memory"]
        for key in ("search", "findSimilar_text", "findSimilar_position", "completionContext",
                    "workspace_symbol", "indexStatus"):
            if key in idle:
                during = busy.get(key)
                text = f"{idle[key]['p50_ms']} / {idle[key]['p95_ms']}"
                if during:
                    text += f" (indexing {during['p50_ms']} / {during['p95_ms']})"
                rows.append([label, key, *blank, text, "", ""])
                label = ""
        rows.append(["", "initial index", *blank, "",
                     f"{s.get('chunks', 0) / server['index_s']:.1f} ({server['index_s']} s)",
                     f"{mem['indexing_vmhwm_mb']:.0f} (idle {mem.get('idle_vmhwm_mb')})"])
        for key, name in (("save_to_search", "file saved -> searchable"),
                          ("didchange_to_search", "didChange -> searchable")):
            f = server["freshness"][key]
            rows.append(["", name, *blank,
                         f"{f.get('p50_ms', '-')} (max {f.get('max_ms', '-')})", "", ""])
    return rows


HEAD = ["task", "method", "MRR@10", "R@1", "R@5", "R@10", "query p50 / p95 ms",
        "index chunks/s", "peak RSS MiB"]


def render(rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        out = ["| " + " | ".join(HEAD) + " |", "|" + "|".join(["---"] * len(HEAD)) + "|"]
        out += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(out)
    widths = [max(len(r[i]) for r in [HEAD, *rows]) for i in range(len(HEAD))]

    def line(r: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()

    return "\n".join([line(HEAD), "-" * sum(w + 2 for w in widths), *map(line, rows)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", type=Path, help="the shared benchmark folder (default: "
                    "$NEARCODE_BENCH_DIR, ~/.cache/nearcode-bench, else /tmp/nb)")
    ap.add_argument("--results", type=Path, default=Path(os.environ.get(
        "NEARCODE_RESULTS_DIR", "~/.cache/nearcode-bench-results")).expanduser())
    ap.add_argument("--no-run", action="store_true", help="read the runner's report (--nearcode "
                    "FILE, default <results>/nearcode.json) instead of running `nearcode serve`")
    ap.add_argument("--nearcode", type=Path, help="a run_nearcode.py report to read")
    ap.add_argument("--tasks", default="ABC")
    ap.add_argument("--limit", type=int, help="first N queries per task (debugging only)")
    default_server = shutil.which("nearcode", path=str(Path(sys.executable).parent)) or "nearcode"
    ap.add_argument("--server", default=f"{default_server} serve")
    ap.add_argument("--speed", action="store_true", help="also run the three speed scripts")
    ap.add_argument("--quick", action="store_true", help="with --speed: small, fast settings")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = ap.parse_args()
    bench = bench_folder(args.bench)
    results = args.results
    results.mkdir(parents=True, exist_ok=True)
    if args.speed:
        run_speed(results, args.quick)
    report = args.nearcode or results / "nearcode.json"
    if not args.no_run and not args.nearcode:
        report = run_quality(args, bench, results)
    baselines = json.loads((bench / "baselines.json").read_text())
    nearcode = load(report)
    if nearcode is None:
        print(f"note: no nearcode report at {report}", file=sys.stderr)
    rows = quality_rows(baselines, nearcode)
    rows += speed_rows(load(results / "index_speed.json"), load(results / "vector_search.json"),
                       load(results / "server_latency.json"))
    stamp = time.strftime("%Y-%m-%d")
    for markdown, name in ((True, "table.md"), (False, "table.txt")):
        (results / name).write_text(render(rows, markdown) + "\n")
    print(render(rows, args.markdown))
    print(f"\n({stamp}, {os.cpu_count()} CPUs; nearcode from {report}; baselines from "
          f"{bench / 'baselines.json'}; speed JSON in {results})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
