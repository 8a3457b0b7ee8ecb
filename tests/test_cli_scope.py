"""No surprise work: the CLI indexes a folder that is not a project (no VCS root, the home
folder, a system folder) or a large one only when the user says so (a y on a terminal, or
--yes); without a terminal it refuses with one line and exit 2, writing no index. `similar` on
a file outside the workspace of the current folder exits 2 without indexing anything."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from nearcode.cli import main
from nearcode.cli.options import EXIT_USAGE
from nearcode.config import default_db_path
from nearcode.index import scope

FAKE = ["--model", "fake"]
NEARCODE = [sys.executable, "-m", "nearcode"]


def indexes(cache: Path) -> list[Path]:
    """Every index file in the cache (not the lock files beside them, app/writelock.py)."""
    folder = cache / "indexes"
    return sorted(p for p in folder.iterdir() if p.suffix != ".lock") if folder.is_dir() else []


def write_files(root: Path, n: int) -> Path:
    for i in range(n):
        d = root / f"pkg{i % 10}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"m{i}.py").write_text(f"def f{i}():\n    return {i}\n")
    return root


def nearcode(cwd: Path, *argv: str, home: Path | None = None
             ) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if home is not None:
        env["HOME"] = str(home)
    return subprocess.run([*NEARCODE, *argv], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)


def test_home_folder_is_refused_without_yes(tmp_path: Path, isolated_cache: Path) -> None:
    home = write_files(tmp_path / "home", 3)
    (home / ".git").mkdir()  # a dotfiles repository does not make the home folder a project
    for argv in (["index"], ["search", "f1"], ["duplicates"]):
        done = nearcode(home, *argv, *FAKE, home=home)
        assert done.returncode == EXIT_USAGE, done.stderr
        assert done.stdout == ""
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("nearcode: error:"), done.stderr
        assert f"{home.resolve()} is your home folder" in lines[0]
        assert "3 files" in lines[0] and "--yes" in lines[0]
        assert indexes(isolated_cache) == []
    # an explicit path to the home folder is refused the same way
    done = nearcode(tmp_path, "index", str(home), *FAKE, home=home)
    assert done.returncode == EXIT_USAGE and "is your home folder" in done.stderr
    assert indexes(isolated_cache) == []

    done = nearcode(home, "index", "--yes", *FAKE, "--json", home=home)
    assert done.returncode == 0, done.stderr
    assert indexes(isolated_cache) == [default_db_path(home)]
    # indexed once (the user said yes): no question any more
    done = nearcode(home, "search", "f1", *FAKE, home=home)
    assert done.returncode == 0, done.stderr


def test_large_folder_without_vcs_is_refused(tmp_path: Path, isolated_cache: Path) -> None:
    big = write_files(tmp_path / "downloads", scope.LARGE_FILES + 1)
    done = nearcode(big, "search", "f1", *FAKE)
    assert done.returncode == EXIT_USAGE and done.stdout == ""
    line = done.stderr.strip()
    assert f"{big.resolve()} is not a project" in line
    assert f"more than {scope.LARGE_FILES:,} files" in line
    assert indexes(isolated_cache) == []


def test_small_folder_without_vcs_and_large_repository(tmp_path: Path, isolated_cache: Path,
                                                       capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    loose = write_files(tmp_path / "loose", 4)
    code = main(["index", str(loose), *FAKE])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE and "is not a project" in err and "4 files" in err
    assert indexes(isolated_cache) == []

    monkeypatch.setattr(scope, "LARGE_FILES", 10)
    repo = write_files(tmp_path / "repo", 11)
    (repo / ".git").mkdir()
    code = main(["index", str(repo), *FAKE])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE and "is large (more than 10 files to index)" in err
    assert indexes(isolated_cache) == []
    (repo / "pkg0" / "m0.py").unlink()  # 10 files: not large
    assert main(["index", str(repo), *FAKE]) == 0
    assert indexes(isolated_cache) == [default_db_path(repo)]


class Terminal(io.StringIO):
    """stdin of an interactive session, with the user's answer."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("answer,indexed", [("y\n", True), ("yes\n", True), ("\n", False),
                                            ("n\n", False)])
def test_a_terminal_is_asked(tmp_path: Path, isolated_cache: Path, answer: str, indexed: bool,
                             capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    loose = write_files(tmp_path / "loose", 2)
    monkeypatch.setattr(sys, "stdin", Terminal(answer))
    code = main(["index", str(loose), *FAKE])
    out, err = capsys.readouterr()
    assert f"{loose.resolve()} is not a project" in err and "index it? [y/N]" in err
    assert (code == 0) is indexed
    assert bool(indexes(isolated_cache)) is indexed
    if not indexed:
        assert out == "" and err.strip().endswith(f"nearcode: error: {loose.resolve()} not "
                                                  "indexed")


def test_similar_on_a_file_outside_the_workspace(tmp_path: Path, isolated_cache: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    project = write_files(tmp_path / "project", 2)
    (project / ".git").mkdir()
    other = write_files(tmp_path / "other", 2)
    (other / ".git").mkdir()  # a project of its own: still not the one the user is in
    monkeypatch.chdir(project)
    outside = other / "pkg1" / "m1.py"
    code = main(["similar", f"{outside}:1", *FAKE])
    out, err = capsys.readouterr()
    assert code == EXIT_USAGE and out == ""
    assert f"{outside} is outside the workspace {project.resolve()}" in err
    assert indexes(isolated_cache) == []  # neither folder indexed
    code = main(["similar", f"{outside}:1", "--root", str(other), *FAKE])
    assert code == 0, capsys.readouterr().err
    assert indexes(isolated_cache) == [default_db_path(other)]


def test_special_folders() -> None:
    assert scope.special_folder(Path("/")) == "is the root of the file system"
    assert scope.special_folder(Path.home()) == "is your home folder"
    for system in ("/usr", "/etc", "/var", "/opt"):
        assert scope.special_folder(Path(system)) == "is a system folder"
    assert scope.special_folder(Path(__file__).parent) is None


def test_mcp_refuses_a_home_folder_given_explicitly(tmp_path: Path,
                                                    isolated_cache: Path) -> None:
    home = write_files(tmp_path / "home", 1)
    done = nearcode(tmp_path, "mcp", str(home), *FAKE, home=home)
    assert done.returncode == EXIT_USAGE and done.stdout == ""
    assert f"{home.resolve()} is your home folder, not a project" in done.stderr
    assert "--yes" in done.stderr
    assert indexes(isolated_cache) == []
