"""The lexical tier (#18): a sync writes every changed file with its words before any vector is
made, so the whole folder is searchable at once; the vectors follow, the most relevant files
first; once they are all in, the index answers exactly as a fresh full index does."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from helpers import DATA, CountingEmbedder, deep_check, snapshot
from nearcode.app.workspace import Workspace
from nearcode.config import Settings
from nearcode.index.indexer import EMBED_STEP

QUERIES = ["parse a configuration file", "split text into words", "render", "cache results"]


def _workspace(root: Path, db: Path, embedder: CountingEmbedder) -> Workspace:
    return Workspace([root], Settings(model="fake", db_path=str(db)), embedder=embedder)


def _tree(root: Path) -> Path:
    shutil.copytree(DATA / "chunking", root / "src")
    return root


def _answers(ws: Workspace) -> list[list[tuple[str, int, int, float]]]:
    """Each query's hits as (path, start, end, score): what a user sees."""
    return [[(h.path, h.start_line, h.end_line, round(h.score, 6))
             for h in ws.retriever.search(q, 10)] for q in QUERIES]


def _similar(ws: Workspace, folder_root: Path) -> list[list[tuple[str, int, float]]]:
    store = ws.folders[0].store
    out = []
    for path in sorted(store.file_states())[:5]:
        chunk = store.chunks_of_file(path)[0]
        vector = store.vectors_of([chunk.id])[chunk.id]
        out.append([(h.path, h.start_line, round(h.score, 6)) for h in
                    ws.retriever.similar(chunk.text, 5, (folder_root, frozenset({chunk.id})),
                                         vector=vector)])
    return out


def _fresh(root: Path, db: Path) -> tuple[set[tuple], list, list]:  # type: ignore[type-arg]
    ws = _workspace(root, db, CountingEmbedder())
    ws.sync()
    result = snapshot(ws.folders[0].store), _answers(ws), _similar(ws, ws.root)
    ws.close()
    return result


def test_every_file_is_searchable_before_any_vector(tmp_path: Path) -> None:
    root = _tree(tmp_path / "ws")
    emb = CountingEmbedder()
    ws = _workspace(root, tmp_path / "index.db", emb)
    folder = ws.folders[0]
    report = folder.indexer.sync_lexical()
    store = folder.store
    files, chunks = store.counts()
    assert emb.reset() == 0 and report.files_indexed == files > 10
    assert store.unembedded_count() == chunks and deep_check(store) == []  # type: ignore[arg-type]
    for path in store.file_states():  # every file is found by a word of its own
        symbol = next(c.symbol for c in store.chunks_of_file(path)) or ""
        hits = ws.retriever.search(f"{path} {symbol}", 20)
        assert any(h.path == path for h in hits), path
    ws.close()


def test_newest_files_are_embedded_first(tmp_path: Path) -> None:
    root = _tree(tmp_path / "ws")
    paths = sorted(p for p in (root / "src").iterdir() if p.is_file())
    old = 1_000_000_000 * 1_600_000_000  # long ago: these mtimes are recorded as they are
    for i, p in enumerate(paths):
        os.utime(p, ns=(old + i, old + i))
    newest = paths[0]
    os.utime(newest, ns=(old + 10**12, old + 10**12))
    emb = CountingEmbedder()
    ws = _workspace(root, tmp_path / "index.db", emb)
    indexer = ws.folders[0].indexer
    indexer.sync_lexical()
    rel = newest.relative_to(root).as_posix()
    own = {c.hash for c in ws.folders[0].store.chunks_of_file(rel)}
    assert len(own) <= EMBED_STEP
    assert indexer.embed_pending() > 0
    assert own <= set(ws.folders[0].store.cached_vectors(own))  # its vectors came first
    ws.close()


def test_after_the_fill_answers_equal_a_fresh_full_index(tmp_path: Path) -> None:
    """Interrupted by edits, deletions and a buffer between steps, a fill that runs to its end
    leaves the index a fresh `sync` would build: same chunks, same answers."""
    root = _tree(tmp_path / "ws")
    emb = CountingEmbedder()
    ws = _workspace(root, tmp_path / "index.db", emb)
    indexer = ws.folders[0].indexer
    indexer.sync_lexical()
    indexer.embed_pending(5)
    files = sorted(p for p in (root / "src").iterdir() if p.is_file())
    files[0].write_text(files[0].read_text() + "\n\ndef brand_new_helper(x):\n    return x\n")
    files[1].unlink()
    indexer.update([files[0].relative_to(root).as_posix(), files[1].relative_to(root).as_posix()])
    rel2 = files[2].relative_to(root).as_posix()
    indexer.set_buffer(rel2, files[2].read_text() + "\n# edited in the editor\n")
    indexer.embed_pending(7)
    indexer.drop_buffer(rel2)
    while indexer.embed_pending():
        pass
    store = ws.folders[0].store
    assert store.unembedded_count() == 0 and deep_check(store) == []  # type: ignore[arg-type]
    got = snapshot(store), _answers(ws), _similar(ws, ws.root)
    ws.close()
    fresh = _fresh(root, tmp_path / "fresh.db")
    assert got == fresh


def test_a_sync_embeds_each_distinct_chunk_once(tmp_path: Path) -> None:
    root = _tree(tmp_path / "ws")
    emb = CountingEmbedder()
    ws = _workspace(root, tmp_path / "index.db", emb)
    report = ws.sync()
    hashes = {r[0] for r in ws.folders[0].store.db.execute(  # type: ignore[attr-defined]
        "SELECT hash FROM chunks")}
    assert emb.reset() == report.chunks_embedded == len(hashes)
    assert ws.sync().chunks_embedded == 0 and emb.reset() == 0
    ws.close()
