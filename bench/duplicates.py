"""Near-duplicate detection: precision/recall on planted clones, and time against workspace size.

Three parts (`--parts`, all by default):

  planted  tests/data/duplicates (its planted.json names the clones; getters, setters and
           same-topic statistics functions are the look-alikes): precision and recall of the
           reported pairs, with the fake embedder and the real model, over a grid of thresholds.
  mutants  N functions of the Python standard library, each copied once into a new file of a
           copy of the stdlib with one planted change: `edited` (a line added, the function
           renamed), `renamed` (up to three parameters or locals renamed consistently, and the
           function) or `fixed` (one operator or constant changed, as a bug fix does). Recall per
           kind: is the copy paired with its original?
  scale    `find_duplicates` on stdlib subsets of about 1k, 5k, 10k and 20k chunks: seconds (the
           vector queries apart), pairs, groups, the growth exponent of time against chunk count,
           and the time the server needs for one file's hints (`duplicates_of`).

The stdlib copy is indexed once with the real model (about 20 minutes on two busy cores; reused
from --workdir afterwards, or seeded from an existing index with --seed-db); every other index
of the run starts with its vectors, so only new chunks (the mutants) are embedded.

    python bench/duplicates.py [--workdir DIR] [--parts planted,mutants,scale]
                               [--sizes 1000,5000,10000,20000] [--mutants 90] [--json FILE]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import re
import shutil
import statistics
import sys
import sysconfig
import tempfile
import textwrap
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
from nearcode.app.workspace import Workspace  # noqa: E402
from nearcode.code.likeness import code_tokens  # noqa: E402
from nearcode.config import Settings  # noqa: E402
from nearcode.search import copies  # noqa: E402
from nearcode.search import duplicates as d  # noqa: E402
from nearcode.store.sqlite import Store  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "data" / "duplicates"
THRESHOLDS = [0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
LEXICALS = [0.5, 0.6, 0.65, 0.7, 0.75, 0.8]
SKIP_DIRS = {"site-packages", "test", "tests", "idle_test", "__pycache__", "lib2to3"}

PairKey = frozenset[tuple[str, str | None]]


# ----------------------------------------------------------------------------- helpers


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine()}


def all_pairs(report: d.Report) -> list[copies.Pair]:
    return [p for g in report.groups for p in g.pairs]


def key(p: copies.Pair) -> PairKey:
    return frozenset({(p.a.path, p.a.symbol), (p.b.path, p.b.symbol)})


def precision_recall(found: set[PairKey], truth: set[PairKey]) -> dict[str, float]:
    hit = len(found & truth)
    return {"precision": round(hit / len(found), 3) if found else 1.0,
            "recall": round(hit / len(truth), 3) if truth else 1.0,
            "reported": len(found), "planted_found": hit, "planted": len(truth)}


def copy_stdlib(dst: Path) -> None:
    """The stdlib's .py files (no tests, no site-packages), as a workspace folder."""
    src = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src)
        if SKIP_DIRS & set(rel.parts[:-1]) or rel.parts[0].startswith("config-"):
            continue
        out = dst / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out)


def open_seeded(root: Path, db: Path, settings: Settings, seeds: Sequence[Path]) -> Workspace:
    """A workspace whose index starts with every vector of the `seeds` indexes (same model),
    then syncs: only chunks none of them holds are embedded."""
    ws = Workspace([root], Settings(**{**settings.__dict__, "db_path": str(db)}))
    store = ws.folders[0].store
    store.ensure_model(ws.embedder.model_id, ws.embedder.dim)
    for seed in seeds:
        if not seed.is_file() or seed.resolve() == db.resolve():
            continue
        other = Store(seed)
        try:
            if other.model_id == ws.embedder.model_id:
                rows = other.db.execute("SELECT hash, vector FROM embeddings").fetchall()
                store.put_vectors({h: np.frombuffer(v, dtype="<f4") for h, v in rows})
        finally:
            other.close()
    started = time.monotonic()
    report = ws.sync()
    log(f"  indexed {root.name}: {ws.counts()[1]} chunks, {report.chunks_embedded} embedded "
        f"in {time.monotonic() - started:.0f}s")
    return ws


