"""How alike two pieces of code read, by their tokens: the measure behind near-duplicates
(duplicates.py confirms embedding neighbours with it) and findSimilar's final ordering
(retrieval.py re-ranks the fused top candidates with it).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

from .lexical import split_identifier

WORD_SHINGLE = 3  # tokens per shingle of the word stream
SHAPE_SHINGLE = 4  # ... and of the shape stream (fewer distinct tokens: longer runs)
# How much the overlap of identifier words adds to lexical_similarity in `resemblance`.
# Measured leave-one-package-out on bench/clones (README there): 0.5 raised findSimilar's
# MRR@10 on js-yaml, tcell and dbus and lowered no package and no similarity stratum.
WORD_BAG_WEIGHT = 0.5

# Words kept as themselves in the shape stream: control flow and declarations across languages.
KEYWORDS = frozenset(
    "if else elif for while do return def class function fn func let const var in not and or "
    "try except catch finally raise throw import from with as yield await async break continue "
    "switch case default match struct impl pub mut new delete this self super null nil none true "
    "false lambda static public private protected void int float bool string go defer select "
    "interface type package end begin then unless until loop where is".split()
)

_TOKEN = re.compile(
    r"[A-Za-z_][A-Za-z0-9_]*"
    r"|\d[\w.]*"
    r"|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`[^`]*`"
    r"|==|!=|<=|>=|->|=>|&&|\|\||\*\*|//|<<|>>|\+=|-=|::"
    r"|[^\s\w]"
)
COMMENT_LINE = re.compile(r"^\s*(#|//|/\*|\*|--|;)")
_BLOCK_STRING = re.compile(r'[rRbBuUfF]{0,2}("""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|`[^`]*`)')


@dataclass(frozen=True)
class Tokens:
    """A chunk's code as two streams: `words` (identifiers split into parts, literals, operators)
    and `shape` (identifiers other than keywords as `$`, literals as their kind)."""

    words: tuple[str, ...]
    shape: tuple[str, ...]
    lines: int  # lines of code: not blank, not comment-only
    names: tuple[str, ...] = ()  # the words of identifiers that are not keywords, for word_bag

    @cached_property
    def word_shingles(self) -> Counter[tuple[str, ...]]:
        return shingles(self.words, WORD_SHINGLE)

    @cached_property
    def shape_shingles(self) -> Counter[tuple[str, ...]]:
        return shingles(self.shape, SHAPE_SHINGLE)

    @cached_property
    def word_bag(self) -> Counter[tuple[str, ...]]:
        """The identifier words (split into parts; no keywords, literals or operators), in any
        order: what survives reordered statements and moved blocks, which break shingles."""
        return Counter(zip(self.names, strict=True))


@lru_cache(maxsize=256)
def code_tokens(text: str) -> Tokens:
    """The token streams of `text`. Comment-only lines are left out and a block string (a
    docstring) is one string token on one line: two functions that share only their
    documentation are not copies, and a docstring is not lines of code.

    The last 256 are kept: completion context asks again at every keystroke, about much the
    same candidates, and findSimilar's candidates are often a neighbour's too."""
    if '"""' in text or "'''" in text or "`" in text:
        text = _BLOCK_STRING.sub('""', text)
    kept = [line for line in text.split("\n") if line.strip() and not COMMENT_LINE.match(line)]
    words: list[str] = []
    shape: list[str] = []
    names: list[str] = []
    # one pass over the kept lines: no token spans a line (the block strings are gone)
    for tok in _TOKEN.findall("\n".join(kept)):
        first = tok[0]
        if first.isalpha() or first == "_":
            parts, kind, named = _identifier(tok)
            words.extend(parts)
            shape.append(kind)
            names.extend(named)
        elif first.isdigit():
            words.append(tok)
            shape.append("0")
        elif first in "\"'`":
            words.append(tok)
            shape.append('"')
        else:
            words.append(tok)
            shape.append(tok)
    return Tokens(tuple(words), tuple(shape), len(kept), tuple(names))


@lru_cache(maxsize=1 << 14)
def _identifier(tok: str) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    """An identifier token's words, its shape token and its words for the word bag (none for
    a keyword). Kept: code repeats its identifiers, and splitting them was a third of
    `code_tokens`."""
    low = tok.lower()
    if low in KEYWORDS:
        return (low,), low, ()
    parts = tuple(split_identifier(tok)) or (low,)
    return parts, "$", tuple(w for w in parts
                             if (w[0].isalpha() or w[0] == "_") and w not in KEYWORDS)


def shingles(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    """The multiset of runs of `n` consecutive tokens (the whole sequence when shorter)."""
    if len(tokens) <= n:
        return Counter([tuple(tokens)])
    return Counter(zip(*(tokens[i:] for i in range(n)), strict=False))


def dice(a: Counter[tuple[str, ...]], b: Counter[tuple[str, ...]]) -> float:
    """2·|a ∩ b| / (|a| + |b|) of two multisets: 1 for the same, 0 for nothing shared."""
    total = a.total() + b.total()
    if total == 0:
        return 1.0
    if len(a) > len(b):
        a, b = b, a
    common = sum(min(count, b[key]) for key, count in a.items() if key in b)
    return 2 * common / total


def lexical_similarity(a: Tokens, b: Tokens) -> float:
    """How alike two chunks read, 0..1: the mean of the Dice overlap of their word shingles
    (an edited copy keeps most of them) and of their shape shingles (a copy with renamed
    identifiers keeps those). Shingles, not an alignment: linear time, and an edit costs only
    the few shingles around it."""
    return (dice(a.word_shingles, b.word_shingles) + dice(a.shape_shingles, b.shape_shingles)) / 2


def resemblance(a: Tokens, b: Tokens) -> float:
    """How alike two pieces of code read, for ranking (findSimilar), 0..1.5: their
    lexical_similarity plus WORD_BAG_WEIGHT times the Dice overlap of their identifier words.
    A heavily rewritten function keeps its words (names, fields, called functions) long after
    its token runs are gone."""
    return lexical_similarity(a, b) + WORD_BAG_WEIGHT * dice(a.word_bag, b.word_bag)
