"""Helpers shared by the core-index tests: chunk invariants, fixture trees, index snapshots."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from pathlib import Path

from nearcode.code.chunking import MAX_CHARS, MAX_LINES, MIN_CHARS, Chunk
from nearcode.embed.fake import FakeEmbedder
from nearcode.store.sqlite import Store

DATA = Path(__file__).parent / "data"


# ----------------------------------------------------------------------------- chunks


def nonblank_rows(lines: Sequence[str]) -> list[int]:
    """1-based numbers of the lines that hold something besides whitespace."""
    return [i for i, line in enumerate(lines, 1) if line.strip()]


def dense_chars(lines: Sequence[str], first: int, last: int) -> int:
    """Non-whitespace characters on 1-based lines first..last (the chunker's 'size' of glue)."""
    return sum(len("".join(line.split())) for line in lines[first - 1 : last])


def check_invariants(text: str, chunks: Sequence[Chunk], windows: bool = False) -> None:
    """The chunker's contract on `text`.

    Syntax chunks: sorted, disjoint, each starting and ending on a non-blank line, every
    non-blank line in exactly one chunk, `text` equal to the file's lines of the span.
    Line windows (`windows=True`) may overlap, so there every non-blank line is in at least one.
    """
    lines = text.split("\n")
    for c in chunks:
        assert 1 <= c.start_line <= c.end_line <= len(lines), c
        assert lines[c.start_line - 1].strip(), f"chunk starts on a blank line: {c}"
        assert lines[c.end_line - 1].strip(), f"chunk ends on a blank line: {c}"
        assert c.text == "\n".join(lines[c.start_line - 1 : c.end_line])
    starts = [c.start_line for c in chunks]
    assert starts == sorted(starts)
    covered: dict[int, int] = {}
    for c in chunks:
        for row in range(c.start_line, c.end_line + 1):
            covered[row] = covered.get(row, 0) + 1
    for row in nonblank_rows(lines):
        assert covered.get(row, 0) >= 1, f"line {row} is in no chunk: {lines[row - 1]!r}"
        if not windows:
            assert covered[row] == 1, f"line {row} is in {covered[row]} chunks"
    if not windows:
        for a, b in zip(chunks, chunks[1:], strict=False):
            assert a.end_line < b.start_line, f"{a} overlaps {b}"


def check_sizes(lines: Sequence[str], c: Chunk) -> None:
    """A chunk is at most MAX_LINES lines and MAX_CHARS characters (unless one line is longer)."""
    assert c.end_line - c.start_line + 1 <= MAX_LINES, c
    if c.start_line != c.end_line:
        assert len(c.text) <= MAX_CHARS, (len(c.text), c.start_line, c.end_line)


# Lines that belong to the definition below them: comments, doc comments, decorators,
# annotations and attributes.
_LEADING = re.compile(r"^\s*(//|/\*|\*|#(?!include|define|if|endif)|@|\[[A-Z])")


def item_span(lines: Sequence[str], pattern: str) -> tuple[int, int]:
    """1-based (first, last) line of the definition whose defining line matches `pattern`.

    First: the defining line, moved up over the comments and decorators directly above it.
    Last: derived from the layout of the fixture: for Python, the last line indented deeper
    than the definition; for `end` languages and braces, the first later line at the same
    indentation that closes it; a definition complete on one line ends there.
    """
    matches = [i for i, line in enumerate(lines) if re.search(pattern, line)]
    assert len(matches) == 1, f"{pattern!r} matches lines {[m + 1 for m in matches]}"
    row = matches[0]
    first = row
    while first > 0 and _LEADING.match(lines[first - 1]) and lines[first - 1].strip():
        first -= 1
    indent = len(lines[row]) - len(lines[row].lstrip())
    head = lines[row].rstrip()
    if head.endswith(":") and not head.lstrip().startswith(("public:", "private:")):  # python
        last = row
        for j in range(row + 1, len(lines)):
            if not lines[j].strip():
                continue
            if len(lines[j]) - len(lines[j].lstrip()) <= indent:
                break
            last = j
        return first + 1, last + 1
    if head.endswith((";", "{}")) and head.count("{") == head.count("}"):
        return first + 1, row + 1
    for j in range(row + 1, len(lines)):
        stripped = lines[j].strip()
        if len(lines[j]) - len(lines[j].lstrip()) == indent and (
            stripped.startswith("}") or stripped == "end"
        ):
            return first + 1, j + 1
    raise AssertionError(f"no end found for {pattern!r}")


# ----------------------------------------------------------------------------- workspaces


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create `files` (relative posix path -> text or bytes) under `root`; return `root`."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, recording every text it was asked to embed."""

    def __init__(self, dim: int = 256) -> None:
        super().__init__(dim)
        self.texts: list[str] = []

    def embed_batch(self, texts):  # type: ignore[no-untyped-def]
        self.texts.extend(texts)
        return super().embed_batch(texts)

    def reset(self) -> int:
        """How many texts were embedded since the last reset."""
        n = len(self.texts)
        self.texts = []
        return n


def snapshot(store: Store) -> set[tuple]:
    """What an index holds, independent of row ids and timestamps: one tuple per chunk
    (path, span, symbol, kind, hash), plus one per file (path, content hash, source)."""
    rows = store.db.execute(
        "SELECT f.path, c.start_line, c.end_line, c.symbol, c.kind, c.hash"
        " FROM chunks c JOIN files f ON f.id = c.file_id"
    ).fetchall()
    files = store.db.execute("SELECT path, sha256, source FROM files").fetchall()
    return {("chunk", *r) for r in rows} | {("file", *r) for r in files}


def deep_check(store: Store) -> list[str]:
    """Store.check() plus: the same ids in chunks and the full-text table, the vector table
    holding exactly the chunks that have a vector (the others wait for theirs: the lexical
    tier), and no chunk without a file."""
    problems = store.check()
    ids = {r[0] for r in store.db.execute("SELECT id FROM chunks")}
    embedded = {r[0] for r in store.db.execute(
        "SELECT id FROM chunks WHERE hash IN (SELECT hash FROM embeddings)")}
    fts = {r[0] for r in store.db.execute("SELECT id FROM chunks_fts_docsize")}
    try:  # the index holds exactly the words its content view derives (deletes re-derive them)
        store.db.execute("INSERT INTO chunks_fts (chunks_fts, rank) VALUES ('integrity-check', 1)")
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        problems.append(f"full-text index differs from its content: {exc}")
    vec = {r[0] for r in store.db.execute("SELECT rowid FROM vec_bits")}
    if ids != fts:
        problems.append(f"chunk ids {sorted(ids ^ fts)} differ from full-text rows")
    if embedded != vec:
        problems.append(f"chunk ids {sorted(embedded ^ vec)} differ from vector rows")
    orphans = store.db.execute(
        "SELECT COUNT(*) FROM chunks WHERE file_id NOT IN (SELECT id FROM files)").fetchone()[0]
    if orphans:
        problems.append(f"{orphans} chunks without a file")
    return problems


def assert_glue(lines: Sequence[str], first: int, last: int) -> None:
    """Lines first..last (1-based, may be empty) are glue the chunker may merge: tiny code."""
    if first <= last:
        assert dense_chars(lines, first, last) < MIN_CHARS, (first, last)


def new_database(pg_server) -> str:  # type: ignore[no-untyped-def]
    """Create an empty database on a pgserver server; its URL."""
    import uuid

    name = "t" + uuid.uuid4().hex[:12]
    pg_server.psql(f"CREATE DATABASE {name};")
    return str(pg_server.get_uri(name))


# A small function with a comment, for token and duplicate tests.
FUNCTION = textwrap.dedent("""\
    def total_price(items, rate):
        # what the items cost with tax
        total = 0
        for item in items:
            if item.count > 0:
                total += item.price * item.count
        return round(total * (1 + rate), 2)
    """)


# ----------------------------------------------------------------------------- planted secrets


def fake_tokens() -> dict[str, str]:
    """A fake credential of each kind code/secrets.py detects, by tool. Built from parts at run
    time, so that no test file holds a token-shaped string itself."""
    alnum = "Zq8Rt2Lm5Xw9Kd4Hv7Nb3Pc6"  # 24 characters
    b64 = "MIIEowIBAAKCAQEA" + alnum * 3
    return {
        "github": "ghp" + "_" + (alnum * 2)[:36],
        "github-oauth": "gho" + "_" + (alnum * 2)[:36],
        "github-pat": "github" + "_pat_" + alnum[:22] + "_" + (alnum * 3)[:59],
        "aws": "AK" + "IA" + "Q7ZL4WTH2M9XK3PV",
        "aws-secret": "aws_secret_access_key = " + (alnum * 2)[:40],
        "slack": "xo" + "xb-" + "123456789012-1234567890123-" + alnum,
        "npm": "npm" + "_" + (alnum * 2)[:36],
        "pypi": "pypi" + "-AgE" + "IcHlwaS5vcmc" + alnum * 3,
        "google": "AI" + "za" + (alnum * 2)[:35],
        "openai": "sk" + "-proj-" + alnum * 5,
        "openai-legacy": "sk" + "-" + (alnum * 2)[:48],
        "private-key": "-----BEGIN " + "RSA PRIVATE KEY-----\n" + b64 + "\n" + b64 + "\n-----END "
                       + "RSA PRIVATE KEY-----",
        "gcp-service-account": '{"type": "service_account", "private_key": "-----BEGIN '
                               + 'PRIVATE KEY-----\\n' + b64 + '\\n-----END PRIVATE KEY-----\\n"}',
    }
