"""Score findSimilar on the code -> code dev set, in-process, next to plain BM25.

Run (nearcode's venv: tree-sitter, rank-bm25, numpy; make.py first):
    .venv/bin/python bench/clones/score.py [--out DIR] [--packages qs,tcell]
        [--param MODULE.NAME=VALUE ...] [--sweep MODULE.NAME=V1;V2;...] [--cache-dir DIR]
        [--json FILE] [--markdown FILE]

Each package's workspace (the newer release, DIR/<id>/workspace) is indexed in-process by
nearcode's Workspace into --cache-dir (kept between runs, so only the first run embeds), and
every query (the older release's function body) goes to `ws.retriever.similar(body, 10)`:
the code path of `nearcode/findSimilar` {text}. The query vectors are computed once per package
(one query at a time, as the server does) and passed in, so a sweep costs no model time.

BM25 is ../shared/bench/baselines.run_bm25 (identifier-split tokens, rank_bm25) over every
definition of the same workspace as tree-sitter finds it (bench/questions/defs.py), like
bench/questions/score.py. The scoring rule is ../shared/bench/benchlib's: a result is a hit when
it overlaps the gold span in the gold file; only the first 10 count.

Reported: MRR@10, hit@1, hit@5 per package and per similarity stratum (nearcode and BM25 side
by side), overall over the changed pairs, and the `identical` stratum apart.

--param M.N=V sets a module constant for the whole run: a Python literal, or an expression in
the module's names (`nearcode.search.retrieval.SIMILAR_WEIGHTS=Weights(0.2, 1.0)`).
--sweep M.N=V1;V2;... runs every value and decides leave-one-package-out: for each package,
the value that scores best (mean MRR@10 over the changed pairs) on the OTHER packages is
applied to it; the table shows each value's per-package MRR and that held-out choice. A sweep
leaves the identical stratum out (it only reports, and it is most of the queries).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE.parent / "questions"))
sys.path.insert(0, str(HERE))
import defs  # noqa: E402  (bench/questions/defs.py)
import fetch  # noqa: E402
import make  # noqa: E402
from params import override  # noqa: E402  (bench/questions/params.py)

LIMIT = 10


def import_shared():
    shared = Path(os.environ.get("NEARCODE_SHARED_BENCH") or REPO.parent / "shared" / "bench")
    sys.path.insert(0, str(shared))
    import baselines
    import benchlib
    return benchlib, baselines


def restore(undo: list[tuple[object, str, object]]) -> None:
    for mod, name, value in reversed(undo):
        setattr(mod, name, value)


def load_queries(out: Path, pkg: str) -> list[dict]:
    with open(out / pkg / "queries.jsonl") as f:
        return [json.loads(line) for line in f if line.strip()]


class Package:
    """One package's workspace, indexed once, and its queries with their vectors."""

    def __init__(self, out: Path, pkg: str, model: str, changed_only: bool = False) -> None:
        from nearcode.app.workspace import Workspace
        from nearcode.config import Settings

        self.id = pkg
        self.root = out / pkg / "workspace"
        self.queries = [q for q in load_queries(out, pkg)
                        if not (changed_only and q["stratum"] == make.IDENTICAL)]
        self.ws = Workspace([self.root], Settings(model=model, watch=False))
        self.ws.sync()
        # one at a time, as the server embeds a query (a batch pads, which moves the vectors)
        self.vectors = [self.ws.retriever.embed_query(q["query"]) for q in self.queries]
        self.index = defs.index_workspace(str(self.root))

    def similar(self) -> list[list[dict]]:
        return [[{"path": h.path, "start_line": h.start_line, "end_line": h.end_line}
                 for h in self.ws.retriever.similar(q["query"], LIMIT, vector=v)]
                for q, v in zip(self.queries, self.vectors, strict=True)]

    def bm25(self, baselines) -> list[list[dict]]:
        cands = [dict(path=d.path, start_line=d.outer_start, end_line=d.end_line, text=d.text)
                 for fi in self.index.values() for d in fi.definitions]
        queries = [{"task": "similar", "query": q["query"]} for q in self.queries]
        return [[{k: c[k] for k in ("path", "start_line", "end_line")} for c in res]
                for res in baselines.run_bm25(cands, queries)]

    def close(self) -> None:
        self.ws.close()


def ranks(queries: list[dict], results: list[list[dict]], benchlib) -> list[int | None]:
    return [benchlib.first_hit_rank(r, q["gold"]) for q, r in zip(queries, results, strict=True)]


def metrics(rs: list[int | None]) -> dict:
    n = len(rs)
    if not n:
        return {"n": 0, "mrr@10": 0.0, "hit@1": 0.0, "hit@5": 0.0}
    return {"n": n, "mrr@10": sum(1 / r for r in rs if r) / n,
            "hit@1": sum(1 for r in rs if r == 1) / n,
            "hit@5": sum(1 for r in rs if r and r <= 5) / n}


def groups(queries: list[dict]) -> dict[str, list[int]]:
    """Slice name -> indexes of the queries in it: each package and stratum (changed pairs),
    each package x stratum, 'overall' (changed pairs) and 'identical'."""
    out: dict[str, list[int]] = {}
    for i, q in enumerate(queries):
        s = q["stratum"]
        if s == make.IDENTICAL:
            out.setdefault("identical", []).append(i)
            out.setdefault(f"identical/{q['pkg']}", []).append(i)
            continue
        for g in ("overall", f"pkg={q['pkg']}", f"sim={s}", f"{q['pkg']}/{s}"):
            out.setdefault(g, []).append(i)
    return out


