"""The `nearcode` command: index, search, similar, status, trust, serve, watch, duplicates,
train, eval, models.

Every command prints human-readable text by default and JSON with --json. Bad input ends with
one line on stderr and a non-zero exit code, never a traceback (NEARCODE_DEBUG=1 shows it).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from .. import __version__
from ..errors import NearcodeError
from . import search
from .options import EXIT_PIPE, EXIT_USAGE

log = logging.getLogger("nearcode")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command; for `command` search or similar only theirs, so that
    nothing heavy is imported before a running server answers (search.py)."""
    parser = argparse.ArgumentParser(
        prog="nearcode", description="Embedding-powered code search over a workspace.")
    parser.add_argument("--version", action="version", version=f"nearcode {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log what nearcode does (files indexed, skipped and why, timings) "
                        "to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in _groups(command):
        group.register(sub)
    for p in _subparsers(sub):  # `nearcode index -v` as well as `nearcode -v index`
        p.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                             help="log what nearcode does to stderr")
    return parser


def _groups(command: str | None) -> tuple[ModuleType, ...]:
    """The command modules to build the parser from."""
    if command in ("search", "similar"):
        return (search,)
    # imported here: they load numpy, SQLite, the model's runtime at their own import
    from . import duplicates, index, mcp, serve, train, watch

    return (index, search, serve, watch, mcp, train, duplicates)


def _subparsers(sub: Any) -> list[argparse.ArgumentParser]:
    """Every subcommand's parser, nested ones (`models use`) included."""
    out: list[argparse.ArgumentParser] = []
    for command in dict.fromkeys(sub.choices.values()):  # aliases share a parser
        out.append(command)
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                out += _subparsers(action)
    return out


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Log records to whatever sys.stderr is when they are written."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


@contextmanager
def _logging(verbose: bool, command: str) -> Iterator[None]:
    """nearcode's log on stderr while a command runs: INFO with -v (and for the language
    server), else warnings only. A handler of its own rather than basicConfig, which does
    nothing when something configured logging first."""
    root = logging.getLogger()
    handler = _Stderr()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose or command == "serve" else logging.WARNING)
    logging.getLogger("pygls").setLevel(logging.WARNING)  # it logs every message at INFO
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def one_line(exc: BaseException) -> str:
    """An error's message on one line (a message from a library may hold several)."""
    return " ".join(str(exc).split())


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # the first word that is not an option names the command (no global option takes a value)
    command = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(command).parse_args(argv)
    try:
        with _logging(args.verbose, args.command):
            return int(args.func(args) or 0)
    except NearcodeError as exc:  # bad input or an unusable index, store or model
        print(f"nearcode: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("nearcode: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`nearcode search ... | head -3`): not an error
        # what is left in stdout's buffer goes nowhere, not to a second error at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PIPE
    except Exception as exc:  # a bug: one line, the traceback only on request
        if os.environ.get("NEARCODE_DEBUG"):
            raise
        print(f"nearcode: internal error: {type(exc).__name__}: {one_line(exc)} "
              "(NEARCODE_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
