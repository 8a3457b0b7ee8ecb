"""Index throughput: `Workspace.sync` on a fresh index against a bare SentenceTransformer.encode.

The baseline is what anyone would write first: `SentenceTransformer(<model folder>).encode(texts)`
over the very texts nearcode embeds (each chunk's `Chunk.embed_text` from `chunk_text`, one per
distinct chunk hash, since the index embeds a hash once). nearcode's figure is the whole pipeline:
scan, read, chunk, embed, write to SQLite (vectors, FTS5, vec0), on a fresh index, for each
backend asked for (`torch`, and `auto`, the default: ONNX Runtime int8 when it loads, else torch).

Load on a shared machine drifts by 2x within minutes, so the source files are dealt round-robin
into --rounds groups (each copied into its own folder) and every round runs all contestants on
one group, the order rotated per round; the ratio of summed times is the figure to trust. Model
loading (and the one-time ONNX export, cached in $NEARCODE_CACHE_DIR) happens before any timing
and is reported apart.

    python bench/index_speed.py [--workspace DIR] [--backends torch,auto] [--rounds 4]
                                [--max-files N] [--json FILE]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from nearcode.app.workspace import Workspace  # noqa: E402
from nearcode.code.chunking import chunk_text  # noqa: E402
from nearcode.config import Settings  # noqa: E402
from nearcode.embed import registry  # noqa: E402
from nearcode.embed.base import Embedder, normalize  # noqa: E402
from nearcode.index import scan  # noqa: E402

SHARED = Path(os.environ.get("NEARCODE_SHARED_BENCH",
                             Path(__file__).resolve().parents[2] / "shared" / "bench"))
sys.path.insert(0, str(SHARED))
import benchlib  # noqa: E402


def default_workspace() -> Path:
    """The shared benchmark's C workspace (prompt_toolkit 3.0.52) in its usual folder or in
    /tmp/nb, else the stdlib's email package."""
    for d in (benchlib.bench_dir(), "/tmp/nb"):
        if (Path(d).expanduser() / "C_context" / "workspace").is_dir():
            return Path(d).expanduser() / "C_context" / "workspace"
    import sysconfig

    return Path(sysconfig.get_paths()["stdlib"]) / "email"


@dataclass
class Contestant:
    name: str
    model_id: str
    load_s: float
    run: Callable[[Path, Path], tuple[int, float]]  # (group, scratch) -> (chunks, seconds)
    seconds: float = 0.0
    chunks: int = 0
    per_round: list[float] = field(default_factory=list)
    embed_seconds: float = 0.0  # nearcode: time inside the embedder (the rest is the pipeline)


class TimedEmbedder:
    """Passes through to an embedder, adding up the time spent in it."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id, self.dim, self.batch_size = inner.model_id, inner.dim, inner.batch_size
        self.seconds = 0.0

    def embed_batch(self, texts: Sequence[str]) -> Any:
        started = time.perf_counter()
        try:
            return self.inner.embed_batch(texts)
        finally:
            self.seconds += time.perf_counter() - started


def group_texts(root: Path) -> list[str]:
    """The texts nearcode embeds for `root`: chunk_text's embed_text, one per distinct hash."""
    flt = scan.FileFilter(root, Settings())
    texts: dict[str, str] = {}
    for info in flt.walk():
        try:
            content = scan.read(root / info.path)
        except (scan.SkippedFile, OSError):
            continue
        for c in chunk_text(content.text, info.language, info.path):
            texts.setdefault(c.hash, c.embed_text)
    return list(texts.values())


def make_groups(workspace: Path, rounds: int, dest: Path, max_files: int | None) -> list[Path]:
    """Copy the workspace's indexable files, dealt round-robin, into `rounds` folders."""
    files = scan.FileFilter(workspace, Settings()).walk()
    if max_files:
        files = files[:max_files]
    groups = [dest / f"group{r}" for r in range(rounds)]
    for i, info in enumerate(files):
        target = groups[i % rounds] / info.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(workspace / info.path, target)
    return groups


def baseline(batch_size: int) -> Contestant:
    from sentence_transformers import SentenceTransformer

    started = time.perf_counter()
    st = SentenceTransformer(str(registry.base_model().folder), device="cpu")
    st.encode(["def warm_up(): pass"] * 4)
    load_s = time.perf_counter() - started

    def run(group: Path, scratch: Path) -> tuple[int, float]:
        texts = group_texts(group)  # chunking is not timed: the baseline is the model alone
        t0 = time.perf_counter()
        normalize(st.encode(texts, batch_size=batch_size, show_progress_bar=False))
        return len(texts), time.perf_counter() - t0

    return Contestant("encode", "SentenceTransformer.encode (baseline)", load_s, run)


