"""`nearcode train`, `nearcode eval` and `nearcode models [use NAME|base]`.

Errors are nearcode's own (`TrainingError`, `ModelError`, ...: errors.py), which `main` prints
as one line.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..app.workspace import Workspace
from ..app.writelock import served
from ..embed import registry
from ..index.folder import check_root
from ..train.evaluation import Metrics
from ..train.manifest import trained_models
from ..train.options import TrainOptions
from .common import confirm_scope, root_of, settings_for, sync
from .options import add_yes_option


def register(sub: Any) -> None:
    """Add train, eval and models to the `nearcode` subcommands."""
    p = sub.add_parser("train", help="fine-tune the embedding model on this workspace's code")
    p.add_argument("path", nargs="?", help="workspace folder (default: the current repository)")
    p.add_argument("--minutes", type=float, default=15.0,
                   help="time budget for the training steps (default 15)")
    p.add_argument("--epochs", type=float, default=1.0,
                   help="passes over the training pairs, if time allows (default 1)")
    p.add_argument("--batch-size", type=int, default=64,
                   help="pairs per step: each pair's negatives are the others (default 64)")
    p.add_argument("--extra-source", action="append", default=[], metavar="DIR",
                   help="also mine pairs from this folder, e.g. an installed library (repeatable)")
    p.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                   help="gitignore-style pattern of files to leave out (repeatable)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split and the training")
    p.add_argument("--name", help="name of the new model (default: <folder>-<date>-<time>)")
    p.add_argument("--from", dest="start", default="shipped",
                   help="start from 'shipped' (nearcode-code-v2, the default), 'base' "
                   "(all-MiniLM-L6-v2), 'active' or a trained model's name")
    p.add_argument("--max-steps", type=int, help="exact number of steps (to repeat a run)")
    p.add_argument("--general-steps", type=int, metavar="N",
                   help="steps on the Python standard library's pairs before the workspace's "
                        "(default: what --minutes leaves, at most one pass; 0: none)")
    p.add_argument("--query", choices=["sentence", "doc", "mixed"], default="sentence",
                   help="text side of a pair: the doc's first sentence (default), all of it, "
                        "or a mix")
    p.add_argument("--name-pairs", action="store_true",
                   help="also train on (function name in words, code) pairs")
    p.add_argument("--learning-rate", type=float, default=1e-4, help=argparse.SUPPRESS)
    p.add_argument("--max-train-pairs", type=int, help=argparse.SUPPRESS)
    p.add_argument("--train-seq-length", type=int, help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="print JSON")
    add_yes_option(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("eval", help="measure models on this workspace's held-out pairs")
    p.add_argument("path", nargs="?", help="workspace folder (default: the current repository)")
    p.add_argument("--model", help="model to measure besides the base model and BM25 "
                   "(default: the active trained model, if any)")
    p.add_argument("--extra-source", action="append", default=[], metavar="DIR",
                   help="also mine pairs from this folder (repeatable)")
    p.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                   help="gitignore-style pattern of files to leave out (repeatable)")
    p.add_argument("--seed", type=int, help="seed of the split (default: the model's)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("models", help="list trained models; `models use NAME|base` switches "
                       "this workspace's model")
    p.add_argument("--root", dest="path", help="workspace folder (default: the current "
                   "repository)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_models)
    msub = p.add_subparsers(dest="models_command", metavar="{use}")
    u = msub.add_parser("use", help="make NAME the model `default` means in this workspace "
                        "('base': all-MiniLM-L6-v2 here; 'default': follow the user-wide "
                        "default), or with --global in every workspace without its own choice")
    u.add_argument("name")
    u.add_argument("--global", dest="everywhere", action="store_true",
                   help="the user-wide default instead ('base' or 'default': none)")
    u.add_argument("--root", dest="path", help="workspace folder (default: the current "
                   "repository)")
    u.add_argument("--json", action="store_true", help="print JSON")
    u.set_defaults(func=cmd_models_use)


# ----------------------------------------------------------------------------- helpers


def _roots(args: argparse.Namespace) -> tuple[list[Path], Any]:
    root = root_of(args)
    extras = [check_root(Path(d)) for d in args.extra_source]
    settings = settings_for(root, argparse.Namespace())
    settings.exclude = [*settings.exclude, *args.exclude]
    return [root, *extras], settings


def _reporter(quiet: bool) -> tuple[Callable[[Any], None], Callable[[], None]]:
    """Progress on stderr: a line per phase, and a tqdm bar with ETA while training."""
    state: dict[str, Any] = {"bar": None, "phase": None}
    words = {"mine": "mining pairs", "evaluate": "evaluating on held-out pairs",
             "general": "mining the standard library's pairs for the general stage",
             "batch": "grouping pairs into batches by topic", "train": "training"}

    def update(p: Any) -> None:
        if quiet:
            return
        if p.phase != "train" and state["bar"] is not None:
            state["bar"].close()
            state["bar"] = None
        if p.phase != state["phase"] and p.phase != "train":
            print(f"nearcode: {words.get(p.phase, p.phase)}…", file=sys.stderr)
        state["phase"] = p.phase
        if p.phase == "train":
            if not sys.stderr.isatty():  # a log file: one line per step
                if p.step:
                    loss = f", loss {p.loss:.3f}" if p.loss is not None else ""
                    print(f"nearcode: step {p.step}/{p.steps}{loss}", file=sys.stderr)
                return
            if state["bar"] is None:
                from tqdm import tqdm

                state["bar"] = tqdm(total=p.steps, unit="step", desc="training",
                                    file=sys.stderr, dynamic_ncols=True)
            bar = state["bar"]
            bar.total = p.steps
            bar.n = p.step
            if p.loss is not None:
                bar.set_postfix_str(f"loss {p.loss:.3f}", refresh=False)
            bar.refresh()

    def close() -> None:
        if state["bar"] is not None:
            state["bar"].close()

    return update, close


def _table(rows: list[tuple[str, Metrics]]) -> str:
    out = [f"{'model':<32} {'MRR@10':>7} {'R@1':>6} {'R@5':>6}"]
    for name, m in rows:
        out.append(f"{name:<32} {m.mrr10:>7.3f} {m.r1:>6.3f} {m.r5:>6.3f}")
    return "\n".join(out)


# ----------------------------------------------------------------------------- commands


def cmd_train(args: argparse.Namespace) -> int:
    from ..train import pipeline  # torch and sentence-transformers: only when training

    roots, settings = _roots(args)
    confirm_scope(roots[0], settings, args.yes)  # mining and indexing it: no surprise work
    opts = TrainOptions(
        minutes=args.minutes, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
        name=args.name, start=args.start, max_steps=args.max_steps,
        general_steps=args.general_steps, query=args.query,
        names=args.name_pairs, learning_rate=args.learning_rate,
        max_train_pairs=args.max_train_pairs, max_seq_length=args.train_seq_length)
    update, close = _reporter(False)
    try:
        result = pipeline.train(roots, settings, opts, update)
    finally:
        close()
    reindexed = _reembed(roots[0], result) if result.activated else None
    m = result.manifest
    heldout = _heldout_files(result.folder)
    if args.json:
        print(json.dumps({"name": result.name, "folder": str(result.folder),
                          "activated": result.activated, "workspace": str(roots[0]),
                          "reindexed": reindexed, "heldout_files": heldout,
                          "manifest": m.to_json()}, indent=2))
        return 0
    p, general = m.pairs, m.general
    print(f"trained {result.name} on {p.trained_on} of {p.train} pairs "
          f"({_steps(m.steps.done)}, {m.seconds.training:.0f}s; "
          f"{result.seconds:.0f}s in all)")
    if general.steps:
        print(f"first {_steps(general.steps)} on {general.trained_on} pairs of "
              f"{general.source} ({m.seconds.general_training:.0f}s)")
    else:
        print(f"no general stage: {general.skipped or 'no time was left for it'}")
    shown = ", ".join(heldout[:3]) + (f", … ({len(heldout) - 3} more)" if len(heldout) > 3
                                      else "")
    print(f"held out: {p.heldout} pairs from {p.heldout_files} files ({shown}; the list: "
          f"{result.folder / 'split.json'})")
    rows = [(f"base ({m.base_model.name})", m.metrics["base"])]
    if m.start_model.fingerprint != m.base_model.fingerprint:
        rows.append((f"start ({m.start_model.name})", m.metrics["start"]))
    rows += [(f"trained ({result.name})", m.metrics["trained"]), ("bm25", m.metrics["bm25"])]
    print(_table(rows))
    for note in result.notes:
        print(note)
    if reindexed is not None:
        print(f"re-embedded {roots[0]} with {reindexed['model']}: {reindexed['chunks']} chunks "
              f"({reindexed['embedded']} embedded) in {reindexed['seconds']:.1f}s")
    print(f"saved in {result.folder}")
    return 0


def _reembed(root: Path, result: Any) -> dict[str, Any] | None:
    """Bring the workspace's index up to date with the model just activated for it, with
    progress, so that the next search does not pay for it; None when the workspace's settings
    name another model (then the new one is not used there)."""
    settings = settings_for(root, argparse.Namespace())  # the index's, not training's
    if settings.model != "default":
        print(f"nearcode: {root} uses the model {settings.model!r} (its settings), not "
              f"{result.name}: its index is left as it is", file=sys.stderr)
        return None
    ws = Workspace([root], settings)
    try:
        if served(ws):  # the server reloads the model it is told to use, and re-embeds
            print(f"nearcode: a running nearcode server keeps the index of {root}; it "
                  f"re-embeds with {result.name} when it next updates it", file=sys.stderr)
            return None
        print(f"nearcode: re-embedding {root} with {result.name}…", file=sys.stderr)
        report = sync(ws).report
        _, chunks = ws.counts()
    finally:
        ws.close()
    return {"model": result.name, "chunks": chunks, "embedded": report.chunks_embedded,
            "seconds": round(report.seconds, 2)}


def _heldout_files(folder: Path) -> list[str]:
    """The held-out files of a trained model, as its split.json lists them."""
    try:
        data = json.loads((folder / "split.json").read_text())
        return [str(f) for f in data.get("heldout_files", [])]
    except (OSError, ValueError, AttributeError):
        return []


def cmd_eval(args: argparse.Namespace) -> int:
    from ..train import measure  # torch and sentence-transformers: only when measuring

    roots, settings = _roots(args)
    model = args.model or registry.default_spec(roots[0])
    update, close = _reporter(args.json)
    try:
        report = measure.evaluate_corpus(roots, settings, model, args.seed, progress=update)
    finally:
        close()
    if args.json:
        metrics = {k: v.as_dict() for k, v in report.metrics.items()}
        print(json.dumps({"pairs": report.pairs, "files": report.files, "seed": report.seed,
                          "excluded": report.excluded, "metrics": metrics}, indent=2))
        return 0
    print(f"held out: {report.pairs} pairs from {report.files} files (seed {report.seed})"
          + (f"; {report.excluded} left out: the model trained on their files"
             if report.excluded else ""))
    names = {"base": f"base ({registry.BASE_MODEL_NAME})", "bm25": "bm25"}
    print(_table([(names.get(k, k), v) for k, v in report.metrics.items()]))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    root = root_of(args)
    active = registry.active_name(root)
    choice = registry.workspace_choice(root)
    now = registry.resolve("default", root).name
    source = ("this workspace's choice" if choice is not None
              else "the user-wide default" if registry.default_spec() != registry.SHIPPED
              else "nothing activated")
    everywhere = registry.resolve("default").name
    listed = trained_models(registry.models_dir())
    if args.json:
        print(json.dumps({"workspace": str(root), "active": active or "default", "model": now,
                          "source": source, "global": registry.global_name(), "models": [
            {"name": folder.name, "folder": str(folder), "created": m.created,
             "active": folder.name == active, "pairs": m.to_json()["pairs"],
             "metrics": m.to_json()["metrics"], "sources": m.sources}
            for folder, m in listed]}, indent=2))
        return 0
    print(f"in {root}: {now} ({source}); user-wide default: {everywhere}")
    print(f"{'':2}{'name':<36} {'created':<26} {'pairs':>7} {'MRR base':>9} {'trained':>8}")
    for shown in (registry.SHIPPED_MODEL_NAME, registry.BASE_MODEL_NAME):
        print(f"{'*' if now == shown else ' '} {shown:<36}")
    for folder, m in listed:
        mark = "*" if folder.name == active else " "
        base, trained = (m.metrics[k].mrr10 if k in m.metrics else None
                         for k in ("base", "trained"))
        print(f"{mark} {folder.name:<36} {m.created:<26} {m.pairs.train:>7} "
              f"{_num(base):>9} {_num(trained):>8}")
    return 0


def _steps(n: int) -> str:
    return f"{n} step" if n == 1 else f"{n} steps"


def _num(x: Any) -> str:
    return f"{x:.3f}" if isinstance(x, (int, float)) else "?"


def cmd_models_use(args: argparse.Namespace) -> int:
    base = args.name in ("base", registry.BASE_MODEL_NAME)
    name = None if base or args.name == "default" else args.name
    if args.everywhere:
        registry.set_active(registry.BASE if base else name)  # ModelError for an unknown name
        shown = registry.resolve("default").name
        if args.json:
            print(json.dumps({"global": name, "model": shown}))
        else:
            print(f"user-wide default model: {shown}, for workspaces without a model of their "
                  "own; their indexes are re-embedded on their next update (restart a running "
                  "language server to switch it)")
        return 0
    root = root_of(args)
    if name is None and not base:  # 'default': follow the user-wide default again
        registry.forget_workspace(root)
    else:
        registry.set_active(name, root)  # ModelError for an unknown name
    now = registry.active_name(root)
    model = registry.resolve("default", root).name
    cost = _switch_cost(root)
    if args.json:
        print(json.dumps({"workspace": str(root), "active": now or "default", "model": model,
                          "chunks_to_embed": cost}))
        return 0
    print(f"active model in {root}: {model}")
    named = settings_for(root, argparse.Namespace()).model
    if named != "default":
        print(f"note: the settings of {root} name the model {named!r}, which comes first")
    if cost:
        print(f"its index holds {cost} chunks of another model: they are embedded again on "
              "its next update (`nearcode index`, a search, or the language server's next "
              "re-scan)")
    return 0


def _switch_cost(root: Path) -> int:
    """Chunks of `root`'s index that the model `default` now means there would embed again."""
    from ..config import db_path_for
    from ..embed.base import fingerprint
    from ..store.factory import open_store

    settings = settings_for(root, argparse.Namespace())
    db = db_path_for(root, settings)
    if settings.model != "default" or not db.is_file():
        return 0
    ref = registry.resolve("default", root)
    store = open_store(root, db, settings)
    try:
        held = str(store.model_id or "")
        same = held.split("/", 1)[0] == f"{ref.name}@{fingerprint(ref.folder)}"
        return 0 if same or not held else store.counts()[1]
    finally:
        store.close()
