"""The `nearcode` command: index/search/similar/status with the fake model, and bad input
ending in one line on stderr, a non-zero exit code and no traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import DATA
from nearcode.cli import main
from nearcode.cli.options import EXIT_USAGE
from nearcode.config import default_db_path
from nearcode.index.indexer import Indexer

FAKE = ["--model", "fake"]
NEARCODE = Path(sys.executable).with_name("nearcode")


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the retrieval fixture's app folder, as the current directory."""
    root = tmp_path / "ws"
    shutil.copytree(DATA / "retrieval" / "app", root)
    (root / ".git").mkdir()  # a repository: `nearcode` run inside finds its root
    monkeypatch.chdir(root)
    return root.resolve()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def _fixture_chunks(root: Path) -> int:
    from nearcode.code.chunking import chunk_text
    from nearcode.code.languages import language_for_path

    total = 0
    for p in root.rglob("*"):
        lang = language_for_path(p.name)
        if p.is_file() and lang and ".git" not in p.parts:
            total += len(chunk_text(p.read_text(), lang, p.name))
    return total


def test_index_status_and_reindex(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "index", str(ws), *FAKE)
    n_files = sum(1 for p in ws.rglob("*") if p.is_file() and ".git" not in p.parts)
    assert out["root"] == str(ws) and out["db"] == str(default_db_path(ws))
    assert out["files"] == out["files_indexed"] == n_files
    assert out["chunks"] == _fixture_chunks(ws)
    assert out["model"] == "fake-bow-256"
    again = run_json(capsys, "index", *FAKE)  # cwd: the same folder
    assert again["files_indexed"] == 0 and again["chunks_embedded"] == 0
    assert again["chunks"] == out["chunks"]

    status = run_json(capsys, "status", str(ws))
    assert (status["files"], status["chunks"]) == (out["files"], out["chunks"])
    assert status["problems"] == [] and status["model"] == "fake-bow-256"
    code, text, _ = run(capsys, "status")
    assert code == 0 and f"chunks: {out['chunks']}" in text

    code, text, _ = run(capsys, "index", *FAKE, "--rebuild")
    assert code == 0 and f"{out['chunks']} chunks embedded" in text


def test_search_json_and_text(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = run_json(capsys, "search", "count words", "-k", "3", *FAKE)["results"]
    assert 1 <= len(results) <= 3
    top = results[0]
    assert top["symbol"] == "count_words" and top["path"] == "text_utils.py"
    assert top["abspath"] == str(ws / "text_utils.py")
    lines = (ws / "text_utils.py").read_text().split("\n")
    assert lines[top["start_line"] - 1] == "def count_words(text):"
    assert set(top) == {"path", "abspath", "start_line", "end_line", "symbol", "kind",
                        "language", "score", "preview"}
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)

    code, text, err = run(capsys, "search", "count words", "-k", "1", *FAKE)
    assert code == 0 and err == ""
    assert text.startswith(f"text_utils.py:{top['start_line']}-{top['end_line']}  count_words")
    assert "    def count_words(text):" in text

    go = run_json(capsys, "search", "area", "--lang", "go", *FAKE)["results"]
    assert go and {r["language"] for r in go} == {"go"}
    shop = run_json(capsys, "search", "total", "--path", "shop/*", "--root", str(ws),
                    *FAKE)["results"]
    assert {r["path"] for r in shop} == {"shop/cart.js"}