def indexer(backend: str) -> Contestant:
    started = time.perf_counter()
    embedder: Embedder = registry.load_embedder(Settings(backend=backend))
    if hasattr(embedder, "load"):
        embedder.load()  # the ONNX export happens here on the first run on a machine
    embedder.embed_batch(["def warm_up(): pass"] * 4)
    load_s = time.perf_counter() - started
    timed = TimedEmbedder(embedder)

    def run(group: Path, scratch: Path) -> tuple[int, float]:
        settings = Settings(backend=backend, db_path=str(scratch / f"{backend}.db"),
                            watch=False)
        t0 = time.perf_counter()
        ws = Workspace([group], settings, embedder=timed)
        report = ws.sync()  # a chunk whose hash repeats in the group is embedded once
        ws.close()
        return report.chunks_embedded, time.perf_counter() - t0

    contestant = Contestant(f"nearcode {backend}", embedder.model_id, load_s, run)
    contestant.timed = timed  # type: ignore[attr-defined]
    return contestant


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in
                   Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpus": os.cpu_count(), "processor": cpu, "platform": platform.platform(),
            "load_avg_1m": round(os.getloadavg()[0], 2), "date": time.strftime("%Y-%m-%d %H:%M")}


def print_table(report: dict[str, Any]) -> None:
    m = report["machine"]
    print(f"\nindex throughput, {report['chunks']} chunks of {report['workspace']} "
          f"({report['files']} files); {m['cpus']} CPUs, load {m['load_avg_1m']} at start, "
          f"{report['load_avg_end']} at end ({m['date']})")
    head = (f"{'contestant':<16} {'chunks/s':>9} {'x encode':>9} {'seconds':>8} {'in model':>9} "
            f"{'load s':>7}  model")
    print(head + "\n" + "-" * (len(head) + 30))
    for r in report["results"]:
        share = f"{r['embed_share']:.0%}" if "embed_share" in r else "100%"
        print(f"{r['name']:<16} {r['chunks_per_s']:>9.1f} {r['ratio']:>8.2f}x {r['seconds']:>8.1f} "
              f"{share:>9} {r['load_s']:>7.1f}  {r['model_id']}")
    print("(nearcode: scan + chunk + embed + SQLite writes on a fresh index, 'in model' the share "
          "spent in embed_batch; encode: the model alone on the same texts. Ratios are of summed "
          "times over interleaved rounds.)")
    for note in report["notes"]:
        print("note:", note)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workspace", type=Path, help="source folder (default: the shared bench's "
                    "C_context workspace, prompt_toolkit)")
    ap.add_argument("--backends", default="torch,auto")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--max-files", type=int, help="only the first N files (quick runs)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    workspace = (args.workspace or default_workspace()).resolve()
    notes = []
    try:
        importlib.import_module("nearcode.embed.onnx_backend")
    except ImportError as exc:
        notes.append(f"ONNX backend not importable ({exc}): 'auto' means torch")
    with tempfile.TemporaryDirectory(prefix="nearcode-index-speed-") as tmp:
        groups = make_groups(workspace, args.rounds, Path(tmp), args.max_files)
        n_files = sum(1 for g in groups for p in g.rglob("*") if p.is_file())
        print(f"{n_files} files of {workspace} in {args.rounds} groups; loading models",
              file=sys.stderr)
        contestants = [baseline(args.batch_size)] + [indexer(b) for b in
                                                      args.backends.split(",") if b]
        for c in contestants[1:]:
            if c.model_id.endswith("/torch") and c.name != "nearcode torch":
                notes.append(f"{c.name} fell back to torch")
        report: dict[str, Any] = {"workspace": str(workspace), "files": n_files,
                                  "machine": machine(), "notes": notes}
        for r, group in enumerate(groups):
            rot = r % len(contestants)
            for c in contestants[rot:] + contestants[:rot]:
                scratch = Path(tmp) / f"db-{r}-{len(c.per_round)}-{c.name.replace(' ', '_')}"
                scratch.mkdir()
                chunks, elapsed = c.run(group, scratch)
                c.seconds += elapsed
                c.chunks += chunks
                c.per_round.append(round(elapsed, 2))
                print(f"  round {r + 1}/{len(groups)} {c.name}: {chunks} chunks in "
                      f"{elapsed:.1f}s", file=sys.stderr)
    base = contestants[0]
    report["chunks"] = base.chunks
    report["load_avg_end"] = round(os.getloadavg()[0], 2)
    report["results"] = [{
        "name": c.name, "model_id": c.model_id, "chunks": c.chunks,
        "seconds": round(c.seconds, 2), "chunks_per_s": round(c.chunks / c.seconds, 2),
        "ratio": round((c.chunks / c.seconds) / (base.chunks / base.seconds), 3),
        "load_s": round(c.load_s, 2), "per_round_s": c.per_round,
    } for c in contestants]
    for r, c in zip(report["results"][1:], contestants[1:], strict=True):
        r["embed_seconds"] = round(c.timed.seconds, 2)  # type: ignore[attr-defined]
        r["embed_share"] = round(c.timed.seconds / c.seconds, 3)  # type: ignore[attr-defined]
        if c.chunks != base.chunks:
            notes.append(f"{c.name} embedded {c.chunks} chunks, the baseline {base.chunks}")
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return report


if __name__ == "__main__":
    main()
