"""`nearcode serve` as an editor sees it: request latency, freshness after edits, memory.

Starts the real server (stdio, LSP framing) with the real default model on a copy of a real
package's source (default: the shared benchmark's C workspace, prompt_toolkit 3.0.52) and a fresh
index, through the LSP client of ../shared/bench/run_nearcode.py (imported, not copied). Then:

1. while the initial indexing runs: rounds of nearcode/search, nearcode/findSimilar (text, and
   a position), nearcode/completionContext, workspace/symbol and nearcode/indexStatus, one at a
   time, until indexStatus says idle;
2. idle: --rounds more rounds of the same requests;
3. save → searchable: a new file with a new function is written on disk (the server's file
   watcher has to notice it), then nearcode/search for the function's name is polled until a
   result is in that file; likewise didChange → searchable: an open buffer gets a new function
   through textDocument/didChange (full text) and is polled the same way;
4. memory: VmHWM of the server process once indexing is done (its peak so far), then the peak
   is reset (/proc/PID/clear_refs) and read again after the idle phase; plus run_nearcode's
   sampled VmRSS of the whole process tree.

Search queries are the first sentences of the package's own docstrings; positions come from the
C task's queries (call sites and their callees' definitions). Latency is wall time at the client,
one request in flight. Absolute numbers depend on the machine's load: the load average is saved.

    python bench/server_latency.py [--workspace DIR] [--server CMD] [--backend B]
                                   [--rounds 30] [--probes 5] [--json FILE]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SHARED = Path(os.environ.get("NEARCODE_SHARED_BENCH",
                             Path(__file__).resolve().parents[2] / "shared" / "bench"))
sys.path.insert(0, str(SHARED))
import benchlib  # noqa: E402
from run_nearcode import LspClient, MemSampler, _proc_status, path_uri, pct  # noqa: E402

METHODS = ("search", "findSimilar_text", "findSimilar_position", "completionContext",
           "workspace_symbol", "indexStatus")


def bench_folder() -> Path:
    for d in (benchlib.bench_dir(), "/tmp/nb"):
        if (Path(d) / "C_context" / "workspace").is_dir():
            return Path(d)
    sys.exit("the shared benchmark corpus is missing: run ../shared/bench/make_corpus.py")


def docstring_queries(root: Path, n: int, rng: random.Random) -> list[str]:
    """First sentences of function docstrings in the workspace: natural-language queries."""
    out = []
    for f in sorted(root.rglob("*.py")):
        try:
            tree = ast.parse(f.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node)
                if doc:
                    first = doc.strip().split("\n\n")[0].replace("\n", " ").split(". ")[0]
                    if 3 <= len(first.split()) <= 30:
                        out.append(first)
    rng.shuffle(out)
    return out[:n]


def lsp_position(text: str, line: int, column: int) -> dict[str, int]:
    """0-based line, code-point column -> LSP position in UTF-16 units."""
    prefix = text.split("\n")[line][:column]
    return {"line": line, "character": len(prefix.encode("utf-16-le")) // 2}


class Bench:
    """One server on one workspace copy, and the requests to time."""

    def __init__(self, args: argparse.Namespace, root: Path, cache: Path) -> None:
        self.args = args
        self.root = root
        rng = random.Random(0)
        self.queries = docstring_queries(root, 60, rng)
        cq = benchlib.read_jsonl(str(args.bench / "C_context" / "queries.jsonl"))
        rng.shuffle(cq)
        self.calls = [q for q in cq if (root / q["query"]["path"]).is_file()][:60]
        self.texts: dict[str, str] = {}
        options: dict[str, Any] = {"dbPath": str(cache / "index.db")}
        if args.backend:
            options["backend"] = args.backend
        self.options = options
        self.client = LspClient(shlex.split(args.server), str(cache / "server.stderr.log"))
        self.mem = MemSampler(self.client.proc.pid)
        self.mem.start()
        self.latency: dict[str, dict[str, list[float]]] = {"indexing": {}, "idle": {}}
        self.errors: dict[str, int] = {}

    # -- requests

    def text(self, rel: str) -> str:
        if rel not in self.texts:
            self.texts[rel] = (self.root / rel).read_text(encoding="utf-8")
        return self.texts[rel]

    def request(self, phase: str, name: str, method: str, params: Any) -> Any:
        started = time.perf_counter()
        try:
            result = self.client.request(method, params, self.args.request_timeout)
        except Exception as exc:  # an error reply or a timeout: counted, the run goes on
            self.errors[f"{phase}/{name}"] = self.errors.get(f"{phase}/{name}", 0) + 1
            if self.errors[f"{phase}/{name}"] == 1:
                print(f"  {phase} {name} failed: {str(exc)[:200]}", file=sys.stderr)
            result = None
        elapsed_ms = (time.perf_counter() - started) * 1000
        self.latency.setdefault(phase, {}).setdefault(name, []).append(elapsed_ms)
        return result

    def round(self, phase: str, i: int) -> dict[str, Any]:
        """One of each request; returns the indexStatus answer."""
        q = self.queries[i % len(self.queries)]
        call = self.calls[i % len(self.calls)]["query"]
        gold = self.calls[i % len(self.calls)]["gold"]
        call_uri = path_uri(str(self.root / call["path"]))
        gold_text = self.text(gold["path"])
        gold_uri = path_uri(str(self.root / gold["path"]))
        body = "\n".join(gold_text.split("\n")[gold["start_line"] - 1 : gold["end_line"]])
        steps: list[tuple[str, str, Any]] = [
            ("search", "nearcode/search", {"query": q, "limit": 10}),
            ("findSimilar_text", "nearcode/findSimilar", {"text": body, "limit": 10}),
            ("findSimilar_position", "nearcode/findSimilar", {
                "textDocument": {"uri": gold_uri},
                "position": {"line": gold["start_line"] - 1, "character": 0}, "limit": 10}),
            ("completionContext", "nearcode/completionContext", {
                "textDocument": {"uri": call_uri},
                "position": lsp_position(self.text(call["path"]), call["line"] - 1,
                                         call["character"]), "limit": 10}),
            ("workspace_symbol", "workspace/symbol", {"query": q}),
            ("indexStatus", "nearcode/indexStatus", {}),
        ]
        status: dict[str, Any] = {}
        for name, method, params in steps[i % len(steps):] + steps[: i % len(steps)]:
            result = self.request(phase, name, method, params)
            if name == "indexStatus" and isinstance(result, dict):
                status = result
        return status

    # -- phases

    def start(self) -> float:
        t0 = time.perf_counter()
        root_uri = path_uri(str(self.root))
        self.client.request("initialize", {
            "processId": os.getpid(), "rootUri": root_uri, "rootPath": str(self.root),
            "workspaceFolders": [{"uri": root_uri, "name": self.root.name}],
            "capabilities": {"general": {"positionEncodings": ["utf-16"]},
                             "window": {"workDoneProgress": True}},
            "initializationOptions": self.options}, self.args.request_timeout)
        initialize_ms = (time.perf_counter() - t0) * 1000
        self.client.notify("initialized", {})
        return initialize_ms

    def while_indexing(self) -> tuple[float, dict[str, Any], int]:
        t0 = time.perf_counter()
        i = 0
        while True:
            status = self.round("indexing", i)
            i += 1
            if status.get("state") == "idle" and status.get("pendingFiles", 1) == 0 \
                    and status.get("files", 0) > 0:
                return time.perf_counter() - t0, status, i
            if time.perf_counter() - t0 > self.args.index_timeout:
                raise TimeoutError(f"still indexing after {self.args.index_timeout}s: {status}")
            time.sleep(self.args.pause)

    def idle(self) -> None:
        for i in range(self.args.rounds):
            self.round("idle", i)

    def until_found(self, name: str, uri: str, started: float) -> float | None:
        """Poll nearcode/search for `name` until a hit is in `uri`; ms since `started`."""
        while time.perf_counter() - started < self.args.fresh_timeout:
            res = self.request("fresh", "search_poll", "nearcode/search",
                               {"query": name, "limit": 10}) or {}
            if any(h.get("uri") == uri for h in res.get("results", [])):
                return (time.perf_counter() - started) * 1000
            time.sleep(0.05)
        return None

    def save_to_search(self, k: int) -> float | None:
        name = f"zebra_quasar_probe_{k}"
        path = self.root / "nearcode_bench" / f"probe_{k}.py"
        path.parent.mkdir(exist_ok=True)
        text = (f"def {name}(left, right):\n    \"\"\"Blend two quasar spectra.\"\"\"\n"
                f"    return [a * 0.5 + b * 0.5 for a, b in zip(left, right)]\n")
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        started = time.perf_counter()
        tmp.replace(path)  # appears at once, as an editor's atomic save
        return self.until_found(name, path_uri(str(path)), started)

    def change_to_search(self, k: int) -> float | None:
        rel = self.calls[k % len(self.calls)]["query"]["path"]
        uri = path_uri(str(self.root / rel))
        text = self.text(rel)
        self.client.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": text}})
        time.sleep(1.0)  # the open itself is indexed (debounced) before the edit
        name = f"walrus_nebula_edit_{k}"
        new = text + f"\n\ndef {name}(items):\n    return sorted(set(items))\n"
        started = time.perf_counter()
        self.client.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": new}]})
        found = self.until_found(name, uri, started)
        self.client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        return found

    def vmhwm(self) -> float:
        return round(_proc_status(self.client.proc.pid, "VmHWM"), 1)

    def vmrss(self) -> float:
        return round(_proc_status(self.client.proc.pid, "VmRSS"), 1)

    def libraries(self) -> list[str]:
        """Which heavy native libraries the server has mapped (what its memory goes to)."""
        try:
            maps = Path(f"/proc/{self.client.proc.pid}/maps").read_text()
        except OSError:
            return []
        return [lib for lib in ("libtorch_cpu", "libonnxruntime", "libopenblas", "libgomp")
                if lib in maps]

    def reset_peak(self) -> bool:
        try:
            Path(f"/proc/{self.client.proc.pid}/clear_refs").write_text("5")
            return True
        except OSError:
            return False


def stats(ms: list[float]) -> dict[str, Any]:
    return {"n": len(ms), "p50_ms": round(pct(ms, 50), 1), "p95_ms": round(pct(ms, 95), 1),
            "max_ms": round(max(ms), 1)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    source = (args.workspace or args.bench / "C_context" / "workspace").resolve()
    with tempfile.TemporaryDirectory(prefix="nearcode-server-latency-") as tmp:
        root = Path(tmp) / source.name
        shutil.copytree(source, root, symlinks=True)
        cache = Path(tmp) / "cache"
        cache.mkdir()
        bench = Bench(args, root, cache)
        load_start = os.getloadavg()[0]
        try:
            initialize_ms = bench.start()
            rss_initialized = bench.vmrss()
            index_s, status, rounds = bench.while_indexing()
            print(f"indexed in {index_s:.1f}s with {rounds} rounds of requests: {status}",
                  file=sys.stderr)
            indexing_peak = bench.vmhwm()
            sampled_indexing = bench.mem.peak
            reset = bench.reset_peak()
            bench.idle()
            save = [bench.save_to_search(k) for k in range(args.probes)]
            change = [bench.change_to_search(k) for k in range(args.probes)]
            idle_peak = bench.vmhwm() if reset else None
            idle_rss = bench.vmrss()
            libraries = bench.libraries()
            memory = bench.mem.final()
        except Exception:
            tail = (cache / "server.stderr.log").read_text(errors="replace")[-3000:]
            print(f"server stderr ends with:\n{tail}", file=sys.stderr)
            raise
        finally:
            bench.mem.stop.set()
            bench.client.close()
        stderr_tail = (cache / "server.stderr.log").read_text(errors="replace")[-2000:]

    def fresh(ms: list[float | None]) -> dict[str, Any]:
        got = [m for m in ms if m is not None]
        return {"runs_ms": [None if m is None else round(m) for m in ms],
                "missed": len(ms) - len(got),
                **({"p50_ms": round(pct(got, 50)), "max_ms": round(max(got))} if got else {})}

    return {
        "workspace": str(source), "server": args.server, "options": bench.options,
        "machine": {"cpus": os.cpu_count(), "load_avg_1m_start": round(load_start, 2),
                    "load_avg_1m_end": round(os.getloadavg()[0], 2),
                    "date": time.strftime("%Y-%m-%d %H:%M")},
        "initialize_ms": round(initialize_ms, 1),
        "index_s": round(index_s, 1), "index_status": status, "rounds_while_indexing": rounds,
        "latency": {phase: {m: stats(v) for m, v in per.items()}
                    for phase, per in bench.latency.items() if per},
        "freshness": {"save_to_search": fresh(save), "didchange_to_search": fresh(change)},
        "memory": {"after_initialize_rss_mb": rss_initialized, "idle_rss_mb": idle_rss,
                   "native_libraries": libraries, "indexing_vmhwm_mb": indexing_peak,
                   "indexing_tree_rss_sampled_peak_mb": round(sampled_indexing, 1),
                   "idle_vmhwm_mb": idle_peak, **memory},
        "errors": bench.errors,
        "stderr_tail": stderr_tail[-600:],
    }


def print_table(r: dict[str, Any]) -> None:
    m, s = r["machine"], r["index_status"]
    print(f"\nnearcode serve on {r['workspace']}: {s.get('files')} files, {s.get('chunks')} "
          f"chunks, model {s.get('model')}; {m['cpus']} CPUs, load {m['load_avg_1m_start']}"
          f" -> {m['load_avg_1m_end']} ({m['date']})")
    print(f"initialize answered in {r['initialize_ms']} ms; initial index in {r['index_s']} s")
    head = f"{'request':<22} {'indexing p50':>12} {'p95':>7} {'idle p50':>9} {'p95':>7}"
    print(head + "\n" + "-" * len(head))
    lat = r["latency"]
    for name in METHODS:
        a = lat.get("indexing", {}).get(name, {})
        b = lat.get("idle", {}).get(name, {})
        print(f"{name:<22} {a.get('p50_ms', '-'):>12} {a.get('p95_ms', '-'):>7} "
              f"{b.get('p50_ms', '-'):>9} {b.get('p95_ms', '-'):>7}")
    for key, label in (("save_to_search", "file saved on disk -> searchable"),
                       ("didchange_to_search", "didChange -> searchable")):
        f = r["freshness"][key]
        print(f"{label:<34} p50 {f.get('p50_ms', '-')} ms, max {f.get('max_ms', '-')} ms "
              f"({f['missed']} of {len(f['runs_ms'])} not found in time)")
    mem = r["memory"]
    print(f"peak RSS (VmHWM): {mem['indexing_vmhwm_mb']} MiB by the end of indexing, "
          f"{mem['idle_vmhwm_mb']} MiB while idle (after a reset); sampled tree peak "
          f"{mem['tree_rss_sampled_peak_mb']} MiB; RSS {mem['after_initialize_rss_mb']} MiB "
          f"after initialize, {mem['idle_rss_mb']} MiB idle; mapped: "
          f"{', '.join(mem['native_libraries']) or '-'}")
    if r["errors"]:
        print("errors:", r["errors"])


def main() -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", type=Path, default=None, help="shared benchmark folder "
                    "(default: $NEARCODE_BENCH_DIR, ~/.cache/nearcode-bench or /tmp/nb)")
    ap.add_argument("--workspace", type=Path, help="source to serve (default: the bench's "
                    "C_context workspace); it is copied, never changed")
    default_server = shutil.which("nearcode", path=str(Path(sys.executable).parent)) or "nearcode"
    ap.add_argument("--server", default=f"{default_server} serve")
    ap.add_argument("--backend", help="initializationOptions backend (default: the server's)")
    ap.add_argument("--rounds", type=int, default=30, help="idle rounds of every request")
    ap.add_argument("--probes", type=int, default=5, help="edits timed to searchable, per kind")
    ap.add_argument("--pause", type=float, default=0.2, help="seconds between rounds while "
                    "indexing")
    ap.add_argument("--request-timeout", type=float, default=120.0)
    ap.add_argument("--index-timeout", type=float, default=1800.0)
    ap.add_argument("--fresh-timeout", type=float, default=30.0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    args.bench = args.bench or bench_folder()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    report = run(args)
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return report


if __name__ == "__main__":
    main()
