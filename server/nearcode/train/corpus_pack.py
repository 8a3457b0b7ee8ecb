"""The corpus's training side in one small file, for a run on another machine.

A GPU machine lent for minutes takes a working tree of at most 64 MiB; the corpus is 1.2 GB.
The pack keeps what a run reads: each training pair's package, language, first sentence,
whole doc and code, texts cut where the model stops reading them (`MAX_TOKENS` word pieces),
and a sample of held-out pairs per language to measure on. xz-compressed JSON lines.
"""

from __future__ import annotations

import json
import lzma
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .pairs import Pair

DOC_TOKENS = 96  # a whole doc as a query: its first word pieces are what a question holds


@dataclass(frozen=True)
class Packed:
    """One pair as a run on another machine reads it."""

    group: str  # the package
    language: str
    kind: str
    sentence: str
    doc: str
    code: str


def pack(train: Sequence[Pair], heldout: Sequence[Pair], out: Path,
         cut: Callable[[Sequence[str], int], list[str]], code_tokens: int) -> int:
    """Write `train` and `heldout` pairs to `out` (xz JSON lines), codes cut by `cut` to
    `code_tokens` and docs to DOC_TOKENS; returns the file's size in bytes."""
    lines = []
    for side, pairs in (("train", train), ("heldout", heldout)):
        codes = cut([p.code for p in pairs], code_tokens)
        docs = cut([" ".join(p.doc.split()) for p in pairs], DOC_TOKENS)
        groups = sorted({p.path.split("/", 1)[0] for p in pairs})
        index = {g: i for i, g in enumerate(groups)}
        lines.append(json.dumps({"side": side, "groups": groups, "pairs": len(pairs)}))
        for p, code, doc in zip(pairs, codes, docs, strict=True):
            # the sentence is most often the doc's start: store its length, not its text
            sentence: str | int = len(p.query) if doc.startswith(p.query) else p.query
            lines.append(json.dumps([index[p.path.split("/", 1)[0]], p.language, p.kind,
                                     sentence, doc, code], ensure_ascii=False))
    data = lzma.compress("\n".join(lines).encode("utf-8"), preset=9 | lzma.PRESET_EXTREME)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
    return len(data)


def at_most(pairs: Sequence[Pair], per_group: int, seed: int = 0) -> list[Pair]:
    """`pairs` with at most `per_group` of each package (a seeded sample), in their order."""
    by_group: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(pairs):
        by_group[p.path.split("/", 1)[0]].append(i)
    rng = random.Random(seed)
    keep = {i for group in sorted(by_group)
            for i in rng.sample(by_group[group], min(per_group, len(by_group[group])))}
    return [p for i, p in enumerate(pairs) if i in keep]


def token_cutter(tokenizer_file: Path) -> Callable[[Sequence[str], int], list[str]]:
    """A `cut` for `pack`: each text up to the end of its n-th word piece (by the model's
    own tokenizer, so nothing the model would read is lost)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.no_truncation()
    tokenizer.no_padding()

    def cut(texts: Sequence[str], n: int) -> list[str]:
        out = []
        for text, enc in zip(texts, tokenizer.encode_batch(list(texts), add_special_tokens=False),
                             strict=True):
            out.append(text[:enc.offsets[n - 1][1]] if len(enc.offsets) > n else text)
        return out

    return cut


def read(path: Path) -> dict[str, list[Packed]]:
    """The pack's pairs by side ("train", "heldout")."""
    out: dict[str, list[Packed]] = {}
    groups: list[str] = []
    side: list[Packed] = []
    for line in lzma.decompress(path.read_bytes()).decode("utf-8").splitlines():
        row = json.loads(line)
        if isinstance(row, dict):
            groups, side = row["groups"], []
            out[row["side"]] = side
            continue
        group, language, kind, sentence, doc, code = row
        text = doc[:sentence] if isinstance(sentence, int) else sentence
        side.append(Packed(groups[group], language, kind, text, doc, code))
    return out
