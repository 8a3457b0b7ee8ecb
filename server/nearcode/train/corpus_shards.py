"""The corpus on disk: one JSONL shard of pairs per package, written whole, read by side.

A shard line holds `text` (the query: a doc's first sentence or a name's words), `doc`, `code`
(the embed text: header + code, doc removed), `kind`, `language`, `package` (its id), `path`
(inside the package), `symbol` and `line`. `manifest.json` says which packages are `train` and
which are `heldout` (whole packages, for leave-package-out evaluation).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .pairs import Pair


def record(p: Pair) -> dict[str, Any]:
    return {"text": p.query, "doc": p.doc, "code": p.code, "kind": p.kind,
            "language": p.language, "path": p.path, "symbol": p.symbol, "line": p.line}


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def write_text(path: Path, text: str) -> None:
    """Write via a temporary file and rename: a stopped build never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_pairs(root: Path | str, split: str = "train",
               languages: Iterable[str] | None = None) -> list[Pair]:
    """The corpus's pairs of one side ("train" or "heldout"), optionally of some languages
    only, in manifest order. `Pair.path` is `<package id>/<path in package>`; `query` is the
    shard's `text`. Only shards the manifest puts on that side are read."""
    if split not in ("train", "heldout"):
        raise ValueError(f"split must be 'train' or 'heldout', not {split!r}")
    root = Path(root)
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    wanted = set(languages) if languages is not None else None
    out: list[Pair] = []
    for item in manifest["packages"]:
        if item.get("split") != split:
            continue
        for r in read_jsonl(root / "pairs" / f"{item['id']}.jsonl"):
            if wanted is None or r["language"] in wanted:
                out.append(Pair(r["text"], r["doc"], r["code"], r["kind"], r["language"],
                                f"{r['package']}/{r['path']}", r["symbol"], r["line"]))
    return out
