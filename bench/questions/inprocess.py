"""The realistic questions asked in-process: the same questions, answers and scoring as
score.py, without the LSP layer, so ranking changes can be compared per project in seconds.

Each project is indexed once into --cache-dir (kept between runs; a chunker change re-chunks on
the next sync). `--param MODULE.NAME=VALUE` overrides a module constant for one run, e.g.
`--param nearcode.search.ranking.TEST_PRIOR=0.5`, to compare a setting per project (the numbers
to report still come from score.py over LSP).

    .venv/bin/python bench/questions/inprocess.py [--projects sanic,kong] [--param M.N=V ...]
        [--cache-dir DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import defs  # noqa: E402
import fetch  # noqa: E402
import score  # noqa: E402
from params import override  # noqa: E402


def ask(root: Path, questions: list[dict], model: str) -> list[list[dict]]:
    """Index `root` (incrementally) and search every question, ten results each."""
    from nearcode.app.workspace import Workspace
    from nearcode.config import Settings

    ws = Workspace([root], Settings(model=model, watch=False))
    try:
        ws.sync()
        return [[{"path": h.path, "start_line": h.start_line, "end_line": h.end_line,
                  "symbol": h.symbol} for h in ws.retriever.search(q["question"], score.LIMIT)]
                for q in questions]
    finally:
        ws.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--projects", help="comma-separated project ids (default: all)")
    ap.add_argument("--param", action="append", default=[], help="MODULE.NAME=VALUE")
    ap.add_argument("--model", default="default")
    ap.add_argument("--cache-dir", type=Path,
                    default=Path(os.environ.get("NEARCODE_CACHE_DIR")
                                 or fetch.default_dir() / "cache"))
    ap.add_argument("--shared-bench")
    ap.add_argument("--json", type=Path, help="write the per-question judgements here")
    args = ap.parse_args()
    os.environ["NEARCODE_CACHE_DIR"] = str(args.cache_dir)
    override(args.param)
    benchlib = score.import_shared(args.shared_bench)[1]
    questions: list[dict] = []
    judged: list[dict] = []
    for project in fetch.select(fetch.load_projects(), args.projects):
        qs = [q for q in score.load_questions() if q["project"] == project["id"]]
        root = fetch.fetch(project, fetch.default_dir())
        index = defs.index_workspace(str(root))
        judged += [score.judge(q, r, index, benchlib)
                   for q, r in zip(qs, ask(root, qs, args.model), strict=True)]
        questions += qs
    summary = score.grouped(questions, {"search": judged}, benchlib)["search"]
    print("| slice | hit@1 | hit@5 | MRR@10 | strict MRR | same def | nameless | tests top5 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for g, s in summary.items():
        if g.startswith("language="):
            continue
        print(f"| {g} | {s['hit@1']:.2f} | {s['hit@5']:.2f} | {s['mrr@10']:.3f} | "
              f"{s['strict_mrr@10']:.3f} | {s['lists_same_definition']} | "
              f"{s['nameless_hits']} | {s['test_hits_top5']} |")
    if args.json:
        args.json.write_text(json.dumps(
            {"params": args.param, "summary": summary,
             "questions": [dict(id=q["id"], **j) for q, j in zip(questions, judged, strict=True)]},
            indent=1) + "\n")


if __name__ == "__main__":
    main()
