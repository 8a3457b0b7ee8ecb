"""How much code a definition's body holds, read from its text in any language.

A body of one line (an accessor, a setter, a builder option, a call handed on) documents
behaviour that other code implements; search ranks such a definition a little below one that
does the work (search/priors.body_prior: for a question, a short body too).
"""

from __future__ import annotations

import re

_COMMENT = re.compile(r"^(#|//|/\*|\*|--|@)")  # comment and doc lines, decorators, attributes
CLOSER = re.compile(r"^\s*[})\]]+[;,)]*\s*$|^\s*end\s*$")  # a line that only closes a block
_DOCSTRING = re.compile(r"(\"\"\"|''')(.*?)\1", re.S)
_OPENS_BODY = (":", "{", "=>", "->")


def body_lines(text: str) -> int:
    """Lines of code in a definition's body: not its signature, doc, comments, decorators,
    blank lines or lines that only close brackets. The signature ends at the first line that
    opens the body (`:`, `{`, `=>`); a definition with no such line counts its lines after
    the first."""
    lines = [ln.strip() for ln in _DOCSTRING.sub("", text).splitlines()]
    code = [ln for ln in lines if ln and not _COMMENT.match(ln)]
    for i, ln in enumerate(code):
        if ln.endswith(_OPENS_BODY) or "=> {" in ln:
            return sum(1 for x in code[i + 1:] if not CLOSER.match(x))
    return max(0, len(code) - 1)
