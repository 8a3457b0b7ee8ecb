"""`nearcode duplicates`: groups of near-duplicate functions with diffs (search/duplicates.py
finds them)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..search.duplicates import MIN_LINES, THRESHOLD, Options, Report, find_duplicates
from .common import open_workspace, sync
from .options import CliError, add_common_options, add_yes_option


def register(sub: Any) -> None:
    """Add `nearcode duplicates` to the CLI's subcommands."""
    p = sub.add_parser("duplicates", help="groups of near-duplicate functions, with diffs")
    p.add_argument("--threshold", type=float, default=None,
                   help="cosine similarity from which two functions are near-duplicates "
                   f"(default: the duplicate_threshold setting, {THRESHOLD:g})")
    p.add_argument("--min-lines", type=int, default=MIN_LINES,
                   help=f"lines of code a function needs to count (default {MIN_LINES})")
    add_common_options(p)
    add_yes_option(p)
    p.set_defaults(func=cmd_duplicates)


def cmd_duplicates(args: argparse.Namespace) -> int:
    if args.threshold is not None and not 0.0 < args.threshold <= 1.0:
        raise CliError(f"--threshold must be in (0, 1], got {args.threshold:g}")
    if args.min_lines < 1:
        raise CliError(f"--min-lines must be at least 1, got {args.min_lines}")
    with open_workspace(args) as ws:
        sync(ws)
        settings = ws.settings
        options = Options(
            threshold=args.threshold if args.threshold is not None
            else settings.duplicate_threshold,
            min_lines=args.min_lines, exclude=tuple(settings.duplicate_exclude))
        report = find_duplicates(ws.retriever.sources, options)
    if args.json:
        print(json.dumps(report_json(report), indent=2))
    else:
        print_report(report)
    return 0


def report_json(report: Report) -> dict[str, Any]:
    return {
        "threshold": report.options.threshold, "min_lines": report.options.min_lines,
        "chunks": report.chunks, "compared": report.compared, "pairs": report.pairs,
        "seconds": round(report.seconds, 3),
        "groups": [g.to_json() for g in report.groups],
    }


def print_report(report: Report, out: Any = None) -> None:
    out = out or sys.stdout
    opts = report.options
    head = (f"{len(report.groups)} group{'s' if len(report.groups) != 1 else ''} of "
            f"near-duplicates among {report.compared} functions (threshold {opts.threshold:g},"
            f" at least {opts.min_lines} lines; {report.seconds:.1f}s)")
    print(head, file=out)
    for n, g in enumerate(report.groups, 1):
        where = " (tests, docs or generated code only)" if g.secondary else ""
        if g.family:
            first = g.members[0]
            print(f"\n#{n}  a family of {len(g.members)} short look-alikes{where}, like "
                  f"{first.symbol or ''} at {first.location} (--json lists them all)", file=out)
            continue
        print(f"\n#{n}  {len(g.members)} copies, similarity {g.similarity:.3f}{where}",
              file=out)
        width = max(len(m.location) for m in g.members)
        for m in g.members:
            mark = "*" if m.key in (g.closest.a.key, g.closest.b.key) else " "
            print(f"  {mark} {m.location:<{width}}  {m.symbol or ''}", file=out)
        c = g.closest
        print(f"  closest (*): similarity {c.similarity:.3f}, lexical {c.lexical:.3f}", file=out)
        if g.diff:
            for line in g.diff.split("\n"):
                print(f"    {line}", file=out)
        else:
            print("    (the same code)", file=out)
