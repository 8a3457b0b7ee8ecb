"""`nearcode mcp` through the MCP SDK's own client over stdio: the tools, their errors, the
workspace boundary and the payload budget (fake embedder, a copy of tests/data/server_ws)."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from mcp_client import mcp_session
from nearcode.mcp import payload

DATA = Path(__file__).resolve().parent / "data"
TOOLS = {"search_code", "find_similar_code", "completion_context", "index_status"}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(DATA / "server_ws", root)
    return root.resolve()


async def test_lists_the_four_tools_with_schemas(workspace: Path) -> None:
    async with mcp_session(workspace) as s:
        listed = {t.name: t for t in (await s.session.list_tools()).tools}
    assert set(listed) == TOOLS
    for tool in listed.values():
        assert tool.description and len(tool.description) > 60, tool.name
        assert tool.annotations is not None and tool.annotations.read_only_hint
    search = listed["search_code"].input_schema
    assert search["required"] == ["query"]
    assert search["properties"]["limit"]["maximum"] == 30
    assert "python" in search["properties"]["languages"]["description"]
    assert str(payload.MAX_RESULT_CHARS)[:2] in listed["search_code"].description
    assert set(listed["completion_context"].input_schema["required"]) == {"path", "line"}


async def test_each_tool_answers(workspace: Path) -> None:
    async with mcp_session(workspace) as s:
        found = await s.call("search_code", query="convert celsius to fahrenheit", limit=3)
        similar = await s.call("find_similar_code", path="pkg/store.py", line=5)
        by_code = await s.call("find_similar_code", code="def load_json(path):\n"
                               "    with open(path) as handle:\n        return json.load(handle)")
        context = await s.call("completion_context", path="pkg/app.py", line=6)
        status = await s.call("index_status")
    assert not any(r.is_error for r in (found, similar, by_code, context, status))

    top = found.hits()[0]
    assert top[:4] == ("pkg/text.py", 18, 19, "TemperatureConverter.celsius_to_fahrenheit")
    assert top[4:6] == ("method", "python")
    assert len(found.hits()) == 3
    assert "```python\n    def celsius_to_fahrenheit(self, celsius):" in found.text
    assert str(workspace) in found.text.splitlines()[0]

    # the definition at the line is the query and is left out; its like comes first
    assert similar.hits()[0][3] == "save_settings_file"
    assert "load_settings_file" not in [h[3] for h in similar.hits()]
    assert by_code.hits()[0][3] == "load_settings_file"

    # app.py imports load_settings_file and slugify_title: their definitions come first
    assert {h[3] for h in context.hits()[:2]} == {"load_settings_file", "slugify_title"}
    assert all(h[0] != "pkg/app.py" for h in context.hits())

    assert "files: 5" in status.text and "state: idle" in status.text
    assert "model: fake-bow-256" in status.text
    assert "kept up to date by: this server" in status.text


async def test_filters_and_ranges(workspace: Path) -> None:
    async with mcp_session(workspace) as s:
        js = await s.call("search_code", query="item cart settings", languages=["javascript"])
        only = await s.call("search_code", query="settings", paths=["pkg/store.py"])
        lines = await s.call("find_similar_code", path="pkg/text.py", line=18, end_line=19)
        whole = await s.call("find_similar_code", path="web/cart.js")
        cursor = await s.call("completion_context", path="pkg/app.py", line=6, character=4,
                              max_chars=300, limit=1)
    assert js.paths() and set(js.paths()) == {"web/cart.js"}
    assert only.paths() and set(only.paths()) == {"pkg/store.py"}
    assert lines.hits()[0][3] == "TemperatureConverter.fahrenheit_to_celsius"
    assert "web/cart.js" not in whole.paths()
    assert len(cursor.hits()) == 1 and "pkg/app.py:6:4" in cursor.text
    code = cursor.text.split("```python\n", 1)[1].split("\n```", 1)[0]
    assert len(code) <= 300


BAD_ARGUMENTS = [
    ("search_code", {}, "search_code: 'query' is required"),
    ("search_code", {"query": "   "}, "'query' must not be empty"),
    ("search_code", {"query": "x", "limit": 0},
     "'limit': input should be greater than or equal to 1"),
    ("search_code", {"query": "x", "limit": 31},
     "'limit': input should be less than or equal to 30"),
    ("search_code", {"query": "x", "limit": "many"}, "'limit': input should be a valid integer"),
    ("search_code", {"query": "x", "languages": ["cobol"]}, "unknown language 'cobol'; known: c,"),
    ("search_code", {"query": "x", "paths": ["!"]}, "'paths' holds a bad glob '!'"),
    ("search_code", {"query": "x", "paths": "src/**"}, "'paths': input should be a valid list"),
    ("find_similar_code", {}, "give 'path'"),
    ("find_similar_code", {"path": "pkg/app.py", "code": "x = 1"}, "not both"),
    ("find_similar_code", {"code": "x = 1", "line": 3}, "'line' and 'end_line' go with 'path'"),
    ("find_similar_code", {"path": "pkg/app.py", "line": 9, "end_line": 2},
     "'end_line' (2) is before 'line' (9)"),
    ("find_similar_code", {"path": "pkg/app.py", "line": 999},
     "app.py has 14 lines; line 999 is past the end"),
    ("find_similar_code", {"path": "pkg/nothere.py", "line": 1},
     "there is no file 'pkg/nothere.py'"),
    ("find_similar_code", {"path": "pkg", "line": 1}, "'pkg' is a folder, not a file"),
    ("completion_context", {"path": "pkg/app.py"}, "completion_context: 'line' is required"),
    ("completion_context", {"path": "pkg/app.py", "line": 99},
     "app.py has 14 lines; line 99 is past the end"),
    ("completion_context", {"path": "pkg/app.py", "line": 1, "character": 500},
     "character 500 is past its end"),
    ("completion_context", {"path": "pkg/app.py", "line": 1, "max_chars": 50},
     "'max_chars': input should be greater than or equal to 200"),
    ("no_such_tool", {}, "Unknown tool: no_such_tool"),
]


async def test_bad_arguments_are_tool_errors_with_one_clear_message(workspace: Path) -> None:
    async with mcp_session(workspace) as s:
        for tool, args, message in BAD_ARGUMENTS:
            res = await s.call(tool, **args)
            assert res.is_error, (tool, args, res.text)
            assert message in res.text, (tool, args, res.text)
            assert "\n" not in res.text.strip(), res.text  # one line
            assert "Traceback" not in res.text and "pydantic" not in res.text
        # the server is still there and answers
        assert not (await s.call("search_code", query="count words")).is_error


async def test_paths_outside_the_workspace_are_refused(workspace: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "private.py").write_text("def private_thing():\n    return 'outside'\n")
    (workspace / "pkg" / "link.py").symlink_to(outside / "private.py")
    (workspace / "linked").symlink_to(outside, target_is_directory=True)
    async with mcp_session(workspace) as s:
        for path in ["../outside/private.py", "pkg/../../outside/private.py",
                     str(outside / "private.py"), "/etc/passwd", "~/.bashrc",
                     "pkg/link.py", "linked/private.py"]:
            for tool, extra in [("find_similar_code", {"line": 1}),
                                ("completion_context", {"line": 1})]:
                res = await s.call(tool, path=path, **extra)
                assert res.is_error, (tool, path, res.text)
                assert "outside the workspace" in res.text, (tool, path, res.text)
        found = await s.call("search_code", query="private thing outside", limit=30)
    assert "private_thing" not in found.text and "outside" not in "".join(found.paths())


async def test_secret_files_are_never_read_or_returned(workspace: Path) -> None:
    (workspace / "pkg" / "credentials.json").write_text('{"api_key": "TOPSECRET_KEY_42"}\n')
    (workspace / "id_rsa").write_text("-----BEGIN KEY----- TOPSECRET_KEY_42\n")
    (workspace / "pkg" / "settings_alias.py").symlink_to(workspace / ".env")
    async with mcp_session(workspace) as s:
        results = [await s.call("search_code", query=q, limit=30)
                   for q in ("SECRET_TOKEN do not index me", "TOPSECRET_KEY_42 api key")]
        results.append(await s.call("find_similar_code", code="SECRET_TOKEN=do-not-index-me"))
        for path in (".env", "pkg/credentials.json", "id_rsa", "pkg/settings_alias.py"):
            res = await s.call("find_similar_code", path=path, line=1)
            assert res.is_error and "(secret)" in res.text, (path, res.text)
            res = await s.call("completion_context", path=path, line=1)
            assert res.is_error and "(secret)" in res.text, (path, res.text)
    for res in results:
        assert not res.is_error
        assert "do-not-index-me" not in res.text.split("\n", 1)[1]  # the title repeats the query
        assert "TOPSECRET_KEY_42\"" not in res.text
        assert not {".env", "pkg/credentials.json", "id_rsa"} & set(res.paths())


async def test_each_call_sees_the_files_as_they_are_now(workspace: Path) -> None:
    async with mcp_session(workspace) as s:
        before = await s.call("search_code", query="parse duration string into seconds")
        (workspace / "pkg" / "timeparse.py").write_text(textwrap.dedent("""\
            def parse_duration_seconds(text):
                \"\"\"Parse a duration string such as 1h30m into seconds.\"\"\"
                hours, _, minutes = text.partition("h")
                return int(hours) * 3600 + int(minutes.rstrip("m") or 0) * 60
            """))
        (workspace / "pkg" / "app.py").unlink()
        after = await s.call("search_code", query="parse duration string into seconds")
        status = await s.call("index_status")
    assert "pkg/timeparse.py" not in before.paths()
    assert after.hits()[0][:2] == ("pkg/timeparse.py", 1)
    assert "pkg/app.py" not in after.paths()
    assert "files: 5" in status.text  # one added, one removed


def _big_function(i: int) -> str:
    body = "\n".join(f"    total_{j} = value * {j} + offset  # step {j} of the invoice total"
                     for j in range(60))
    return f"def invoice_total_{i}(value, offset):\n{body}\n    return total_0\n\n\n"


async def test_payload_stays_within_the_stated_budget(workspace: Path) -> None:
    for n in range(12):
        (workspace / "pkg" / f"invoices_{n}.py").write_text(
            "".join(_big_function(n * 10 + i) for i in range(4)))
    async with mcp_session(workspace) as s:
        res = await s.call("search_code", query="invoice total value offset", limit=30)
        near = await s.call("find_similar_code", path="pkg/invoices_0.py", line=3, limit=30)
        context = await s.call("completion_context", path="pkg/invoices_1.py", line=5,
                               max_chars=10_000, limit=10)
    for r in (res, near, context):
        assert not r.is_error
        assert len(r.text) <= payload.MAX_RESULT_CHARS, len(r.text)
    hits = res.hits()
    assert len(hits) == 30  # all of them, ranked; those over the budget without their code
    assert "listed without code" in res.text
    blocks = res.text.split("```python\n")[1:]
    assert blocks and all(len(b.split("\n```", 1)[0]) <= payload.CODE_CHARS_PER_HIT
                          for b in blocks)
    assert "more lines (read the file for the rest)" in res.text


async def test_streamable_http(workspace: Path) -> None:
    import socket
    import subprocess

    import anyio
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client
    from mcp_client import MCP_COMMAND, server_env

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([*MCP_COMMAND, str(workspace), "--model", "fake", "--http",
                             "--port", str(port)], env=server_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/mcp"
        for _ in range(600):  # up to a minute: the server imports its stack first
            assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                await anyio.sleep(0.1)
        async with streamable_http_client(url) as streams, \
                ClientSession(streams[0], streams[1]) as session:
            await session.initialize()
            names = {t.name for t in (await session.list_tools()).tools}
            res = await session.call_tool("search_code", {"query": "count words in text"})
    finally:
        proc.terminate()
        proc.wait(10)
    assert names == TOOLS
    assert not res.is_error
    assert "count_words" in res.content[0].text  # type: ignore[union-attr]
    assert proc.stdout is not None and proc.stdout.read() == b""  # stdout untouched


def test_a_home_or_root_folder_is_not_taken_for_a_project(tmp_path: Path) -> None:
    """Some clients start servers in the home folder (or /) before a project is open: without a
    PATH that would index everything below it, so it is refused with what to do."""
    import os
    import subprocess

    from mcp_client import MCP_COMMAND, server_env

    home = tmp_path / "home"
    home.mkdir()
    proc = subprocess.run([*MCP_COMMAND, "--model", "fake"], cwd=home,
                          env={**server_env(), "HOME": str(home)}, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert f"started in {home.resolve()}, not in a project" in proc.stderr
    assert "nearcode mcp /path/to/project" in proc.stderr
    assert os.listdir(home) == []  # nothing indexed, nothing written
