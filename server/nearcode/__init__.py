"""nearcode: embedding-powered code intelligence for every LSP editor, offline."""

__version__ = "0.1.0"
