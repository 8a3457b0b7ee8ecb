"""How much a match counts by where it lies: a file's role (implementation first), a
definition's kind (functions first) and, for a text query, its body (a one-line function; for
a question, a short one, and a declaration). Priors are at most 1: a definition never scores
above its best chunk (search/retrieval.py relies on it to stop early). Every value is measured
on the realistic questions, leave-one-project-out (bench/questions/results/priors.md)."""

from __future__ import annotations

from ..code.roles import IMPL, ROLES

# How much a match in a file that is not implementation code counts, relative to the same match
# in implementation (a prior, not a filter: a test that matches twice as well still comes
# first), and a match in a definition that is not a function or method (a type, a class's own
# code, a constant, module code) relative to one in a function. Measured per project on the
# realistic questions (bench/questions/results/priors.md): MRR@10 rose in 4 of 5 projects and
# fell in none at each step down to 0.4 and 0.7; leave-one-project-out picks the lowest values
# tried for every project. The set has no question whose answer is a test or a type, so it
# cannot measure the cost of going lower: the role prior stops at 0.5, where a test that
# matches twice as well as any implementation still comes first.
SECONDARY_PRIOR = 0.5
ROLE_PRIOR = {role: SECONDARY_PRIOR for role in ROLES if role != IMPL}
NOT_CALLABLE_PRIOR = 0.7
KIND_PRIOR = {kind: NOT_CALLABLE_PRIOR for kind in (
    "class", "interface", "enum", "struct", "type", "constant", "variable", "property", "macro",
    "module", "code")}
# A text query's match in a function of one line (an accessor, a builder option, a call handed
# on: code/bodies.py) relative to one in a function that does the work: a question asks how
# something is done, and the one-liner's doc often describes what another function does. With
# nearcode-code-v2, tried at 0.85 and 0.7: the realistic questions' MRR@10 rose in 4 of 5
# projects (sanic 0.756 -> 0.800, ajv 0.679 -> 0.702, kong 0.469 -> 0.505, undici level) and fell
# in isahc (0.626 -> 0.604: one answer from rank 1 to 2); leave-one-project-out picks 0.7 for
# every project; shared bench A rose in all 4 packages (0.561 -> 0.571). findSimilar leaves it
# out (a one-line function's copy is one line too).
THIN_PRIOR = 0.7
# A question ("how does it follow redirects?", code/lexical.is_question) asks for the code that
# does the work, and its best match is often a short function whose doc describes it: a builder
# option, an accessor, a constructor that keeps its arguments, a small helper beside the work.
# For a question, a function's match counts QUESTION_SHORT_PRIOR at a one-line body, rising in
# a straight line to 1 at QUESTION_FULL_BODY lines. Chosen leave-one-project-out on the
# realistic questions (bench/questions/results/priors.md): each held-out project rose (MRR@10
# 0.647 -> 0.730 over all); docstring-like queries (shared bench A) keep the one-line prior
# alone: the same prior for them fell there (0.571 -> 0.510).
QUESTION_SHORT_PRIOR = 0.5
QUESTION_FULL_BODY = 20
DECLARATION_KINDS = frozenset({"class", "interface", "enum", "struct", "type"})


def role_prior(role: str) -> float:
    """How much a match in a file of this role counts (implementation: 1)."""
    return ROLE_PRIOR.get(role, 1.0)


def kind_prior(kind: str, question: bool) -> float:
    """How much a match in a definition of this kind counts: for a question, a declaration
    (a class's own code, an interface, a struct, an enum, a type) does no work, and counts as
    a function with no body does (QUESTION_SHORT_PRIOR). Realistic questions in-process, 0.7
    (the kind prior) -> 0.6 / 0.5 / 0.4 / 0.3 / 0.2: MRR@10 0.730 -> 0.734 / 0.744 / 0.747 /
    0.750 / 0.757, no project lower at any step; the set has no question whose answer is a
    type, so the lower values it prefers are not taken."""
    if question and kind in DECLARATION_KINDS:
        return QUESTION_SHORT_PRIOR
    return KIND_PRIOR.get(kind, 1.0)


def body_prior(body: int, question: bool) -> float:
    """How much a text query's match in a function with `body` lines of code counts."""
    if not question:
        return THIN_PRIOR if body <= 1 else 1.0
    rise = min(1.0, max(0, body - 1) / max(1, QUESTION_FULL_BODY - 1))
    return QUESTION_SHORT_PRIOR + (1 - QUESTION_SHORT_PRIOR) * rise


