"""The full-text half of the SQLite store: which query words to search for, BM25 candidates
and the scale of their scores.

A code → code query (findSimilar, completionContext) holds dozens of words. FTS5 then reads
the postings of every one of them and ranks every chunk that holds any: at 100k chunks that
was 250-380 ms a query. BM25 ranks mostly by the rare words, so only the rarest words are
searched for, as many as a fixed budget of postings allows (bench/README.md, "Big
repositories"); queries within the budget (short ones, or any on a small index) search for
all their words but the very common ones, as before.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

from ..code import lexical
from .base import Filter, StoreError
from .sqlite_schema import TOKENIZE

log = logging.getLogger(__name__)

FTS_WEIGHTS = (2.0, 0.5, 1.0)  # BM25 weight of a match in the symbol, path and body columns
COMMON_WORD = 0.25  # share of chunks above which a query word is too common to search for
# A query reads the postings of each of its words: about 2-4 ms per 1,000 at 100k chunks on 2
# cores (bench/README.md, "Big repositories"). The rarest words are searched for while their
# postings add up to at most POSTINGS (and at least MIN_WORDS of them).
POSTINGS = int(os.environ.get("NEARCODE_FTS_POSTINGS", "2000"))
MIN_WORDS = 4
STEM_BATCH = 400  # words stemmed in one statement (two parameters each)
MAX_STEMS = 200_000  # stems kept, then forgotten and worked out again

Rows = Callable[[str, Sequence[object]], list[tuple[Any, ...]]]


class FullText:
    """Queries of one index's `chunks_fts` table."""

    def __init__(self, rows: Rows, generation: Callable[[], str | None],
                 chunk_count: Callable[[], int]) -> None:
        self._rows = rows
        self._generation = generation
        self._chunk_count = chunk_count
        self._df: dict[str, tuple[int, bool]] = {}  # word -> (count, exact)
        self._df_generation: str | None = None
        self._lock = threading.Lock()  # the counts are read by queries, moved on by writes
        self._stems: dict[str, tuple[str, ...]] = {}  # word -> the terms FTS5 indexes it as
        self._stem_lock = threading.Lock()

    def document_frequency(self, word: str, cap: int | None = None) -> int:
        """How many chunks hold `word`, counted up to `cap` (a count of `cap` means "at
        least"): counting stops there, so that a word in most chunks costs no more than a
        rare one (at 100k chunks: 0.4 ms instead of 18). Cached while the index does not
        change: counts kept across a change would make an answer depend on the index's history
        (an index built edit by edit must answer as a fresh one does)."""
        self._refresh()
        return self._count(word, cap)

    def _refresh(self) -> None:
        """Forget the counts when the index changed (read once per query, not per word: a
        code query has ~100 words), unless `follow` moved them on."""
        generation = self._generation()
        with self._lock:
            if self._df_generation != generation:
                self._df.clear()
                self._df_generation = generation

    def follow(self, before: str, after: str, words: set[str]) -> None:
        """Move the counts from generation `before` to `after`, one write of this process that
        added or removed chunks holding `words` (as indexed): forget the counts of the query
        words that FTS5 indexes as one of the same terms (it stems: `parsing` and `parses` are
        both `pars`), keep the rest. Counts of any other generation are left to `_refresh`."""
        with self._lock:
            if self._df_generation != before:
                return
            cached = set(self._df)
        stems = self.stems(words | cached) if words else {w: () for w in cached}
        changed = {term for w in words for term in stems[w]}
        with self._lock:
            if self._df_generation != before:
                return
            for word in list(self._df):  # counted meanwhile: maybe before the write, forget it
                if word not in cached or changed.intersection(stems[word]):
                    del self._df[word]
            self._df_generation = after

    def stems(self, words: set[str]) -> dict[str, tuple[str, ...]]:
        """The terms FTS5 indexes each word as, by its own tokenizer (a temporary table of
        this connection: Python has no Porter stemmer here); kept, as they never change."""
        with self._stem_lock:
            return self._stems_of(words)

    def _stems_of(self, words: set[str]) -> dict[str, tuple[str, ...]]:
        if len(self._stems) > MAX_STEMS:
            self._stems.clear()
        todo = [w for w in words if w not in self._stems]
        found: dict[str, tuple[str, ...]] = {}
        if todo:
            self._rows(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.nc_stems USING fts5(w,"
                       f" tokenize = '{TOKENIZE}')", ())
            self._rows("CREATE VIRTUAL TABLE IF NOT EXISTS temp.nc_stem_terms USING"
                       " fts5vocab(temp, nc_stems, 'instance')", ())
        for start in range(0, len(todo), STEM_BATCH):
            part = todo[start : start + STEM_BATCH]
            self._rows("DELETE FROM temp.nc_stems", ())
            self._rows("INSERT INTO temp.nc_stems (rowid, w) VALUES "
                       + ",".join("(?, ?)" for _ in part),
                       [x for i, w in enumerate(part) for x in (i, w)])
            terms: dict[int, set[str]] = {}
            for i, term in self._rows("SELECT doc, term FROM temp.nc_stem_terms", ()):
                terms.setdefault(int(i), set()).add(str(term))
            for i, w in enumerate(part):
                found[w] = tuple(sorted(terms.get(i, ())))
        self._stems.update(found)
        return {w: found[w] if w in found else self._stems[w] for w in words}

    def _count(self, word: str, cap: int | None = None) -> int:
        """`document_frequency` as of the last `_refresh`."""
        known = self._df.get(word)
        if known is not None and (known[1] or (cap is not None and known[0] >= cap)):
            return known[0]
        counted_at = self._df_generation
        query = lexical.fts_query([word])
        if cap is None:
            rows = self._rows("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?",
                              (query,))
        else:
            rows = self._rows("SELECT count(*) FROM (SELECT 1 FROM chunks_fts WHERE chunks_fts"
                              " MATCH ? LIMIT ?)", (query, cap))
        count = int(rows[0][0])
        with self._lock:
            if self._df_generation == counted_at:  # else a write moved the counts on meanwhile
                self._df[word] = (count, cap is None or count < cap)
        return count

    def clear(self) -> None:
        with self._lock:
            self._df.clear()
            self._df_generation = None

    def select(self, words: Sequence[str]) -> tuple[list[str], list[str], bool]:
        """(words to search for, words found nowhere, whether the budget cut any). Words in
        more than COMMON_WORD of the chunks are left out (unless all are); then the rarest
        while their postings fit in POSTINGS (at least MIN_WORDS of them)."""
        n = self._chunk_count()
        cap = POSTINGS + 1
        self._refresh()
        df = {w: self._count(w, cap) for w in words}
        absent = [w for w in words if df[w] == 0]
        present = [w for w in words if df[w] > 0]
        many = [w for w in present if df[w] >= cap]  # more postings than the whole budget
        rare = [w for w in present if df[w] < cap and df[w] <= COMMON_WORD * n]
        if not many and sum(df[w] for w in rare) <= POSTINGS:
            return rare or ([] if absent else present), absent, False
        chosen: list[str] = []
        total = 0
        for w in sorted(rare, key=lambda w: df[w]):
            if len(chosen) >= MIN_WORDS and total + df[w] > POSTINGS:
                break
            chosen.append(w)
            total += df[w]
        common = int(COMMON_WORD * n) + 1
        for w in many:  # too few rare words: add frequent ones, but not the very common
            if len(chosen) >= MIN_WORDS:
                break
            if self._count(w, common) < common:
                chosen.append(w)
        if not chosen and not absent:  # every word is very common: search for all, as always
            chosen = [w for w in present if self._count(w) > 0]
        keep = set(chosen)
        return [w for w in present if w in keep], absent, True

    def ceiling(self, words: Sequence[str]) -> float:
        """Half the summed BM25 idf of the query words (those searched for, and those found
        nowhere): about the score of a chunk that holds half of what the query says."""
        n = self._chunk_count()
        rare, absent, cut = self.select(words)
        if not cut:
            rare = [w for w in words if w not in absent]  # common words count, as they always did
        total = 0.0
        for word in rare + absent:
            df = self._count(word)  # select() has just refreshed
            total += max(1e-6, math.log((n - df + 0.5) / (df + 0.5)))
        return 0.5 * total

    def candidates(self, words: Sequence[str], k: int, flt: Filter,
                   keep: Callable[[list[int], Filter], list[int]]) -> list[tuple[int, float]]:
        """Chunk ids and BM25 scores (higher is better) of the best matches, passing `flt`
        (`keep` filters ids by language and path)."""
        rare, _, _ = self.select(words)
        query = lexical.fts_query(rare)
        if not query:
            return []
        want = k * (8 if flt else 1) + len(flt.exclude_ids)
        rank = "bm25(chunks_fts, {}, {}, {})".format(*FTS_WEIGHTS)
        try:
            rows = self._rows(
                f"SELECT rowid, -{rank} FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY {rank}"
                " LIMIT ?",
                (query, want),
            )
        except StoreError:
            log.warning("full-text query failed: %s", query, exc_info=True)
            return []
        ids = [r[0] for r in rows if r[0] not in flt.exclude_ids]
        kept = set(keep(ids, flt)) if flt else set(ids)
        return [(cid, float(s)) for cid, s in rows if cid in kept][:k]

