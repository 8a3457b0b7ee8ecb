"""Words for full-text search: identifiers split into their parts, queries built from them.

`getUserName` and `get_user_name` both index as `get user name getusername`, so a natural
language query ("get the user name"), a partial identifier and the whole identifier all match.
"""

from __future__ import annotations

import re

# Change with anything that changes what `index_text` yields: every index's full-text table is
# then rebuilt on open (it re-derives the words of a row it deletes, store/sqlite_db.py).
TERMS_VERSION = "1"

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")
_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
# Words too common to say anything in code or in a question about it.
STOPWORDS = frozenset(
    "a an and are as at be by for from if in into is it its of on or that the this to was "
    "with self cls none true false return def var let const function this new".split()
)


def split_identifier(ident: str) -> list[str]:
    """Lower-case parts of an identifier: `parseHTTPResponse_v2` → parse, http, response, v, 2."""
    return [p.lower() for p in _PART.findall(ident)]


def terms(text: str) -> list[str]:
    """Every searchable word in `text`, in order: each identifier's parts, then the identifier
    itself (lower-cased, underscores dropped) when it has more than one part."""
    out: list[str] = []
    for ident in _IDENT.findall(text):
        parts = split_identifier(ident)
        out.extend(parts)
        if len(parts) > 1:
            out.append("".join(parts))
    return out


def index_text(text: str) -> str:
    """What goes into the full-text index for `text`."""
    return " ".join(terms(text))


def query_terms(text: str, limit: int = 48) -> list[str]:
    """Distinct, non-trivial query words, most frequent first, at most `limit`."""
    counts: dict[str, int] = {}
    for t in terms(text):
        if t in STOPWORDS or len(t) < 2:
            continue
        counts[t] = counts.get(t, 0) + 1
    ranked = sorted(counts, key=lambda t: -counts[t])
    return ranked[:limit]


def fts_query(words: list[str]) -> str:
    """An FTS5 MATCH expression that ORs the quoted words."""
    return " OR ".join('"' + w.replace('"', "") + '"' for w in words if w)


_WH = re.compile(r"\b(?:how|where|when|why|which|what)\b", re.IGNORECASE)


def is_question(query: str) -> bool:
    """A question about code ("how does it retry?", "where are timeouts checked"): its first
    word asks how, where, when, why, which or what, or it ends with `?` and asks one of them
    later ("With a proxy, how is ...?"). A docstring-like description ("Return the first
    item") or a yes/no question ("Is it a string?") is not one."""
    text = query.strip()
    first = text.split(None, 1)[0].rstrip(",?") if text else ""
    return bool(_WH.fullmatch(first)) or (text.endswith("?") and bool(_WH.search(text)))
