"""`nearcode search` and `nearcode similar` as a user (or an agent) runs them: wall and CPU time
of the whole process on an indexed workspace, with and without a running `nearcode serve`.

Two copies of one source tree (default: nearcode's own `server/nearcode`, ~110 files) are
indexed with the real default model. A `nearcode serve` is started on copy B only, through the
LSP client of ../shared/bench/run_nearcode.py (imported, not copied), and left idle once its
index is complete. Then each command runs in a fresh process in A (no server: imports, model,
sync walk, query) and in B (answered by the server, app/endpoint.py), alternately, A B A B,
--runs times each, after one warm-up pair. The two copies hold the same files, so A and B must
print the same output: checked on every pair. Reported: median/min/max wall and CPU per side,
and the B/A wall ratio pair by pair (the figure to trust on a shared machine). `python -c pass`
is timed alongside as the floor any process pays.

    python bench/cli_speed.py [--source DIR] [--runs 10] [--model M] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NEARCODE_SHARED_BENCH", REPO.parent / "shared" / "bench"))
sys.path.insert(0, str(SHARED))
from run_nearcode import LspClient, path_uri  # noqa: E402

NEARCODE = [sys.executable, "-m", "nearcode"]
COMMANDS = {  # name -> arguments, run in the workspace copy
    "search": ["search", "debounce file system events before indexing them", "-k", "10"],
    "search --json": ["search", "where is a corrupt index file set aside", "--json"],
    "similar": ["similar", "search/similar.py:41", "-k", "10"],
}


def timed(argv: list[str], cwd: Path) -> tuple[float, float, str]:
    """(wall s, CPU s, stdout) of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{argv} failed ({done.returncode}): {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def start_server(root: Path, log: Path, timeout: float, model: list[str]) -> LspClient:
    """`nearcode serve` on `root`, initialized and idle with its index complete."""
    client = LspClient([*NEARCODE, "serve", *model], str(log))
    uri = path_uri(str(root))
    client.request("initialize", {
        "processId": os.getpid(), "rootUri": uri, "rootPath": str(root),
        "workspaceFolders": [{"uri": uri, "name": root.name}],
        "capabilities": {"window": {"workDoneProgress": True}}}, 120)
    client.notify("initialized", {})
    deadline = time.monotonic() + timeout
    while True:
        status = client.request("nearcode/indexStatus", {}, 60)
        if status["state"] == "idle" and status["pendingFiles"] == 0 and status["files"] > 0:
            return client
        if time.monotonic() > deadline:
            raise TimeoutError(f"still indexing after {timeout}s: {status}")
        time.sleep(0.5)


def summary(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    if not os.environ.get("NEARCODE_CACHE_DIR"):
        sys.exit("set NEARCODE_CACHE_DIR to a folder of your own (bench/README.md)")
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="nearcode-cli-speed-") as tmp:
        copies = {side: Path(tmp) / side / args.source.name for side in "AB"}
        for root in copies.values():
            shutil.copytree(args.source, root, ignore=shutil.ignore_patterns("__pycache__"))
            (root / ".git").mkdir()
            started = time.perf_counter()
            subprocess.run([*NEARCODE, "index", str(root), *args.model], check=True,
                           capture_output=True)
            print(f"indexed {root} in {time.perf_counter() - started:.0f}s", file=sys.stderr)
        log = Path(tmp) / "serve.stderr.log"
        client = start_server(copies["B"], log, args.index_timeout, args.model)
        try:
            results = {name: measure([*argv, *args.model], copies, args.runs)
                       for name, argv in COMMANDS.items()}
            floor = [timed([sys.executable, "-c", "pass"], Path(tmp))[0]
                     for _ in range(args.runs)]
        except Exception:
            print(f"server stderr ends with:\n{log.read_text(errors='replace')[-3000:]}",
                  file=sys.stderr)
            raise
        finally:
            client.close()
    return {"source": str(args.source), "runs": args.runs, "model": args.model,
            "commands": results,
            "python_pass_wall_s": summary(floor),
            "machine": {"cpus": os.cpu_count(), "load_avg_1m_start": round(load_start, 2),
                        "load_avg_1m_end": round(os.getloadavg()[0], 2),
                        "date": time.strftime("%Y-%m-%d %H:%M")}}


def measure(argv: list[str], copies: dict[str, Path], runs: int) -> dict[str, Any]:
    """A B A B: `argv` without a server (A) and answered by one (B)."""
    walls: dict[str, list[float]] = {"A": [], "B": []}
    cpus: dict[str, list[float]] = {"A": [], "B": []}
    for i in range(runs + 1):  # the first pair warms the file cache
        outputs = {}
        for side in "AB":
            wall, cpu, out = timed([*NEARCODE, *argv], copies[side])
            outputs[side] = out.replace(str(copies[side]), "<root>")
            if i:
                walls[side].append(wall)
                cpus[side].append(cpu)
        if outputs["A"] != outputs["B"]:
            raise AssertionError(f"{argv}: the server's answer differs from the CLI's own")
    ratios = [b / a for a, b in zip(walls["A"], walls["B"], strict=True)]
    return {"argv": argv, "wall_s": {s: summary(v) for s, v in walls.items()},
            "cpu_s": {s: summary(v) for s, v in cpus.items()},
            "ratio_b_over_a": summary(ratios)}


def print_table(r: dict[str, Any]) -> None:
    m = r["machine"]
    print(f"nearcode CLI, {r['runs']} runs per side, A B A B; {m['date']}, load "
          f"{m['load_avg_1m_start']} -> {m['load_avg_1m_end']}; python -c pass: "
          f"{r['python_pass_wall_s']['median']:.3f} s")
    print("| command | A: no server, wall s (min-max) | B: served, wall s (min-max) "
          "| B/A wall, per pair | A / B CPU s |")
    print("| --- | --- | --- | --- | --- |")
    for name, c in r["commands"].items():
        a, b, ratio = c["wall_s"]["A"], c["wall_s"]["B"], c["ratio_b_over_a"]
        print(f"| `{name}` | {a['median']:.3f} ({a['min']:.3f}-{a['max']:.3f}) "
              f"| {b['median']:.3f} ({b['min']:.3f}-{b['max']:.3f}) "
              f"| {ratio['median']:.2f}x ({ratio['min']:.2f}-{ratio['max']:.2f}) "
              f"| {c['cpu_s']['A']['median']:.2f} / {c['cpu_s']['B']['median']:.2f} |")


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=REPO / "server" / "nearcode",
                        help="the source tree to copy twice (default: nearcode's own)")
    parser.add_argument("--runs", type=int, default=10, help="timed runs per side and command")
    parser.add_argument("--model", help="a model other than the default ('fake': a smoke test)")
    parser.add_argument("--index-timeout", type=float, default=1800)
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    args.source = args.source.resolve()
    args.model = ["--model", args.model] if args.model else []
    result = run(args)
    print_table(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
