"""scan → chunk → store → embed, for a whole folder or for the few paths that just changed.

A full `sync` and an `update` of some paths decide alike which files changed (mtime and size,
confirmed by content hash), chunk them and replace each file's rows in one transaction. They
differ in when the model runs:

- `update` (and an editor buffer) embeds the few chunks whose hash has no vector yet before
  writing: what was just edited is searchable both ways at once.
- a sync writes every changed file with its words first (the lexical tier: a chunk whose vector
  is cached gets it, the others none), so a cold start makes every file searchable in the time
  it takes to chunk them; `embed_pending` then fills the vectors in, most relevant files first.
  The server runs `sync_lexical`, then `embed_pending` step by step between other work;
  `sync` runs both to the end.

Open editor buffers take the place of the file on disk until they are closed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..code.chunking import CHUNKER_VERSION, Chunk, chunk_text
from ..code.languages import language_for_path
from ..config import Settings
from ..embed.base import Embedder
from ..store.base import FileState, IndexStore, StoreError
from . import scan

log = logging.getLogger(__name__)

WRITE_BATCH = 128  # chunks gathered across files before they are written
EMBED_STEP = 128  # chunks embedded in one step of `embed_pending` (a few seconds on 2 cores)
# A file modified this recently can be written again, at the same size, without its mtime
# moving (coarse timestamps): its mtime is not trusted until it is older (see _recorded_mtime).
RACY_NS = 2_000_000_000


@dataclass(frozen=True)
class Progress:
    """How far an indexing run is: files written of files to write (stage "files"), then
    chunks embedded of chunks to embed (stage "embedding")."""

    done: int
    total: int
    path: str | None = None
    reason: str | None = None  # why everything is embedded again (the model changed)
    stage: str = "files"


@dataclass
class Report:
    """What an indexing run did."""

    files_seen: int = 0
    files_indexed: int = 0
    files_unchanged: int = 0
    files_deleted: int = 0
    chunks_embedded: int = 0
    chunks_cached: int = 0
    skipped: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, other: Report) -> None:
        for name in ("files_seen", "files_indexed", "files_unchanged", "files_deleted",
                     "chunks_embedded", "chunks_cached", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.skipped.update(other.skipped)


@dataclass
class _Pending:
    state: FileState
    language: str
    chunks: list[Chunk]


ProgressFn = Callable[[Progress], None]


class Indexer:
    """Keeps one folder's store in line with its files (and the editor's open buffers).

    Not thread-safe: one indexer thread calls it (the server serialises through a queue)."""

    def __init__(self, root: Path, store: IndexStore, embedder: Embedder, settings: Settings,
                 inner: Sequence[Path] = ()) -> None:
        self.root = root.resolve()
        self.reason: str | None = None  # why this sync embeds everything again, if it does
        self.store = store
        self.embedder = embedder
        self.filter = scan.FileFilter(self.root, settings, inner)
        self.buffers: dict[str, str] = {}  # rel path -> unsaved text
        self._buffer_lock = threading.Lock()
        self._told_read_only = False

    # -- entry points

    def sync(self, progress: ProgressFn | None = None,
             cancel: threading.Event | None = None) -> Report:
        """Bring the whole index in line with the folder: `sync_lexical`, then embed every
        chunk that has no vector yet."""
        started = time.monotonic()
        report = self.sync_lexical(progress, cancel)
        total = self.store.unembedded_count()
        done = 0
        while not (cancel and cancel.is_set()):
            n = self.embed_pending()
            if not n:
                break
            done += n
            report.chunks_embedded += n
            if progress is not None:
                progress(Progress(done, max(total, done), reason=self.reason, stage="embedding"))
        report.seconds = time.monotonic() - started
        return report

    def sync_lexical(self, progress: ProgressFn | None = None,
                     cancel: threading.Event | None = None) -> Report:
        """Bring the whole index in line with the folder, but for the vectors the cache does not
        hold: changed files are written with their words (the lexical tier); `embed_pending`
        embeds the rest."""
        if self._read_only():
            return Report()
        started = time.monotonic()
        previous = self.store.model_id
        held = self.store.counts()[1] if previous not in (None, self.embedder.model_id) else 0
        self.reason = None
        if self.store.ensure_model(self.embedder.model_id, self.embedder.dim) and previous:
            self.reason = (f"re-embedding with {_model_name(self.embedder.model_id)} (the index "
                           f"held {_model_name(previous)}; {held:,} chunks to embed again)")
            log.info("%s: %s", self.root, self.reason)
        self.filter.reset()  # ignore files may have changed since the last walk
        files = self.filter.walk()
        known = self.store.file_states()
        buffers = self._buffer_paths()
        report = Report(files_seen=len(files))
        # chunks made by another version of the chunker are made again (their vectors mostly
        # come back from the cache)
        rechunk = self.store.meta("chunker") != CHUNKER_VERSION
        if rechunk and not known:  # a new index: everything gets this version's chunks
            self.store.set_meta("chunker", CHUNKER_VERSION)
            rechunk = False
        present = {f.path for f in files} | buffers
        for path in sorted(set(known) - present):
            self.store.delete_file(path)
            report.files_deleted += 1
        todo = [
            f for f in files
            if f.path not in buffers
            and (rechunk or f.path not in known or known[f.path].source != "disk"
                 or (known[f.path].size, known[f.path].mtime_ns) != (f.size, f.mtime_ns))
        ]
        report.files_unchanged = len(files) - len(todo) - len(buffers & {f.path for f in files})
        self._index(todo, known, report, progress, cancel, rechunk, embed=False)
        if rechunk and not (cancel and cancel.is_set()):
            self.store.set_meta("chunker", CHUNKER_VERSION)
        if not (cancel and cancel.is_set()):
            self.store.prune_cache()
        report.seconds = time.monotonic() - started
        return report

    def update(self, rel_paths: Iterable[str], progress: ProgressFn | None = None) -> Report:
        """Re-check these paths (created, changed, deleted or renamed on disk)."""
        if self._read_only():
            return Report()
        started = time.monotonic()
        report = Report()
        known = self.store.file_states()
        buffers = self._buffer_paths()
        todo: list[scan.FileInfo] = []
        for rel in dict.fromkeys(rel_paths):
            if rel in buffers:
                continue  # the editor's text wins until the buffer closes
            reason = self.filter.skip_reason(rel)
            if reason is not None:
                if rel in known:
                    self.store.delete_file(rel)
                    report.files_deleted += 1
                continue
            info = self.filter.info(rel)
            state = known.get(rel)
            if state and state.source == "disk" and (state.size, state.mtime_ns) == (
                    info.size, info.mtime_ns):
                report.files_unchanged += 1
                continue
            todo.append(info)
        report.files_seen = len(todo)
        self._index(todo, known, report, progress, None)
        report.seconds = time.monotonic() - started
        return report

    def embed_pending(self, limit: int = EMBED_STEP) -> int:
        """Embed up to `limit` chunks that have no vector yet, most relevant first (the store
        orders them: editor buffers, then the most recently modified files); how many."""
        if self._read_only():
            return 0
        pending = self.store.unembedded(limit)
        if not pending:
            return 0
        texts = {c.hash: Chunk(c.path, c.language, c.start_line, c.end_line, c.text, c.symbol,
                               c.kind).embed_text for c in pending}
        vectors = self.embedder.embed_batch(list(texts.values()))
        # stored under the chunk's own hash even if the text read back were to differ: every
        # step makes progress
        self.store.put_vectors({h: np.asarray(v) for h, v in zip(texts, vectors, strict=True)})
        return len(texts)

    def deleted_under(self, rel_dir: str) -> list[str]:
        """Indexed paths inside folder `rel_dir` (for a folder deleted or renamed on disk)."""
        prefix = rel_dir.rstrip("/") + "/"
        return [p for p in self.store.file_states() if p.startswith(prefix)]

    def set_buffer(self, rel: str, text: str) -> Report:
        """Index an editor buffer's unsaved text in place of the file on disk."""
        report = Report()
        if self._read_only():
            return report
        reason = self.filter.name_skip_reason(rel)
        if reason is None and len(text) > self.filter.max_bytes:
            reason = f"larger than {self.filter.max_bytes} bytes"
        if reason is None:
            try:
                scan.check_text(text)
            except scan.SkippedFile as exc:  # a secret or a NUL: the file on disk counts
                _log_skip(rel, str(exc))
                report = self.drop_buffer(rel)
                reason = str(exc)
        if reason is not None:
            report.skipped[rel] = reason
            return report
        with self._buffer_lock:
            self.buffers[rel] = text
        state = FileState(rel, len(text.encode("utf-8", "surrogatepass")), -1,
                          scan.text_hash(text), "buffer")
        known = self.store.file_state(rel)
        if known and known.sha256 == state.sha256:
            return report  # the index already holds this text (e.g. a file just opened)
        language = language_for_path(rel) or "text"
        self._write([_Pending(state, language, chunk_text(text, language, rel))], report)
        report.files_indexed = 1
        return report

    def drop_buffer(self, rel: str) -> Report:
        """The editor closed the buffer: the file on disk is what counts again."""
        with self._buffer_lock:
            self.buffers.pop(rel, None)
        return self.update([rel])

    def buffer_text(self, rel: str) -> str | None:
        with self._buffer_lock:
            return self.buffers.get(rel)

    def _read_only(self) -> bool:
        """True for an index that cannot be written: it is searched as it is (it must hold
        this model's vectors, or its answers would be noise)."""
        if not self.store.read_only:
            return False
        if self.store.model_id != self.embedder.model_id:
            raise StoreError(f"{self.store.path} cannot be written and holds vectors of "
                             f"{self.store.model_id}, not of {self.embedder.model_id}")
        if not self._told_read_only:
            self._told_read_only = True
            log.warning("%s cannot be written (a read-only folder): searching it as it is, "
                        "without updating it", self.store.path)
        return True

    # -- the pipeline

    def _buffer_paths(self) -> set[str]:
        with self._buffer_lock:
            return set(self.buffers)

    def _index(
        self, todo: list[scan.FileInfo], known: dict[str, FileState], report: Report,
        progress: ProgressFn | None, cancel: threading.Event | None, rechunk: bool = False,
        embed: bool = True,
    ) -> None:
        batch: list[_Pending] = []
        batch_chunks = 0
        for n, info in enumerate(todo, 1):
            if cancel is not None and cancel.is_set():
                break
            pending = self._prepare(info, known.get(info.path), report, rechunk)
            if pending is not None:
                batch.append(pending)
                batch_chunks += len(pending.chunks)
            if batch_chunks >= WRITE_BATCH or n == len(todo):
                self._write(batch, report, embed)
                batch, batch_chunks = [], 0
                if progress is not None:
                    progress(Progress(n, len(todo), info.path, self.reason))
        if batch:
            self._write(batch, report, embed)

    def _prepare(self, info: scan.FileInfo, state: FileState | None, report: Report,
                 rechunk: bool = False) -> _Pending | None:
        """Read and chunk one file; None when it needs no new chunks."""
        try:
            content = scan.read(self.root / info.path)
        except scan.SkippedFile as exc:
            _log_skip(info.path, str(exc))
            report.skipped[info.path] = str(exc)
            if state is not None:
                self.store.delete_file(info.path)
                report.files_deleted += 1
            return None
        except OSError as exc:
            report.skipped[info.path] = f"unreadable: {exc.strerror or exc}"
            return None
        mtime_ns = _recorded_mtime(info.mtime_ns)
        if (not rechunk and state is not None and state.sha256 == content.sha256
                and state.source == "disk"):
            self.store.touch_file(info.path, info.size, mtime_ns)
            report.files_unchanged += 1
            return None
        new_state = FileState(info.path, info.size, mtime_ns, content.sha256, "disk")
        return _Pending(new_state, info.language, chunk_text(content.text, info.language,
                                                              info.path))

    def _write(self, batch: list[_Pending], report: Report, embed: bool = True) -> None:
        """Replace each file of the batch in its own transaction, with the vectors the cache
        holds and, when `embed`, the missing ones embedded first."""
        if not batch:
            return
        texts = {c.hash: c.embed_text for p in batch for c in p.chunks}
        vectors = self.store.cached_vectors(texts)
        missing = [h for h in texts if h not in vectors]
        report.chunks_cached += len(texts) - len(missing)
        if missing and embed:
            embedded = self.embedder.embed_batch([texts[h] for h in missing])
            fresh = {h: np.asarray(v) for h, v in zip(missing, embedded, strict=True)}
            self.store.put_vectors(fresh)
            vectors.update(fresh)
            report.chunks_embedded += len(missing)
        for p in batch:
            self.store.replace_file(p.state, p.language, p.chunks, vectors)
            report.files_indexed += 1


def _recorded_mtime(mtime_ns: int) -> int:
    """The mtime to store for a file just read: 0 when it was modified within RACY_NS, so that
    the next look reads and hashes it again instead of trusting an unchanged mtime and size
    (git's "racily clean" entries); the real mtime once the file is older."""
    return 0 if time.time_ns() - mtime_ns < RACY_NS else mtime_ns


def _log_skip(rel: str, reason: str) -> None:
    if reason.startswith("secret"):  # the user should know why a file is missing from results
        log.warning("not indexing %s (%s)", rel, reason)


def _model_name(model_id: str) -> str:
    """The model's name in a model id (`name@fingerprint/backend`)."""
    return model_id.split("@", 1)[0]
