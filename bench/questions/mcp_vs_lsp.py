"""Does `search_code` over MCP rank as `nearcode/search` over LSP does? (issue #20)

For each project of the realistic-questions set it starts `nearcode serve` (LSP, stdio) on the
workspace, waits until the index is idle, then starts `nearcode mcp` on the same workspace and
cache folder while the server still runs (the MCP server reads the index the language server
keeps), and asks every question both ways with limit 10. It compares the ranked (path, first
line, last line) lists and reports how many are identical, plus the size of every MCP answer
against the stated budget (payload.MAX_RESULT_CHARS characters).

    .venv/bin/python bench/questions/mcp_vs_lsp.py [--projects sanic] [--cache-dir DIR]
        [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shlex
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import fetch  # noqa: E402
import score  # noqa: E402

# `1. pkg/app.py:10-24  load_config  (function, python, score 0.8123)` (mcp/payload.py)
HEADER = re.compile(r"^\d+\. (\S+):(\d+)-(\d+)(?:  .*?)?  \(\w+, \w+, score -?[\d.]+\)$", re.M)


def lsp_rankings(rn, root: Path, questions: list[dict], server: str) -> list[list[tuple]]:
    """nearcode/search over LSP for every question; leaves the server running (returned)."""
    client = rn.LspClient(shlex.split(server), os.path.join(tempfile.gettempdir(),
                                                            "nearcode-mcp-vs-lsp.stderr.log"))
    uri = root.as_uri()
    client.request("initialize", {
        "processId": os.getpid(), "rootUri": uri, "rootPath": str(root),
        "workspaceFolders": [{"uri": uri, "name": root.name}],
        "capabilities": {"general": {"positionEncodings": ["utf-16"]}},
        "initializationOptions": {}}, 120)
    client.notify("initialized", {})
    deadline = time.time() + 3600
    while True:
        s = client.request("nearcode/indexStatus", {}, 120)
        if s.get("state") == "idle" and s.get("pendingFiles", 0) == 0 and s.get("files", 0):
            break
        if time.time() > deadline:
            raise TimeoutError(str(s))
        time.sleep(0.5)
    out = []
    for q in questions:
        res = client.request("nearcode/search", {"query": q["question"], "limit": 10}, 120)
        out.append([(os.path.relpath(unquote(urlparse(h["uri"]).path), root),
                     h["range"]["start"]["line"] + 1,
                     h["range"]["end"]["line"] + (0 if h["range"]["end"]["character"] == 0
                                                  else 1))
                    for h in res["results"]])
    return out, client


async def mcp_rankings(root: Path, questions: list[dict], command: list[str]
                       ) -> tuple[list[list[tuple]], list[int]]:
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=command[0], args=[*command[1:], "mcp", str(root)],
                                   env=dict(os.environ), cwd=str(root))
    rankings, sizes = [], []
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        for q in questions:
            res = await session.call_tool("search_code", {"query": q["question"], "limit": 10})
            text = "".join(getattr(c, "text", "") for c in res.content)
            sizes.append(len(text))
            rankings.append([(m[1], int(m[2]), int(m[3])) for m in HEADER.finditer(text)])
    return rankings, sizes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--projects")
    ap.add_argument("--nearcode", default=str(Path(sys.executable).parent / "nearcode"),
                    help="the nearcode command (default: beside this Python)")
    ap.add_argument("--cache-dir", type=Path)
    ap.add_argument("--shared-bench")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    rn = score.import_shared(args.shared_bench)[0]
    from nearcode.mcp.payload import MAX_RESULT_CHARS

    rows, detail = [], {}
    for project in fetch.select(fetch.load_projects(), args.projects):
        qs = [q for q in score.load_questions() if q["project"] == project["id"]]
        root = fetch.fetch(project, fetch.default_dir()).resolve()
        os.environ["NEARCODE_CACHE_DIR"] = str(
            args.cache_dir or tempfile.mkdtemp(prefix="nearcode-mcp-vs-lsp-"))
        lsp, client = lsp_rankings(rn, root, qs, f"{args.nearcode} serve")
        try:
            mcp, sizes = asyncio.run(mcp_rankings(root, qs, [args.nearcode]))
        finally:
            client.close()
        same = sum(a == b for a, b in zip(lsp, mcp, strict=True))
        rows.append((project["id"], len(qs), same, max(sizes), sum(sizes) // len(sizes)))
        detail[project["id"]] = [{"id": q["id"], "lsp": a, "mcp": b, "mcp_chars": n}
                                 for q, a, b, n in zip(qs, lsp, mcp, sizes, strict=True)]
        print(rows[-1], flush=True)
    print("\n| project | questions | same ranking | largest answer (chars) | mean answer |"
          "\n| --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} / {r[1]} | {r[3]:,} | {r[4]:,} |")
    print(f"\nbudget: {MAX_RESULT_CHARS:,} characters per answer")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "questions": detail}, indent=1) + "\n")


if __name__ == "__main__":
    main()