@contextmanager
def timed_knn() -> Iterator[list[float]]:
    """Seconds spent in Store.vector_candidates while inside."""
    spent = [0.0]
    original = Store.vector_candidates

    def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - t0

    Store.vector_candidates = wrapper  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        Store.vector_candidates = original  # type: ignore[method-assign]


# ----------------------------------------------------------------------------- planted


def planted(settings: Settings) -> dict[str, Any]:
    manifest = json.loads((FIXTURE / "planted.json").read_text())
    truth: set[PairKey] = set()
    for clone in manifest["clones"]:
        members = [tuple(m.split(":")) for m in clone["members"]]
        truth |= {frozenset(p) for p in itertools.combinations(members, 2)}  # type: ignore[misc]
    out: dict[str, Any] = {}
    for model in ("fake", "default"):
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(FIXTURE, Path(tmp) / "ws")
            ws = Workspace([Path(tmp) / "ws"], Settings(**{**settings.__dict__, "model": model,
                                                           "db_path": f"{tmp}/index.db"}))
            try:
                ws.sync()
                report = d.find_duplicates(ws.retriever.sources, d.Options(
                    threshold=min(*THRESHOLDS, d.THRESHOLD), lexical_min=0))
            finally:
                ws.close()
        pairs = all_pairs(report)
        planted_scores: dict[str, dict[str, float] | None] = {
            " ~ ".join(sorted(f"{path}:{sym}" for path, sym in k)): None for k in truth}
        for p in pairs:
            name = " ~ ".join(sorted(f"{x}:{s}" for x, s in key(p)))
            if name in planted_scores:
                planted_scores[name] = {"cosine": round(p.similarity, 3),
                                        "lexical": round(p.lexical, 3)}

        def at(t: float, lex: float, pairs: list[copies.Pair] = pairs) -> dict[str, float]:
            return precision_recall({key(p) for p in pairs
                                     if p.similarity >= t and p.lexical >= lex}, truth)

        out[model] = {
            "default": at(d.THRESHOLD, d.LEXICAL_MIN),
            "by_threshold": {str(t): at(t, d.LEXICAL_MIN) for t in THRESHOLDS},
            "by_lexical": {str(lex): at(d.THRESHOLD, lex) for lex in LEXICALS},
            "planted_scores": planted_scores,
        }
        log(f"  planted, {model}: {out[model]['default']}")
    return out


# ----------------------------------------------------------------------------- mutants

REPLACEMENTS = ["amount", "target", "source", "window", "option", "bucket", "payload", "ticket",
                "cursor", "handle", "record", "marker"]
FIXES = [(" <= ", " < "), (" < ", " <= "), (" >= ", " > "), (" > ", " >= "), (" == ", " != "),
         (" + 1", " - 1"), (" - 1", " + 1"), ("is None", "is not None"), (" and ", " or "),
         ("[0]", "[1]"), ("[-1]", "[0]")]


def rename_function(text: str, name: str, new: str) -> str:
    return re.sub(rf"\bdef {re.escape(name)}\b", f"def {new}", text, count=1)


