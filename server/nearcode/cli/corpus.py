"""`python -m nearcode.cli.corpus build DIR | stats DIR`: the pre-training corpus (train/corpus.py).

A maintainer's command, not a user's: it fetches hundreds of packages from the registries.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..train import corpus_fetch as cf
from ..train import corpus_rules as rules
from ..train.corpus import DEFAULT_PACKAGES, DEFAULT_RESERVED, build


def stats(manifest: dict[str, Any]) -> str:
    """A table of pairs and packages per language and side, then the skipped packages."""
    lines = [f"{'language':<12}{'train':>9}{'heldout':>9}{'pkgs':>6}{'held':>6}"]
    tot = Counter[str]()
    for lang, t in manifest["totals"].items():
        lines.append(f"{lang:<12}{t['train']:>9}{t['heldout']:>9}{t['train_packages']:>6}"
                     f"{t['heldout_packages']:>6}")
        tot.update({"train": t["train"], "heldout": t["heldout"]})
    lines.append(f"{'all':<12}{tot['train']:>9}{tot['heldout']:>9}")
    kinds = Counter[str]()
    for p in manifest["packages"]:
        kinds.update(p.get("kinds", {}))
    lines.append("kinds: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    lines.append("licenses: " + ", ".join(f"{k} {v}" for k, v in manifest["licenses"].items()))
    for p in manifest["packages"]:
        if p["status"] != "ok":
            lines.append(f"{p['status']}: {p['id']}: {p['reason']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nearcode.cli.corpus",
                                     description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="fetch, mine and dedup the packages into DIR (resumes)")
    b.add_argument("dir", type=Path)
    b.add_argument("--packages", type=Path, default=DEFAULT_PACKAGES)
    b.add_argument("--workers", type=int, default=2)
    b.add_argument("--manifest", type=Path, default=None,
                   help="where to copy the manifest (default: next to the package list)")
    b.add_argument("--only", nargs="*", default=None, help="only these package names")
    s = sub.add_parser("stats", help="pairs per language and side of a built corpus")
    s.add_argument("dir", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    try:
        if args.command == "stats":
            print(stats(json.loads((args.dir / "manifest.json").read_text(encoding="utf-8"))))
            return 0
        entries = cf.load_entries(args.packages)
        copy = args.manifest or args.packages.parent / "manifest.json"
        if args.only is not None:
            entries = [e for e in entries if e.name in set(args.only)]
            copy = None  # a partial build never overwrites the committed manifest
        manifest = build(args.dir, entries, rules.Reserved.load(DEFAULT_RESERVED),
                         max(1, args.workers), manifest_copy=copy)
    except (cf.CorpusError, OSError, ValueError) as exc:
        print(f"nearcode corpus: {exc}", file=sys.stderr)
        return 1
    print(stats(manifest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
