"""gitignore lines as few regular expressions: lines that only include (the usual case) are
joined into one regex, so a path is matched once instead of once a line, and the lines are
compiled once instead of one by one (the CLI compiles them at each start)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import pathspec
from pathspec.patterns.gitignore import GitIgnorePatternError
from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

log = logging.getLogger(__name__)


def _translated(lines: Iterable[str]) -> list[tuple[str, str, bool]]:
    """Each line with its regex (pathspec's own translation, not compiled) and whether it
    includes; blank lines and comments left out. A line that is no pattern (a lone `!`, a
    trailing backslash) is left out with a warning, as git passes over it: a cloned
    repository's ignore file must not stop its indexing."""
    out = []
    for line in lines:
        try:
            regex, include = GitIgnoreSpecPattern.pattern_to_regex(line)
        except GitIgnorePatternError:
            log.warning("ignore rule %r is not a pattern: passed over, as git does", line)
            continue
        if regex is not None:
            out.append((line, regex, bool(include)))
    return out


def _joined(regexes: Iterable[str], flags: int = 0) -> re.Pattern[str]:
    # one alternation; pathspec names a group in each line's regex, unnamed here
    parts = ["(?:" + re.sub(r"\(\?P<\w+>", "(?:", r) + ")" for r in regexes]
    return re.compile("|".join(parts) or r"(?!)", flags)


def globs_regex(globs: Iterable[str], flags: int = 0) -> re.Pattern[str]:
    """A regex that matches a posix relative path when any of `globs` does, as pathspec's
    GitIgnoreSpec matches it. Only for globs that include (no `!`): with them, a path matches
    if any glob does."""
    parts = _translated(globs)
    if any(not include for _, _, include in parts):
        raise ValueError("a glob that excludes (`!`) cannot be joined with the others")
    return _joined((regex for _, regex, _ in parts), flags)


class IgnoreRules:
    """The lines of one ignore file, as git applies them to a path (a folder's with a
    trailing `/`): True ignored, False taken back by a `!` line, None no line matches. Without
    `!` lines, one regex; with them, pathspec decides line by line (the last match wins)."""

    def __init__(self, lines: Iterable[str]) -> None:
        parts = _translated(lines)
        self._spec: pathspec.GitIgnoreSpec | None = None
        self._any: re.Pattern[str] | None = None
        if all(include for _, _, include in parts):
            self._any = _joined(regex for _, regex, _ in parts)
        else:
            self._spec = pathspec.GitIgnoreSpec.from_lines(line for line, _, _ in parts)

    def verdict(self, path: str) -> bool | None:
        if self._any is not None:
            return True if self._any.match(path) else None
        assert self._spec is not None
        return self._spec.check_file(path).include
