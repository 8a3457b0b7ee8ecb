"""Score nearcode's retrieval on the shared benchmark without the LSP layer (fast iteration).

Same tasks, queries and scoring as ../shared/bench/run_nearcode.py (its benchlib is imported,
not copied), but the workspace is indexed and queried in-process through nearcode.workspace,
so the index is built once per workspace (kept in $NEARCODE_CACHE_DIR) and retrieval settings
can be compared quickly. The LSP numbers to report come from run_nearcode.py (see run.py).

    python bench/inprocess.py [--tasks ABC] [--limit N] [--model M] [--backend B] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from nearcode.app.workspace import Workspace
from nearcode.config import Settings
from nearcode.search.completion import completion_context

SHARED = Path(os.environ.get("NEARCODE_SHARED_BENCH",
                             Path(__file__).resolve().parents[2] / "shared" / "bench"))
sys.path.insert(0, str(SHARED))
import benchlib  # noqa: E402


def spans(hits, root: Path) -> list[dict]:
    return [{"path": h.path, "start_line": h.start_line, "end_line": h.end_line} for h in hits]


def run_task(task: str, bench: Path, settings: Settings, limit: int | None) -> dict:
    name = benchlib.TASKS[task]
    ws_root = bench / name / "workspace"
    queries = benchlib.read_jsonl(bench / name / "queries.jsonl")[: limit or None]
    ws = Workspace([ws_root], settings)
    started = time.monotonic()
    ws.sync()
    index_s = time.monotonic() - started
    folder = ws.folders[0]
    results, times = [], []
    for q in queries:
        t0 = time.perf_counter()
        if task == "A":
            hits = ws.retriever.search(q["query"], 10)
        elif task == "B":
            hits = ws.retriever.similar(q["query"], 10)
        else:
            cq = q["query"]
            path = ws_root / cq["path"]
            lines = path.read_text(encoding="utf-8").split("\n")
            prefix = "\n".join(lines[: cq["line"] - 1] + [cq["line_prefix"]])
            n = prefix.count("\n")
            hits = completion_context(ws, folder, cq["path"], prefix, n, len(cq["line_prefix"]),
                                      10)
            hits = [h for h in hits if h.path != cq["path"]]
        times.append((time.perf_counter() - t0) * 1000)
        results.append(spans(hits, ws_root))
    ws.close()
    pairs = list(zip(results, queries, strict=True))
    ranks = [benchlib.first_hit_rank(r, q["gold"]) for r, q in pairs]
    strict = [benchlib.first_hit_rank(r, q["gold"], strict=True) for r, q in pairs]
    metrics = benchlib.group_metrics(queries, ranks, strict)
    times.sort()
    return {"task": name, "index_s": round(index_s, 1), "metrics": metrics,
            "p50_ms": round(times[len(times) // 2], 1),
            "p95_ms": round(times[int(len(times) * 0.95)], 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tasks", default="ABC")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--model", default="default")
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--out", type=Path, default=Path(benchlib.bench_dir()))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    settings = Settings(model=args.model, backend=args.backend)
    report = {}
    for task in args.tasks:
        r = run_task(task, args.out, settings, args.limit)
        report[task] = r
        rows = [(k, v) for k, v in r["metrics"].items() if k == "all" or k.startswith(
            ("lang=", "sim", "name_in"))]
        print(benchlib.format_table(rows, f"{r['task']}  index {r['index_s']}s  "
                                          f"p50 {r['p50_ms']}ms p95 {r['p95_ms']}ms"))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