def summarize(queries: list[dict], by_method: dict[str, list[int | None]]) -> dict:
    return {g: {m: metrics([rs[i] for i in idx]) for m, rs in by_method.items()}
            for g, idx in groups(queries).items()}


def table(summary: dict, packages: list[str]) -> str:
    rows = (["overall"] + [f"pkg={p}" for p in packages] + [f"sim={s}" for s in make.STRATA]
            + ["identical"])
    out = ["| slice | n | nearcode MRR@10 | BM25 MRR@10 | nearcode hit@1 | BM25 hit@1 | "
           "nearcode hit@5 | BM25 hit@5 |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for g in rows:
        if g not in summary:
            continue
        a, b = summary[g]["nearcode"], summary[g]["bm25"]
        flag = " **<**" if a["mrr@10"] < b["mrr@10"] - 1e-9 else ""
        out.append(f"| {g} | {a['n']} | {a['mrr@10']:.3f}{flag} | {b['mrr@10']:.3f} | "
                   f"{a['hit@1']:.2f} | {b['hit@1']:.2f} | {a['hit@5']:.2f} | {b['hit@5']:.2f} |")
    out += ["", "MRR@10 per package and stratum, nearcode / BM25 (n):", "",
            "| package | " + " | ".join(make.STRATA) + " |",
            "| --- |" + " --- |" * len(make.STRATA)]
    for p in packages:
        cells = []
        for s in make.STRATA:
            g = summary.get(f"{p}/{s}")
            cells.append("" if g is None else "{:.2f} / {:.2f} ({})".format(
                g["nearcode"]["mrr@10"], g["bm25"]["mrr@10"], g["nearcode"]["n"]))
        out.append(f"| {p} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def lopo(values: list[str], per_value: dict[str, dict], packages: list[str]) -> str:
    """Leave-one-package-out: each package gets the value best on the others (mean of the
    other packages' MRR@10, each package weighing the same)."""
    def mrr(v: str, p: str) -> float:
        return per_value[v][f"pkg={p}"]["nearcode"]["mrr@10"]

    head = "| package | BM25 | " + " | ".join(values) + " | held-out choice | held-out MRR |"
    out = [head, "| --- |" + " --- |" * (len(values) + 3)]
    held = []
    for p in packages:
        others = [o for o in packages if o != p]
        choice = max(values, key=lambda v: sum(mrr(v, o) for o in others))
        held.append(mrr(choice, p))
        bm = per_value[values[0]][f"pkg={p}"]["bm25"]["mrr@10"]
        out.append(f"| {p} | {bm:.3f} | " + " | ".join(f"{mrr(v, p):.3f}" for v in values)
                   + f" | {choice} | {mrr(choice, p):.3f} |")
    means = [sum(mrr(v, p) for p in packages) / len(packages) for v in values]
    out.append("| mean of packages | | " + " | ".join(f"{m:.3f}" for m in means)
               + f" | | {sum(held) / len(held):.3f} |")
    for s in make.STRATA:
        cells = [per_value[v].get(f"sim={s}", {}).get("nearcode", {}).get("mrr@10", 0.0)
                 for v in values]
        out.append(f"| sim={s} | | " + " | ".join(f"{c:.3f}" for c in cells) + " | | |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--packages")
    ap.add_argument("--model", default="default")
    ap.add_argument("--param", action="append", default=[], help="MODULE.NAME=VALUE")
    ap.add_argument("--sweep", help="MODULE.NAME=V1;V2;... (decided leave-one-package-out)")
    ap.add_argument("--cache-dir", type=Path, default=None)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args()
    out = (args.out or fetch.default_dir()).expanduser().resolve()
    os.environ["NEARCODE_CACHE_DIR"] = str(args.cache_dir or out / "cache")
    benchlib, baselines = import_shared()
    override(args.param)
    packages = [p["id"] for p in fetch.select(fetch.load_packages(), args.packages)]
    queries: list[dict] = []
    bm25: list[int | None] = []
    loaded = []
    for pkg in packages:
        p = Package(out, pkg, args.model, changed_only=bool(args.sweep))
        loaded.append(p)
        queries += p.queries
        bm25 += ranks(p.queries, p.bm25(baselines), benchlib)

    def run() -> list[int | None]:
        rs: list[int | None] = []
        for p in loaded:
            rs += ranks(p.queries, p.similar(), benchlib)
        return rs

    report: dict = {"params": args.param, "packages": packages}
    if args.sweep:
        target, _, values = args.sweep.partition("=")
        vals = [v.strip() for v in values.split(";") if v.strip()]
        per_value = {}
        for v in vals:
            undo = override([f"{target}={v}"])
            per_value[v] = summarize(queries, {"nearcode": run(), "bm25": bm25})
            restore(undo)
        text = f"sweep {target} (nearcode MRR@10 per package; changed pairs)\n\n" + lopo(
            vals, per_value, packages)
        report["sweep"] = {"target": target, "values": per_value}
    else:
        nearcode = run()
        summary = summarize(queries, {"nearcode": nearcode, "bm25": bm25})
        text = table(summary, packages)
        report["summary"] = summary
        report["queries"] = [{"id": q["id"], "stratum": q["stratum"], "nearcode": a, "bm25": b}
                             for q, a, b in zip(queries, nearcode, bm25, strict=True)]
    for p in loaded:
        p.close()
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")
    if args.json:  # one line per query
        queries = report.pop("queries", None)
        text = json.dumps(report, indent=1)
        if queries is not None:
            text = text[:-2] + ',\n "queries": [\n' + ",\n".join(
                "  " + json.dumps(q) for q in queries) + "\n ]\n}"
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
