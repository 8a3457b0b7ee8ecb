"""`nearcode search` and `nearcode similar` in this process: check the arguments, open the
workspace, bring its index up to date and query it. (search.py asks a running server first.)"""

from __future__ import annotations

import argparse

from ..code.languages import check_language
from ..search.retrieval import Hit
from ..search.similar import read_text, similar_at
from ..store.base import compile_globs
from .common import open_workspace, root_of, sync
from .options import CliError, check_k, parse_location


def search(args: argparse.Namespace) -> list[Hit]:
    if not args.query.strip():
        raise CliError("the query is empty: say what the code does, or give a name")
    languages = [check_language(lang) for lang in args.lang or []]
    compile_globs(args.path_glob or [])  # InvalidGlob: a bad --path is the user's error
    check_k(args.k)
    with open_workspace(args) as ws:
        ws.ask_once()
        sync(ws)
        return ws.retriever.search(args.query, args.k, languages, args.path_glob or [])


def similar(args: argparse.Namespace) -> list[Hit]:
    path, start, end = parse_location(args.location)
    check_k(args.k)
    if not path.is_file():
        raise CliError(f"{path} is not a file")
    path = path.resolve()
    root = root_of(args)  # the folder the user is in (or --root), never the file's own
    if not path.is_relative_to(root):
        where = "given with --root" if args.path else "of the current folder"
        raise CliError(f"{path} is outside the workspace {root} ({where}); run `nearcode "
                       "similar` inside the file's project, or give it with --root")
    with open_workspace(args, root) as ws:
        ws.ask_once()
        sync(ws)
        return similar_at(ws, path, read_text(path), start, end, args.k,
                          whole_chunk=start is not None and start == end)
