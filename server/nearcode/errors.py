"""nearcode's errors, in one hierarchy, and what each edge makes of them.

    NearcodeError
    ├── InvalidInput (a ValueError)   the user's input cannot be used: a command-line argument,
    │                                 a request's params, a setting, a folder, a glob, a language
    └── Unavailable (a RuntimeError)  something nearcode needs cannot be used now: the index,
                                      the store, the model

Their message is for the user: one line that says what is wrong and, where it can, what to do.
The edges map them, and only the edges: the CLI prints the message as one line and exits with
2; the language server answers InvalidInput with -32602 (InvalidParams) and Unavailable with
-32603 (InternalError) carrying the message. Any other exception is a bug (internal): the CLI
prints one line and exits with 1 (NEARCODE_DEBUG=1 shows the traceback), the server answers
-32603 "internal error" and logs the traceback.
"""

from __future__ import annotations


class NearcodeError(Exception):
    """An error of nearcode's own, whose message is meant for the user."""


class InvalidInput(NearcodeError, ValueError):
    """The user's input cannot be used (CLI: exit 2; LSP: -32602)."""


class Unavailable(NearcodeError, RuntimeError):
    """The index, the store or the model cannot be used (CLI: exit 2; LSP: -32603)."""
