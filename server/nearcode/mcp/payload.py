"""Hits as the text an agent reads, within a stated budget.

An agent pays for every character of a tool result with its context window, so a result is
plain text (no JSON escaping of code), ranked best first, and bounded:

- each hit's code is cut at a line boundary after `CODE_CHARS_PER_HIT` characters, with a note
  of how many lines were left out (the agent can read the file for the rest);
- a whole result is at most `MAX_RESULT_CHARS` characters (about 3–4k tokens). Hits that no
  longer fit with their code are listed without it, still in rank order; only when not even
  their headers fit are the last ones dropped, and the result says how many.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..search.retrieval import Hit

CODE_CHARS_PER_HIT = 1_200
MAX_RESULT_CHARS = 12_000
FIELD_CHARS = 200  # a path or symbol longer than this is cut in the header
_TAIL_RESERVE = 120  # room kept for the closing note


def trim_code(text: str, limit: int) -> tuple[str, int]:
    """`text` cut after the last whole line within `limit` characters (a single longer first
    line is cut itself); returns the code and how many lines were left out."""
    text = text.rstrip("\n")
    if len(text) <= limit:
        return text, 0
    lines = text.split("\n")
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > limit:
            break
        kept.append(line)
        size += len(line) + 1
    if not kept:
        kept = [lines[0][: max(0, limit - 1)] + "…"]
    return "\n".join(kept), len(lines) - len(kept)


def _fence(code: str) -> str:
    """A backtick fence longer than any run inside `code`, so the code cannot close it."""
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    return "`" * max(3, longest + 1)


def _cut(value: str) -> str:
    value = " ".join(value.split())  # a header is one line
    return value if len(value) <= FIELD_CHARS else value[: FIELD_CHARS - 1] + "…"


def header(rank: int, e: Hit) -> str:
    """`1. pkg/app.py:10-24  load_config  (function, python, score 0.8123)`."""
    name = f"  {_cut(e.symbol)}" if e.symbol else ""
    return (f"{rank}. {_cut(e.path)}:{e.start_line}-{e.end_line}{name}  "
            f"({e.kind}, {e.language}, score {e.score:.4f})")


def render(title: str, found: Sequence[Hit], code_chars: int = CODE_CHARS_PER_HIT,
           max_chars: int = MAX_RESULT_CHARS, empty: str = "No results.") -> str:
    """The result text: `title`, then each hit's header and code, within `max_chars`.

    Every hit's header is kept (the ranking is the answer); the code goes to the best
    ranked hits while the budget lasts. Paths are relative to the hit's workspace folder."""
    title = title.rstrip() + "\n"
    if not found:
        return title + empty + "\n"
    heads = [header(rank, e) + "\n" for rank, e in enumerate(found, 1)]
    room = max_chars - len(title) - _TAIL_RESERVE
    kept = 0
    while kept < len(heads) and room - len(heads[kept]) >= 0:
        room -= len(heads[kept])
        kept += 1
    parts = [title]
    without_code = 0
    for head, e in zip(heads[:kept], found, strict=False):
        code, cut = trim_code(e.text, code_chars)
        fence = _fence(code)
        block = f"{fence}{e.language}\n{code}\n{fence}\n"
        if cut:
            block += f"… {cut} more line{'s' if cut != 1 else ''} (read the file for the rest)\n"
        parts.append(head)
        if len(block) <= room:
            parts.append(block)
            room -= len(block)
        else:
            without_code += 1
    if without_code:
        parts.append(f"({without_code} result{'s' if without_code != 1 else ''} listed "
                     f"without code: the result is kept under {max_chars} characters)\n")
    dropped = len(found) - kept
    if dropped:
        parts.append(f"({dropped} more result{'s' if dropped != 1 else ''} left out: the "
                     f"result is kept under {max_chars} characters)\n")
    return "".join(parts)
