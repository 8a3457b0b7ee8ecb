"""code/bodies.py: how many lines of code a definition's body holds, in several languages."""

from __future__ import annotations

import pytest
from nearcode.code.bodies import body_lines


@pytest.mark.parametrize(("text", "lines"), [
    # one line of work: accessors, builder options, calls handed on
    ("@property\ndef auto_reload(self):\n    \"\"\"Whether the app reloads.\n\n    More.\"\"\"\n"
     "    return self.config.AUTO_RELOAD", 1),
    ("/// Set the redirect policy.\npub fn redirect_policy(self, policy: Policy) -> Self\n"
     "where\n    Self: Sized,\n{\n    self.configure(policy)\n}", 1),
    ("// Name returns the name.\nfunc (f *Flag) Name(\n\tlong bool,\n) string {\n"
     "\treturn f.name\n}", 1),
    ("/** Get the pool. */\nget pool() {\n  return this[kPool];\n}", 1),
    ("const double = (x) => x * 2;", 0),
    ("def nothing():\n    pass", 1),
    # work
    ("def parse(header):\n    # split on commas\n    parts = header.split(',')\n\n"
     "    return [p.strip() for p in parts]", 2),
    ("function total(lines) {\n  let sum = 0;\n  for (const l of lines) {\n    sum += l;\n  }\n"
     "  return sum;\n}", 4),
    ("def check(self):\n    if self.a:\n        return 1\n    end", 2),
])
def test_body_lines(text: str, lines: int) -> None:
    assert body_lines(text) == lines