def mutate(text: str, kind: str, rng: random.Random) -> str | None:
    """`text` (a dedented function) with one planted change of `kind`, or None if none fits."""
    lines = text.split("\n")
    head = next((i for i, line in enumerate(lines) if line.lstrip().startswith("def ")), None)
    if head is None:
        return None
    name = re.match(r"\s*def (\w+)", lines[head]).group(1)  # type: ignore[union-attr]
    body = range(head + 1, len(lines))
    if kind == "edited":
        simple = [i for i in body if lines[i].strip() and not lines[i].rstrip().endswith(
            (":", ",", "(", "[", "{", "\\")) and _balanced(lines[: i + 1])
            and not lines[i].strip().startswith(("return", "raise", "#", '"', "'", "@"))
            and (i + 1 == len(lines) or _indent(lines[i + 1]) <= _indent(lines[i]))]
        if not simple:
            return None
        i = rng.choice(simple)
        added = " " * _indent(lines[i]) + f'log.debug("checkpoint {rng.randrange(100)}")'
        return rename_function("\n".join(lines[: i + 1] + [added] + lines[i + 1 :]), name,
                               name + "_copy")
    if kind == "renamed":
        sig = re.search(r"\((.*?)\)\s*(->.*)?:", " ".join(lines[head:head + 3]))
        params = [re.match(r"\s*\**(\w+)", p).group(1)  # type: ignore[union-attr]
                  for p in (sig.group(1).split(",") if sig else []) if re.match(r"\s*\**\w", p)]
        local = re.findall(r"^\s+(\w+)\s*=[^=]", "\n".join(lines[head + 1 :]), re.M)
        names = [n for n in dict.fromkeys(params + local) if n not in ("self", "cls", "_")]
        new_words = [w for w in REPLACEMENTS if not re.search(rf"\b{w}\b", text)]
        if not names or len(new_words) < 3:
            return None
        renamed = text
        for old, new in zip(rng.sample(names, min(3, len(names))), new_words, strict=False):
            renamed = re.sub(rf"(?<![.\w]){re.escape(old)}\b", new, renamed)
        return rename_function(renamed, name, "handle_" + name.strip("_"))
    if kind == "fixed":
        code = [i for i in body if lines[i].strip() and not lines[i].strip().startswith(
            ("#", '"', "'"))]
        options = [(i, a, b) for i in code for a, b in FIXES if a in lines[i]]
        if not options:
            return None
        i, a, b = rng.choice(options)
        lines[i] = lines[i].replace(a, b, 1)
        return rename_function("\n".join(lines), name, name + "_fixed")
    raise ValueError(kind)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip()) if line.strip() else 1 << 30


def _balanced(lines: list[str]) -> bool:
    text = "\n".join(lines)
    return all(text.count(a) == text.count(b) for a, b in ("()", "[]", "{}"))