def test_similar_locations(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (ws / "text_utils.py").read_text().split("\n")
    line = text.index("def count_words(text):") + 1
    results = run_json(capsys, "similar", f"text_utils.py:{line + 1}", *FAKE)["results"]
    assert results
    assert not any(r["path"].endswith("text_utils.py") and r["start_line"] <= line + 1
                   <= r["end_line"] for r in results)
    ranged = run_json(capsys, "similar", f"text_utils.py:{line}-{line + 2}", *FAKE)["results"]
    assert ranged and not any(r["symbol"] == "count_words" for r in ranged)
    whole = run_json(capsys, "similar", "shop/cart.js", *FAKE)["results"]
    assert whole and not any(r["path"].endswith("cart.js") for r in whole)


def _one_error_line(code: int, out: str, err: str) -> str:
    assert code != 0
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("nearcode: error:"), err
    return lines[0]


@pytest.mark.parametrize("argv,words", [
    (["index", "does-not-exist"], "does not exist"),
    (["index", "text_utils.py"], "not a folder"),
    (["search", "x", "--root", "nowhere"], "does not exist"),
    (["search", "x", "--lang", "klingon"], "unknown language"),
    (["search", "x", "-k", "0"], "-k"),
    (["search", "x", "--path", "!"], "bad path glob '!'"),
    (["search", "x", "--path", "src/**", "--path", "\\"], "bad path glob"),
    (["similar", "missing.py:3"], "missing.py"),
    (["similar", "text_utils.py:abc"], "bad location"),
    (["similar", "text_utils.py:0"], "bad line range"),
    (["similar", "text_utils.py:9-3"], "bad line range"),
    (["similar", "text_utils.py:999"], "past the end"),
    (["similar", "text_utils.py", "-k", "-2"], "-k"),
    (["status", "elsewhere"], "elsewhere does not exist"),
    (["status", "."], "has no index yet"),
    (["search", ""], "the query is empty"),
    (["search", "  \t "], "the query is empty"),
    (["search", "x", "--lang", "Klingon"], "unknown language 'Klingon'; known: c, cpp, csharp"),
    (["similar", "../outside.py", "--root", "."], "outside the workspace"),
])
def test_bad_input(ws: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                   words: str) -> None:
    (ws.parent / "outside.py").write_text("def elsewhere():\n    return 0\n")
    if argv[0] != "status":
        argv = [*argv, *FAKE]
    code, out, err = run(capsys, *argv)
    line = _one_error_line(code, out, err)
    assert words in line
    assert code == EXIT_USAGE  # the user's input, not an internal error (exit 1)
    if argv[0] in ("search", "status"):
        assert not default_db_path(ws).exists()  # refused before anything was indexed


def test_internal_errors_exit_1_in_one_line(ws: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(Indexer, "sync", broken)
    code, out, err = run(capsys, "search", "x", *FAKE)
    assert code == 1 and not out and "Traceback" not in err
    assert err.strip().splitlines() == [
        "nearcode: internal error: KeyError: 'a bug' (NEARCODE_DEBUG=1 shows the traceback)"]


@pytest.mark.parametrize("command", [["index"], ["search", "x"], ["status"],
                                     ["similar", "text_utils.py:2"]])
def test_corrupt_db(ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                    command: list[str]) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(16384))
    line = _one_error_line(*run(capsys, *command, "--db", str(junk), *FAKE))
    assert "junk.db" in line and "not a usable nearcode index" in line
    assert not list((ws / ".git").iterdir())  # nothing written into the workspace


def test_console_script_end_to_end(ws: Path) -> None:
    env = dict(os.environ)
    index = subprocess.run([str(NEARCODE), "index", *FAKE, "--json"], cwd=ws, env=env,
                           capture_output=True, text=True, timeout=120)
    assert index.returncode == 0, index.stderr
    assert json.loads(index.stdout)["files"] > 0
    search = subprocess.run([str(NEARCODE), "search", "circle area", "--json", *FAKE],
                            cwd=ws / "shop", env=env, capture_output=True, text=True,
                            timeout=120)
    assert search.returncode == 0, search.stderr
    assert json.loads(search.stdout)["results"][0]["symbol"] == "CircleArea"
    bad = subprocess.run([str(NEARCODE), "index", str(ws / "nope"), *FAKE], env=env,
                         capture_output=True, text=True, timeout=120)
    _one_error_line(bad.returncode, bad.stdout, bad.stderr)


def test_language_names_in_any_case(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("GO", "Go", "golang"):
        results = run_json(capsys, "search", "area", "--lang", name, *FAKE)["results"]
        assert results and {r["language"] for r in results} == {"go"}
    both = run_json(capsys, "search", "total", "--lang", "Python", "--lang", "JS",
                    *FAKE)["results"]
    assert both and {r["language"] for r in both} <= {"python", "javascript"}
    assert "javascript" in {r["language"] for r in both}


def test_json_paths_are_workspace_relative_with_abspath(ws: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    """search, similar and duplicates --json name files the same way: `path` relative to the
    workspace folder, `abspath` absolute."""
    dup_ws = ws / "dups"  # a folder with near-duplicates, inside the workspace
    shutil.copytree(DATA / "duplicates", dup_ws)
    found = run_json(capsys, "search", "total", *FAKE)["results"]
    similar = run_json(capsys, "similar", "shop/cart.js", *FAKE)["results"]
    dups = run_json(capsys, "duplicates", *FAKE, "--threshold", "0.75")["groups"]
    members = [m for g in dups for m in g["members"]]
    assert found and similar and members
    assert any(m["path"].startswith("dups/") for m in members)
    for item in [*found, *similar, *members]:
        assert not Path(item["path"]).is_absolute() and "\\" not in item["path"]
        assert item["abspath"] == str(ws / item["path"])


def test_verbose_logs_progress_to_stderr_only(ws: Path) -> None:
    env = dict(os.environ)
    for argv in (["-v", "index"], ["index", "-v"], ["index", "--verbose"]):
        done = subprocess.run([str(NEARCODE), *argv, *FAKE, "--json"], cwd=ws, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["files"] > 0  # stdout: the result only
        assert "files seen" in done.stderr and "INFO" in done.stderr
    done = subprocess.run([str(NEARCODE), "search", "area", *FAKE, "-v"], cwd=ws, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "results for 'area'" in done.stderr
    assert "INFO" not in done.stdout
    quiet = subprocess.run([str(NEARCODE), "search", "area", *FAKE], cwd=ws, env=env,
                           capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_no_tests_leaves_test_files_out(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (ws / "tests").mkdir()
    (ws / "tests" / "test_area.py").write_text(
        "def test_circle_area_of_radius_two():\n    assert circle_area(2) > 12.5\n")
    query = ("search", "test circle area of radius two", *FAKE)
    every = {h["path"] for h in run_json(capsys, *query)["results"]}
    assert "tests/test_area.py" in every  # premise: it matches
    without = {h["path"] for h in run_json(capsys, *query, "--no-tests")["results"]}
    assert without and not any(p.startswith("tests/") for p in without)


def test_a_reader_that_goes_away_ends_it_quietly(ws: Path) -> None:
    """`nearcode search ... | head -1`: the pipe closes before the results are written."""
    index = subprocess.run([str(NEARCODE), "index", *FAKE], cwd=ws, capture_output=True,
                           timeout=120)
    assert index.returncode == 0, index.stderr
    proc = subprocess.Popen([str(NEARCODE), "search", "circle area", *FAKE], cwd=ws,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before anything is written: the first write meets a closed pipe
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert err == ""
