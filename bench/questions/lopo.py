"""Leave-one-project-out over a sweep of inprocess.py reports: for each project, the setting
best on the other projects (MRR@10 over their questions) and what it gives the held-out one.

    python bench/questions/lopo.py --base REPORT.json REPORT.json ...   (each from --json)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def reciprocal_ranks(path: Path) -> dict[str, float]:
    report = json.loads(path.read_text())
    return {q["id"]: 1.0 / q["rank"] if q["rank"] else 0.0 for q in report["questions"]}


def mrr(ranks: dict[str, float], only: str | None = None, but: str | None = None) -> float:
    kept = [r for i, r in ranks.items() if (only is None or i.startswith(only + "-"))
            and (but is None or not i.startswith(but + "-"))]
    return sum(kept) / len(kept)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", type=Path, required=True, help="the report of today's setting")
    ap.add_argument("reports", type=Path, nargs="+")
    args = ap.parse_args()
    runs = {p.stem: reciprocal_ranks(p) for p in {args.base, *args.reports}}
    base = args.base.stem
    projects = sorted({i.rsplit("-", 1)[0] for i in runs[base]})
    print("| held out | chosen on the others | held-out MRR@10, base → chosen |")
    print("| --- | --- | --- |")
    for p in projects:  # ties go to the base: a change must win on the others
        best = max(runs, key=lambda k: (round(mrr(runs[k], but=p), 6), k == base))
        print(f"| {p} | {best} | {mrr(runs[base], p):.3f} → {mrr(runs[best], p):.3f} |")


if __name__ == "__main__":
    main()