def mutants(base: Workspace, workdir: Path, settings: Settings, n: int,
            seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    store = base.folders[0].store
    candidates = [c for c in store.definitions(d.MIN_LINES, d.NOT_DEFINITIONS)
                  if c.language == "python" and c.kind in ("function", "method")]
    rng.shuffle(candidates)
    root = workdir / "mutants_ws"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(base.folders[0].root, root)
    (root / "zz_mutants").mkdir()
    kinds = ["edited", "renamed", "fixed"]
    planted_: list[dict[str, Any]] = []
    for chunk in candidates:
        kind = kinds[len(planted_) % 3]
        skip = copies.definition_start(chunk.text, chunk.symbol)
        text = textwrap.dedent("\n".join(chunk.text.split("\n")[skip:]))
        tokens = code_tokens(text)
        if not 8 <= tokens.lines <= 40:
            continue
        copy = mutate(text, kind, rng)
        if copy is None or copy == text:
            continue
        rel = f"zz_mutants/{kind}_{len(planted_):03d}.py"
        (root / rel).write_text(copy + "\n")
        planted_.append({"kind": kind, "copy": rel, "original": chunk.path,
                         "original_start": chunk.start_line + skip})
        if len(planted_) == n:
            break
    ws = open_seeded(root, workdir / "mutants.db", settings, [workdir / "stdlib.db"])
    try:
        report = d.find_duplicates(ws.retriever.sources, d.Options(
            threshold=min(*THRESHOLDS, d.THRESHOLD), lexical_min=0))
    finally:
        ws.close()
    pairs = all_pairs(report)
    by_copy: dict[str, list[copies.Pair]] = {}
    for p in pairs:
        for m in (p.a, p.b):
            if m.path.startswith("zz_mutants/"):
                by_copy.setdefault(m.path, []).append(p)

    def found(m: dict[str, Any], t: float, lex: float) -> bool:
        for p in by_copy.get(m["copy"], []):
            other = p.b if p.a.path == m["copy"] else p.a
            if (other.path == m["original"] and other.start_line <= m["original_start"]
                    <= other.end_line and p.similarity >= t and p.lexical >= lex):
                return True
        return False

    def recall(t: float, lex: float) -> dict[str, float]:
        out = {}
        for kind in kinds:
            ms = [m for m in planted_ if m["kind"] == kind]
            out[kind] = round(sum(found(m, t, lex) for m in ms) / len(ms), 3) if ms else 0.0
        out["all"] = round(sum(found(m, t, lex) for m in planted_) / len(planted_), 3)
        return out

    result = {
        "planted": {k: sum(m["kind"] == k for m in planted_) for k in kinds},
        "default": recall(d.THRESHOLD, d.LEXICAL_MIN),
        "by_threshold": {str(t): recall(t, d.LEXICAL_MIN) for t in THRESHOLDS},
        "by_lexical": {str(lex): recall(d.THRESHOLD, lex) for lex in LEXICALS},
        "stdlib_pairs": {f"{t}/{lex}": sum(1 for p in pairs if p.similarity >= t
                                           and p.lexical >= lex
                                           and not p.a.path.startswith("zz_")
                                           and not p.b.path.startswith("zz_"))
                         for t in (0.75, 0.8, 0.85, 0.9, 0.95) for lex in (0.65, 0.8)},
        "stdlib_functions_compared": report.compared - len(planted_),
    }
    log(f"  mutants: {result['default']}")
    return result


# ----------------------------------------------------------------------------- scale


def scale(base: Workspace, workdir: Path, settings: Settings, sizes: list[int],
          seed: int) -> dict[str, Any]:
    store = base.folders[0].store
    counts = dict(store.db.execute(
        "SELECT f.path, COUNT(*) FROM chunks c JOIN files f ON f.id = c.file_id GROUP BY f.path"
    ).fetchall())
    paths = sorted(counts)
    random.Random(seed).shuffle(paths)
    rows: list[dict[str, Any]] = []
    for size in sizes:
        chosen, total = [], 0
        for p in paths:
            if total >= size:
                break
            chosen.append(p)
            total += counts[p]
        if total < size:
            log(f"  scale: the stdlib has only {total} chunks; skipping {size}")
            continue
        root = workdir / f"scale_{size}"
        if root.exists():
            shutil.rmtree(root)
        for p in chosen:
            (root / p).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(base.folders[0].root / p, root / p)
        ws = open_seeded(root, workdir / f"scale_{size}.db", settings, [workdir / "stdlib.db"])
        try:
            d.find_duplicates(ws.retriever.sources)  # warm: page cache, in-memory sign bits
            runs = []
            for _ in range(2):
                with timed_knn() as knn:
                    report = d.find_duplicates(ws.retriever.sources)
                runs.append((report.seconds, knn[0], report))
            seconds, knn_s, report = min(runs, key=lambda r: r[0])
            files = [p for p in chosen if p.endswith(".py")]
            sample = random.Random(seed).sample(files, min(40, len(files)))
            per_file = []
            for p in sample:
                t0 = time.perf_counter()
                d.duplicates_of(ws.retriever.sources, 0, store_of(ws).chunks_of_file(p),
                                d.Options())
                per_file.append((time.perf_counter() - t0) * 1000)
            row = {
                "chunks": report.chunks, "files": len(chosen), "compared": report.compared,
                "pairs": report.pairs, "groups": len(report.groups),
                "seconds": round(seconds, 2), "knn_seconds": round(knn_s, 2),
                "ms_per_compared": round(1000 * seconds / max(report.compared, 1), 2),
                "file_hints_ms": {"p50": round(statistics.median(per_file), 1),
                                  "p95": round(float(np.percentile(per_file, 95)), 1)},
            }
        finally:
            ws.close()
        rows.append(row)
        log(f"  scale {size}: {row}")
    exponent = None
    if len(rows) >= 2:
        x = np.log([float(r["chunks"]) for r in rows])
        y = np.log([float(r["seconds"]) for r in rows])
        exponent = round(float(np.polyfit(x, y, 1)[0]), 2)
    return {"sizes": rows, "growth_exponent": exponent}


def store_of(ws: Workspace) -> Store:
    return ws.folders[0].store


# ----------------------------------------------------------------------------- report


def print_summary(out: dict[str, Any]) -> None:
    if "planted" in out:
        print("planted set (tests/data/duplicates): precision / recall at lexical "
              f"{d.LEXICAL_MIN}")
        print("  threshold  " + "  ".join(f"{t:>9}" for t in THRESHOLDS))
        for model, res in out["planted"].items():
            cells = [f"{r['precision']:.2f}/{r['recall']:.2f}"
                     for r in res["by_threshold"].values()]
            print(f"  {model:<9}  " + "  ".join(f"{c:>9}" for c in cells))
    if "mutants" in out:
        m = out["mutants"]
        print(f"\nmutant recall (copy paired with its original), {m['planted']}:")
        print("  threshold  " + "  ".join(f"{t:>5}" for t in THRESHOLDS))
        for kind in ("edited", "renamed", "fixed", "all"):
            cells = [f"{r[kind]:.2f}" for r in m["by_threshold"].values()]
            print(f"  {kind:<9}  " + "  ".join(f"{c:>5}" for c in cells))
        print(f"  stdlib pairs (cosine/lexical): {m['stdlib_pairs']}")
    if "scale" in out:
        s = out["scale"]
        print("\nfind_duplicates at the defaults:")
        print("  chunks  compared   pairs  groups  seconds  (knn)  ms/compared  file hints p50/p95")
        for r in s["sizes"]:
            print(f"  {r['chunks']:>6}  {r['compared']:>8}  {r['pairs']:>6}  {r['groups']:>6}"
                  f"  {r['seconds']:>7}  {r['knn_seconds']:>5}  {r['ms_per_compared']:>11}"
                  f"  {r['file_hints_ms']['p50']}/{r['file_hints_ms']['p95']} ms")
        print(f"  time ~ chunks^{s['growth_exponent']}")


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", type=Path,
                    default=Path(os.environ.get("NEARCODE_BENCH_DIR", "/tmp/nb")) / "duplicates")
    ap.add_argument("--parts", default="planted,mutants,scale")
    ap.add_argument("--sizes", default="1000,5000,10000,20000")
    ap.add_argument("--mutants", type=int, default=90)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seed-db", type=Path, action="append", default=[],
                    help="an existing index of the same model whose vectors to reuse")
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    parts = set(args.parts.split(","))
    args.workdir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("NEARCODE_CACHE_DIR", str(args.workdir / "cache"))
    settings = Settings(backend=args.backend, watch=False)
    out: dict[str, Any] = {"machine": machine(), "defaults": {
        "threshold": d.THRESHOLD, "lexical_min": d.LEXICAL_MIN, "min_lines": d.MIN_LINES,
        "min_tokens": d.MIN_TOKENS, "neighbours": d.NEIGHBOURS}}
    if "planted" in parts:
        log("planted set")
        out["planted"] = planted(settings)
    if parts & {"mutants", "scale"}:
        stdlib = args.workdir / "stdlib"
        if not stdlib.is_dir():
            copy_stdlib(stdlib)
        log("stdlib index (once)")
        base = open_seeded(stdlib, args.workdir / "stdlib.db", settings, args.seed_db)
        try:
            if "mutants" in parts:
                log("mutants")
                out["mutants"] = mutants(base, args.workdir, settings, args.mutants, args.seed)
            if "scale" in parts:
                log("scale")
                out["scale"] = scale(base, args.workdir, settings,
                                     [int(s) for s in args.sizes.split(",")], args.seed)
        finally:
            base.close()
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    print_summary(out)
    return out


if __name__ == "__main__":
    main()
