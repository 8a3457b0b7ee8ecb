"""The `nearcode` command, one module per command group (main.py builds the parser)."""

from .main import main

__all__ = ["main"]
