"""Score a nearcode server on the realistic-questions dev set, over LSP, next to plain BM25.

Run (from the repository root, with nearcode's venv: it has tree-sitter and rank-bm25):
    .venv/bin/python bench/questions/score.py --server ".venv/bin/nearcode serve" \\
        [--projects sanic,kong] [--report FILE.json] [--markdown FILE.md]

For each project of projects.toml (fetched first, see fetch.py) it starts a fresh server on that
workspace with an empty index folder ($NEARCODE_CACHE_DIR set to a new temporary folder unless
--cache-dir), waits until `nearcode/indexStatus` says idle, then asks every question of
questions.jsonl twice, one request at a time: `nearcode/search` {query, limit: 10} and
`workspace/symbol` {query} (first 10). The LSP client is ../shared/bench/run_nearcode.py's, imported
(--shared-bench, else $NEARCODE_SHARED_BENCH, else <repo>/../shared/bench), and so are the shared
scoring rule (benchlib: a hit overlaps an answer's span in the answer's file; strict also needs
half of the returned lines inside it) and BM25 (baselines.py: identifier-split tokens) run here
over the workspace's definitions as tree-sitter finds them (defs.py).

Reported for each method, overall, per project and per language: hit@1, hit@5, hit@10, MRR@10,
strict MRR@10; and what a developer would notice in the lists: lists holding two hits of one
definition (or two overlapping hits), hits without a name (no `symbol`, or a name like `/**`),
hits that are only a comment block, and test files among the first five.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
import defs  # noqa: E402
import fetch  # noqa: E402

QUESTIONS = HERE / "questions.jsonl"
LIMIT = 10
NO_SPAN = {"path": "", "start_line": 0, "end_line": 0}
METHODS = ("search", "workspace_symbol", "bm25")
_NAMELESS = re.compile(r"^\s*(/\*|\*|//|#(?![A-Za-z_$])|\"\"\"|'''|--|$)")


def import_shared(path: str | None):
    """run_nearcode (LSP client), benchlib (scoring) and baselines (BM25) from ../shared/bench."""
    shared = Path(path or os.environ.get("NEARCODE_SHARED_BENCH")
                  or REPO.parent / "shared" / "bench")
    if not (shared / "run_nearcode.py").is_file():
        sys.exit(f"score.py: the shared benchmark is not at {shared} (no run_nearcode.py "
                 "there). This "
                 "scorer imports its LSP client, scoring rule and BM25 from ../shared/bench: "
                 "put the shared folder beside the repository, or pass --shared-bench DIR or set "
                 "$NEARCODE_SHARED_BENCH.")
    sys.path.insert(0, str(shared))
    try:
        import baselines
        import benchlib
        import run_nearcode
    except ImportError as exc:
        sys.exit(f"score.py: {exc}. Run it with nearcode's venv (.venv/bin/python), which has "
                 "rank-bm25, numpy and tree-sitter-language-pack.")
    return run_nearcode, benchlib, baselines


def load_questions(path: Path = QUESTIONS) -> list[dict]:
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def is_nameless(name: str | None) -> bool:
    """No name, or a 'name' that is the first line of a comment or docstring."""
    return not name or not name.strip() or bool(_NAMELESS.match(name))


# ----------------------------------------------------------------------------- the server
def ask_server(project: dict, questions: list[dict], root: Path, args, shared) -> dict:
    """Index `root` with a fresh server, then ask every question by search and workspace/symbol."""
    rn = shared[0]
    cache = args.cache_dir or tempfile.mkdtemp(prefix="nearcode-questions-")
    os.environ["NEARCODE_CACHE_DIR"] = str(cache)
    stderr_path = os.path.join(tempfile.gettempdir(),
                               f"nearcode-questions-{project['id']}.stderr.log")
    t0 = time.time()
    client = rn.LspClient(shlex.split(args.server), stderr_path)
    mem = rn.MemSampler(client.proc.pid)
    mem.start()
    out: dict = {"errors": {}, "stderr": stderr_path}
    try:
        uri = rn.path_uri(str(root))
        init = client.request("initialize", {
            "processId": os.getpid(), "clientInfo": {"name": "nearcode-questions", "version": "1"},
            "rootUri": uri, "rootPath": str(root),
            "workspaceFolders": [{"uri": uri, "name": project["id"]}],
            "capabilities": {"general": {"positionEncodings": ["utf-16"]},
                             "window": {"workDoneProgress": True},
                             "workspace": {"configuration": True, "workspaceFolders": True,
                                           "symbol": {"resolveSupport": {
                                               "properties": ["location.range"]}}}},
            "initializationOptions": {}}, args.request_timeout)
        caps = (init or {}).get("capabilities", {})
        client.notify("initialized", {})
        while True:
            status = client.request("nearcode/indexStatus", {}, args.request_timeout)
            if status.get("state") == "idle" and status.get("pendingFiles", 0) == 0 \
                    and status.get("files", 0) > 0:
                break
            if time.time() - t0 > args.index_timeout:
                raise TimeoutError(f"index not idle after {args.index_timeout}s: {status}")
            time.sleep(0.5)
        out["index_s"] = round(time.time() - t0, 1)
        out["index_status"] = status
        print("{}: indexed in {:.0f}s {}".format(project["id"], out["index_s"], status), flush=True)
        resolve = isinstance(caps.get("workspaceSymbolProvider"), dict) and \
            caps["workspaceSymbolProvider"].get("resolveProvider")

        def ask(name, method, params, pick):
            t = time.perf_counter()
            try:
                res = pick(client.request(method, params, args.request_timeout))
            except Exception as exc:  # error reply, timeout, dead server: an empty list
                out["errors"][name] = out["errors"].get(name, 0) + 1
                out.setdefault("first_error", {}).setdefault(name, str(exc)[:300])
                res = []
            return res, round((time.perf_counter() - t) * 1000.0, 1)

        def hits(r):
            return [dict(rn.to_span(h.get("uri"), h.get("range"), str(root)) or NO_SPAN,
                         symbol=h.get("symbol")) for h in ((r or {}).get("results") or [])[:LIMIT]]

        def symbols(r):
            found = []
            for s in (r or [])[:LIMIT]:
                loc = s.get("location") or {}
                if "range" not in loc and resolve:
                    loc = (client.request("workspaceSymbol/resolve", s, args.request_timeout)
                           or {}).get("location") or {}
                span = rn.to_span(loc.get("uri"), loc.get("range"), str(root)) or NO_SPAN
                found.append(dict(span, symbol=s.get("name")))
            return found

        runs: dict[str, list] = {"search": [], "workspace_symbol": []}
        for q in questions:
            runs["search"].append(ask("search", "nearcode/search",
                                      {"query": q["question"], "limit": LIMIT}, hits))
            runs["workspace_symbol"].append(ask("workspace_symbol", "workspace/symbol",
                                                {"query": q["question"]}, symbols))
        out["memory"] = mem.final()
        out["latency"] = {m: rn.latency_stats([ms for _, ms in r]) for m, r in runs.items()}
        out["results"] = {m: [res for res, _ in r] for m, r in runs.items()}
    except Exception:
        tail = open(stderr_path, errors="replace").read()[-2000:]
        print(f"server stderr ({stderr_path}) ends with:\n{tail}", file=sys.stderr)
        raise
    finally:
        mem.stop.set()
        client.close()
    return out


# ----------------------------------------------------------------------------- BM25
def ask_bm25(questions: list[dict], index: dict, shared) -> list[list[dict]]:
    """Plain BM25 (shared baselines.run_bm25) over every definition of the workspace."""
    cands = [dict(path=d.path, start_line=d.outer_start, end_line=d.end_line, text=d.text,
                  symbol=d.name) for fi in index.values() for d in fi.definitions]
    queries = [{"task": "search", "query": q["question"]} for q in questions]
    return [[{k: c[k] for k in ("path", "start_line", "end_line", "symbol")} for c in res]
            for res in shared[2].run_bm25(cands, queries)]


# ----------------------------------------------------------------------------- judging
def judge(q: dict, results: list[dict], index: dict, benchlib) -> dict:
    """Rank of the first hit (any answer), and what a developer would notice in the list."""
    spans = [r if r["path"] else NO_SPAN for r in results[:LIMIT]]

    def rank(strict: bool):
        rs = [benchlib.first_hit_rank(spans, a, strict=strict) for a in q["answers"]]
        return min((r for r in rs if r), default=None)

    real: list[dict] = [r for r in spans if r["path"]]
    owners = [defs.owner(index, r) for r in real]
    overlapping = any(a["path"] == b["path"] and benchlib.overlap(a, b) > 0
                      for i, a in enumerate(real) for b in real[i + 1:])
    return {
        "rank": rank(False), "strict_rank": rank(True),
        "same_definition": len(owners) != len(set(owners)),
        "overlapping": overlapping,
        "nameless": sum(is_nameless(r.get("symbol")) for r in results[:LIMIT]),
        "comment_only": sum(defs.comment_only(index, r) for r in real),
        "tests_top5": sum(defs.path_kind(r["path"]) == "test" for r in real[:5]),
        "first_kind": defs.path_kind(real[0]["path"]) if real else None,
        "results": [[r["path"], r["start_line"], r["end_line"], r.get("symbol")]
                    for r in results[:LIMIT]],
    }


def metrics(judged: list[dict], benchlib) -> dict:
    """hit@k / MRR over questions, and the list-hygiene counts."""
    m = benchlib.summarize([j["rank"] for j in judged], [j["strict_rank"] for j in judged])
    hits = sum(len(j["results"]) for j in judged)
    return {
        "n": m["n"], "hit@1": m["r@1"], "hit@5": m["r@5"], "hit@10": m["r@10"],
        "mrr@10": m["mrr@10"], "strict_mrr@10": m["strict_mrr@10"],
        "lists_same_definition": sum(j["same_definition"] for j in judged),
        "lists_overlapping": sum(j["overlapping"] for j in judged),
        "lists_with_nameless": sum(j["nameless"] > 0 for j in judged),
        "hits": hits,
        "nameless_hits": sum(j["nameless"] for j in judged),
        "comment_only_hits": sum(j["comment_only"] for j in judged),
        "test_hits_top5": sum(j["tests_top5"] for j in judged),
        "first_hit_is_test": sum(j["first_kind"] == "test" for j in judged),
    }


def grouped(questions: list[dict], judged: dict[str, list[dict]], benchlib) -> dict:
    """Metrics per method: all, project=..., language=..."""
    groups: dict[str, list[int]] = {"all": list(range(len(questions)))}
    for key in ("project", "language"):
        for i, q in enumerate(questions):
            groups.setdefault(f"{key}={q[key]}", []).append(i)
    return {method: {g: metrics([js[i] for i in ix], benchlib) for g, ix in groups.items()}
            for method, js in judged.items() if len(js) == len(questions)}


# ----------------------------------------------------------------------------- report
def tables(summary: dict) -> str:
    """Markdown: quality side by side, then list hygiene per method."""
    methods = [m for m in METHODS if m in summary]
    rows = list(next(iter(summary.values())).keys())
    head = "| slice | n | " + " | ".join(f"{m} hit@1 | hit@5 | MRR@10" for m in methods) + " |"
    out = [head, "|" + " --- |" * (2 + 3 * len(methods))]
    for g in rows:
        cells = [g, str(summary[methods[0]][g]["n"])]
        for m in methods:
            s = summary[m][g]
            cells += [f"{s['hit@1']:.2f}", f"{s['hit@5']:.2f}", f"{s['mrr@10']:.3f}"]
        out.append("| " + " | ".join(cells) + " |")
    out += ["", "| method | slice | lists with 2 hits of 1 definition "
            "| lists with overlapping hits | nameless hits | comment-only hits "
            "| test hits in top 5 | first hit a test |",
            "|" + " --- |" * 8]
    for m in methods:
        for g in rows:
            if g != "all" and not g.startswith("project="):
                continue
            s = summary[m][g]
            out.append(
                f"| {m} | {g} | {s['lists_same_definition']} / {s['n']} | "
                f"{s['lists_overlapping']} | {s['nameless_hits']} / {s['hits']} | "
                f"{s['comment_only_hits']} | {s['test_hits_top5']} | {s['first_hit_is_test']} |")
    return "\n".join(out)


def git_head() -> str | None:
    try:
        return subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", default="nearcode serve",
                    help="the server's command line; 'none' scores BM25 only")
    ap.add_argument("--projects", help="comma-separated project ids (default: all)")
    ap.add_argument("--out", type=Path, default=None,
                    help=f"folder of the fetched projects (default: {fetch.default_dir()})")
    ap.add_argument("--shared-bench", help="the shared benchmark folder (run_nearcode.py etc.)")
    ap.add_argument("--cache-dir", help="NEARCODE_CACHE_DIR for the servers (default: a new "
                    "temporary folder per project, so every run indexes from scratch)")
    ap.add_argument("--index-timeout", type=float, default=3600.0)
    ap.add_argument("--request-timeout", type=float, default=120.0)
    ap.add_argument("--limit", type=int, default=0, help="first N questions per project (debug)")
    ap.add_argument("--report", type=Path, help="JSON report (default: <out>/report.json)")
    ap.add_argument("--markdown", type=Path, help="also write the tables to this file")
    args = ap.parse_args()
    shared = import_shared(args.shared_bench)
    benchlib = shared[1]
    out_dir = (args.out or fetch.default_dir()).expanduser().resolve()
    projects = fetch.select(fetch.load_projects(), args.projects)
    all_q = load_questions()
    questions: list[dict] = []
    judged: dict[str, list[dict]] = {m: [] for m in METHODS}
    runs: dict[str, dict] = {}
    for project in projects:
        qs = [q for q in all_q if q["project"] == project["id"]]
        qs = qs[:args.limit] if args.limit else qs
        root = fetch.fetch(project, out_dir)
        index = defs.index_workspace(str(root))
        results = {"bm25": ask_bm25(qs, index, shared)}
        if args.server != "none":
            run = ask_server(project, qs, root, args, shared)
            results.update(run.pop("results"))
            runs[project["id"]] = run
        for method, res in results.items():
            judged[method] += [judge(q, r, index, benchlib) for q, r in zip(qs, res, strict=False)]
        questions += qs
    summary = grouped(questions, judged, benchlib)
    table = tables(summary)
    print(table)
    report = {
        "command": " ".join(shlex.quote(a) for a in sys.argv), "server": args.server,
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "scorer_commit": git_head(), "load_average": os.getloadavg(),
        "projects": {p["id"]: {k: p[k] for k in ("registry", "name", "version", "language")}
                     for p in projects},
        "runs": runs, "metrics": summary,
        "questions": [dict(id=q["id"], **{m: judged[m][i] for m in METHODS
                                          if len(judged[m]) == len(questions)})
                      for i, q in enumerate(questions)],
    }
    path = args.report or out_dir / "report.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1) + "\n")
    if args.markdown:
        args.markdown.write_text(table + "\n")
    print("saved", path)


if __name__ == "__main__":
    main()
