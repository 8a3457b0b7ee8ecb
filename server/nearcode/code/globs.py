"""Include-only gitignore globs as one regular expression: one match a path instead of one a
glob, and one compile a process instead of one a glob (the CLI compiles them at each start)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern


def globs_regex(globs: Iterable[str], flags: int = 0) -> re.Pattern[str]:
    """A regex that matches a posix relative path when any of `globs` does, as pathspec's
    GitIgnoreSpec matches it. Only for globs that include (no `!`): with them, a path matches
    if any glob does, so their regexes (pathspec's own translation, not compiled one by one)
    can be joined in one alternation, their named groups unnamed."""
    parts = []
    for glob in globs:
        regex, include = GitIgnoreSpecPattern.pattern_to_regex(glob)
        if regex is None:  # a blank line or a comment
            continue
        if not include:
            raise ValueError(f"{glob!r} excludes: only including globs can be joined")
        parts.append("(?:" + re.sub(r"\(\?P<\w+>", "(?:", regex) + ")")
    return re.compile("|".join(parts) or r"(?!)", flags)
