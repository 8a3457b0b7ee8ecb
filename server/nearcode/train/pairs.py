"""Mine (text, code) pairs from source trees for contrastive training and held-out evaluation.

A pair is a description a person wrote for a definition, and that definition as nearcode indexes
it: the same chunk `chunking.chunk_text` makes, its doc removed, behind the same one-line header
(`python method Cache.get`). So the model trains on exactly the texts it embeds at search time.

- `docstring`: a Python docstring ↔ the function or class without it.
- `doc-comment`: a JSDoc / Javadoc / Rust `///` / Go / Ruby / C# comment right above a
  definition ↔ the definition without the comment.
- `short` and `test`: documented definitions with tiny code, or in test files. They train but
  are never held out (a test's doc says what the code it calls does).
- `name`: the name of an undocumented function split into words (`parse_http_response` →
  "parse http response") ↔ its code. Weaker: the words are already in the code.

A definition too long for one chunk is paired through its first chunk (its header, signature
and first lines: what search finds for it). Dropped: the later pieces of such a
definition, tiny bodies, docs of fewer than
MIN_QUERY_WORDS words or that are boilerplate ("TODO", "See base class."), and any pair whose
query or code was already seen. `split` holds out whole files, chosen by a seeded hash, so no
file lands on both sides, and keeps the tests of held-out files out of training.
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from ..code.chunking import Chunk, chunk_text
from ..code.languages import BY_NAME, LanguageSpec
from ..code.lexical import split_identifier
from ..code.syntax import parser
from ..config import Settings
from ..index import scan
from .docs import Definition, definitions, describe, first_sentence, is_useful_query

log = logging.getLogger(__name__)

MIN_BODY_LINES = 3  # non-blank lines of code, signature included, once the doc is removed
MIN_BODY_CHARS = 60  # non-space characters of code once the doc is removed
MIN_SHORT_CHARS = 20  # a documented definition shorter than the above still trains ("short")
# Kinds that only train, never held out: a name in words is too easy to measure anything, and
# short definitions and tests stay out so that the held-out set is the same with or without them.
TRAIN_ONLY = frozenset({"name", "short", "test"})
MAX_DOC_CHARS = 600  # a whole description is cut here (the model reads 256 tokens anyway)

# Kinds of chunk that are definitions someone might search for.
_DEF_KINDS = frozenset({
    "function", "method", "class", "constructor", "interface", "struct", "enum", "type", "macro",
})
_TEST_DIRS = frozenset({"test", "tests", "testing", "__tests__", "idle_test", "spec", "specs"})
_TEST_FILE = re.compile(
    r"^(test_.*\.py|.*_test\.(py|go)|.*[._-](test|spec)\.(js|jsx|ts|tsx|mjs|cjs)|.*Tests?\.java)$")

@dataclass(frozen=True)
class Pair:
    """A description ↔ code pair.

    `query` is what a user might type (the description's first sentence, or the name's words);
    `doc` is the whole description; `code` is the chunk's embed text (header + code, doc
    removed); `path` is the file's key, `<source>/<relative path>`.
    """

    query: str
    doc: str
    code: str
    kind: str  # "docstring" | "doc-comment" | "short" (documented, tiny body) | "test" | "name"
    language: str
    path: str
    symbol: str
    line: int


@dataclass
class Mined:
    """Pairs in file order, and what was looked at and left out (reason → count)."""

    pairs: list[Pair] = field(default_factory=list)
    files: int = 0
    workspace: str = ""  # the first root's label: its pairs' paths start with it and a "/"
    dropped: Counter[str] = field(default_factory=Counter)

    def counts(self) -> dict[str, int]:
        return dict(Counter(p.kind for p in self.pairs))


@dataclass(frozen=True)
class Split:
    """Training and held-out pairs; held-out files never appear in training."""

    train: list[Pair]
    heldout: list[Pair]

    @property
    def heldout_files(self) -> set[str]:
        return {p.path for p in self.heldout}

    @property
    def train_files(self) -> set[str]:
        return {p.path for p in self.train}


# ----------------------------------------------------------------------------- mining


def mine(roots: Sequence[Path], settings: Settings, names: bool = True) -> Mined:
    """Pairs from every indexable file under `roots` (gitignore, excludes and secrets
    respected as for indexing); a test file's pairs are of kind "test". `names` adds the weak
    name pairs (not from tests)."""
    out = Mined()
    seen_queries: set[str] = set()
    seen_code: set[str] = set()
    raw: list[Pair] = []
    for label, root in _labels(roots):
        out.workspace = out.workspace or label
        for info in scan.FileFilter(root, settings).walk():
            spec = BY_NAME.get(info.language)
            if spec is None or spec.grammar is None:
                continue
            try:
                text = scan.read(root / info.path).text
            except (OSError, scan.SkippedFile):
                continue
            out.files += 1
            test = is_test_path(info.path)
            found = mine_text(text, spec, f"{label}/{info.path}", out.dropped, names and not test)
            if test:  # a test's doc says what the code it calls does: train only
                found = [replace(p, kind="test") for p in found]
            raw.extend(found)
    # pairs that can be held out first, so that a training-only pair never shadows one
    raw.sort(key=lambda p: p.kind in TRAIN_ONLY)
    for p in raw:
        q = " ".join(p.query.lower().split())
        body = p.code.split("\n", 1)[-1]
        if q in seen_queries or body in seen_code:
            out.dropped["duplicate"] += 1
            continue
        seen_queries.add(q)
        seen_code.add(body)
        out.pairs.append(p)
    out.pairs.sort(key=lambda p: (p.path, p.line, p.kind))
    return out


def _labels(roots: Sequence[Path]) -> Iterable[tuple[str, Path]]:
    """Each root with a short unique label (its folder name) for the paths of its files."""
    used: Counter[str] = Counter()
    for root in roots:
        root = root.resolve()
        name = root.name or "root"
        used[name] += 1
        yield (name if used[name] == 1 else f"{name}~{used[name]}"), root


def is_test_path(rel: str) -> bool:
    """True for files under a test folder or named like a test."""
    parts = PurePosixPath(rel).parts
    return any(p in _TEST_DIRS for p in parts[:-1]) or bool(_TEST_FILE.match(parts[-1]))


def mine_text(text: str, spec: LanguageSpec, path: str, dropped: Counter[str] | None = None,
              names: bool = True) -> list[Pair]:
    """Pairs of one file (not deduplicated). `dropped` counts what was left out, and why."""
    dropped = dropped if dropped is not None else Counter()
    assert spec.grammar is not None
    try:
        tree = parser(spec.grammar).parse(text.encode("utf-8", "surrogatepass"))
        chunks = chunk_text(text, spec.name, path)
    except Exception:  # a file the grammar chokes on teaches nothing
        log.debug("cannot parse %s", path, exc_info=True)
        dropped["unparsable"] += 1
        return []
    lines = text.split("\n")
    defs = definitions(tree.root_node, spec, lines)
    out: list[Pair] = []
    for chunk in chunks:
        if chunk.kind not in _DEF_KINDS or not chunk.symbol:
            continue
        lo, hi = chunk.start_line - 1, chunk.end_line - 1
        inside = [d for d in defs if lo <= d.start and d.end <= hi]
        top = [d for d in inside if not any(o is not d and o.start <= d.start and d.end <= o.end
                                            for o in inside)]
        if top:
            d = max(top, key=lambda d: d.end - d.start)
        else:  # a long definition split into pieces: its first piece stands for it
            opened = [d for d in defs if lo <= d.start <= hi < d.end]
            if not opened:
                dropped["split definition"] += 1
                continue
            d = min(opened, key=lambda d: d.start)
        pair = _pair(chunk, d, lines, path, names)
        if isinstance(pair, str):
            dropped[pair] += 1
        else:
            out.append(pair)
    return out


def _pair(chunk: Chunk, d: Definition, lines: list[str], path: str, names: bool) -> Pair | str:
    """The pair for definition `d` in `chunk`, or the reason there is none."""
    lo = chunk.start_line - 1
    keep = [r for r in range(lo, chunk.end_line) if not (d.doc_rows and
                                                          d.doc_rows[0] <= r <= d.doc_rows[1])]
    code_lines = [lines[r] for r in keep]
    while code_lines and not code_lines[0].strip():
        code_lines.pop(0)
    code = "\n".join(code_lines)
    chars = len("".join(code.split()))
    short = sum(1 for line in code_lines if line.strip()) < MIN_BODY_LINES or \
        chars < MIN_BODY_CHARS
    if short and (d.doc is None or chars < MIN_SHORT_CHARS):
        return "tiny body"
    stripped = Chunk(chunk.path, chunk.language, chunk.start_line, chunk.end_line, code,
                     chunk.symbol, chunk.kind)
    if d.doc is not None:
        description = describe(d.doc)
        query = first_sentence(description)
        if not is_useful_query(query):
            return "trivial doc"
        kind = "short" if short else "docstring" if chunk.language == "python" else "doc-comment"
        return Pair(query, description[:MAX_DOC_CHARS], stripped.embed_text, kind,
                    chunk.language, path, chunk.symbol or "", chunk.start_line)
    if not names:
        return "no doc"
    words = split_identifier((chunk.symbol or "").rsplit(".", 1)[-1])
    if len(words) < 2:
        return "no doc"
    query = " ".join(words)
    return Pair(query, query, stripped.embed_text, "name", chunk.language, path,
                chunk.symbol or "", chunk.start_line)


# ----------------------------------------------------------------------------- split


def split(pairs: Sequence[Pair], seed: int = 0, heldout_fraction: float = 0.2,
          min_heldout: int = 20, max_heldout: int = 500, workspace: str = "") -> Split:
    """Hold out whole files: files in the order of a seeded hash of their path, taken until the
    held-out side has `heldout_fraction` of the documented pairs (between `min_heldout` and
    `max_heldout`). The rest trains. The same corpus and seed give the same split, and a
    file's place in the order does not depend on the other files.

    Held-out files come from the `workspace` root (a label, see `Mined.workspace`) when it has
    enough documented pairs for a fifth of them to reach `min_heldout`: the measure is then of
    the user's code, and extra source trees only train. Otherwise they come from all roots.

    Held-out pairs are documented ones of full size only (not TRAIN_ONLY kinds); the other
    pairs of held-out files are dropped rather than trained on, and so are the pairs of test
    files whose names speak of a held-out file's module (they call it and say what it does).
    """
    documented = [p for p in pairs if p.kind not in TRAIN_ONLY]
    own = [p for p in documented if p.path.startswith(f"{workspace}/")] if workspace else []
    if len(own) * heldout_fraction >= min_heldout:
        documented = own
    target = max(min_heldout, min(max_heldout, round(len(documented) * heldout_fraction)))
    per_file = Counter(p.path for p in documented)  # the files that may be held out
    order = sorted(per_file, key=lambda f: hashlib.sha256(f"{seed}:{f}".encode()).hexdigest())
    held: set[str] = set()
    count = 0
    for f in order:
        if count >= target:
            break
        n = per_file[f]
        if count + n > max_heldout and count:
            continue  # a file too big for what is left goes to training
        held.add(f)
        count += n
    tested = {w for f in held for w in _subjects(f)}
    train = [p for p in pairs if p.path not in held
             and not (p.kind == "test" and _subjects(p.path, test=True) & tested)]
    heldout = [p for p in pairs if p.path in held and p.kind not in TRAIN_ONLY]
    return Split(train, heldout)


_GENERIC_PARTS = frozenset({"", "src", "lib", "source", "main", "index", "mod", "init", "util",
                            "utils", "common", "core", "test", "tests", "testing", "spec"})


def _subjects(path: str, test: bool = False) -> set[str]:
    """The module names a file's path speaks of, lower case, without the root label: its
    folders and stem; for a test file (`test=True`), its stem and test-named folders without
    their test affixes, each also word by word (`test/test_asyncio/test_base_events.py` →
    asyncio, base_events, base, events)."""
    parts = [p.strip("_") for p in PurePosixPath(path.lower()).with_suffix("").parts[1:]]
    if not test:
        return set(parts) - _GENERIC_PARTS
    out: set[str] = set()
    for i, part in enumerate(parts):
        bare = re.sub(r"^tests?[_-]|[_.-](tests?|spec)$|tests?$", "", part)
        if bare != part or i == len(parts) - 1:
            out.add(bare)
            out.update(w for w in re.split(r"[_.-]", bare) if len(w) > 2)
    return out - _GENERIC_PARTS


def shuffled(pairs: Sequence[Pair], seed: int) -> list[Pair]:
    """A seeded permutation of `pairs`."""
    out = list(pairs)
    random.Random(seed).shuffle(out)
    return out


def data_hash(split_: Split) -> str:
    """A short hash of both sides of a split: same hash, same training data."""
    digest = hashlib.sha256()
    for side, items in (("train", split_.train), ("heldout", split_.heldout)):
        for p in items:
            digest.update(f"{side}\0{p.path}\0{p.query}\0{p.doc}\0{p.code}\0".encode(
                "utf-8", "surrogatepass"))
    return digest.hexdigest()[:16]
