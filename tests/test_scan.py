"""Scan: which files are indexed. Ignore files, default excludes, secrets, binaries, size,
symlinks, minified bundles. Workspaces are built in tmp_path (the repository's own .gitignore
would swallow fixture folders named node_modules/ or build/)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pathspec
import pytest
from helpers import write_tree
from nearcode.code.globs import IgnoreRules
from nearcode.config import Settings
from nearcode.embed.fake import FakeEmbedder
from nearcode.index import scan
from nearcode.index.indexer import Indexer
from nearcode.store.sqlite import Store
from nearcode.store.sqlite_db import unpack_text

CODE = "def {name}():\n    return '{name}'\n"
TOKEN = "hunter2secrettoken"  # planted in every secret file; must never reach the index


def _walk(root: Path, settings: Settings | None = None) -> set[str]:
    return {f.path for f in scan.FileFilter(root, settings or Settings()).walk()}


def _code(name: str) -> str:
    return CODE.format(name=name.replace("/", "_").replace(".", "_"))


def _indexer(root: Path, tmp_path: Path, settings: Settings | None = None) -> Indexer:
    store = Store(tmp_path / "index.db")
    return Indexer(root, store, FakeEmbedder(), settings or Settings())


def _assert_walk_agrees_with_skip_reason(root: Path, settings: Settings | None = None) -> None:
    """The full walk and the per-path check (used for watcher events) decide alike."""
    flt = scan.FileFilter(root, settings or Settings())
    walked = {f.path for f in flt.walk()}
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            rel = (Path(dirpath) / name).relative_to(root).as_posix()
            if rel.startswith(".git/"):
                continue
            assert (flt.skip_reason(rel) is None) == (rel in walked), (rel, flt.skip_reason(rel))


def test_gitignore_at_root_and_nested_with_negation(tmp_path: Path) -> None:
    kept = ["main.py", "pkg/core.py", "pkg/keep.gen.py", "pkg/sub/local.py", "docs/README.md",
            "pkg/sub/deep.py"]
    dropped = ["generated/models.py", "out.gen.py", "pkg/other.gen.py", "pkg/scratch.tmp.py",
               "pkg/sub/more.tmp.py", "pkg/local.py", "docs/guide.md", "logs/run.txt"]
    root = write_tree(tmp_path / "ws", {
        ".gitignore": "generated/\n*.gen.py\nlogs/\ndocs/*.md\n!docs/README.md\n",
        "pkg/.gitignore": "# nested: deeper files win\n*.tmp.py\n!keep.gen.py\n/local.py\n",
        **{p: _code(p) for p in kept + dropped},
    })
    assert _walk(root) == set(kept)
    _assert_walk_agrees_with_skip_reason(root)


def test_nearcodeignore_and_git_info_exclude(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "ws", {
        ".nearcodeignore": "vendored/\nbig_table.py\n",
        "lib/.nearcodeignore": "fixtures_*.py\n",
        ".git/info/exclude": "private_notes.md\n",
        "app.py": _code("app"), "vendored/dep.py": _code("dep"), "big_table.py": _code("t"),
        "lib/fixtures_a.py": _code("fa"), "lib/real.py": _code("real"),
        "private_notes.md": "# notes\n",
    })
    assert _walk(root) == {"app.py", "lib/real.py"}
    _assert_walk_agrees_with_skip_reason(root)


def test_default_and_configured_excludes(tmp_path: Path) -> None:
    dropped = ["node_modules/left-pad/index.js", ".venv/lib/site.py", "venv/lib/x.py",
               "build/lib/out.py", "dist/bundle.js", "target/debug/main.rs",
               "__pycache__/mod.py", "pkg.egg-info/setup.py", ".git/hooks/pre-commit.sh",
               "web/app.min.js", "package-lock.json", "Cargo.lock", ".tox/py/x.py",
               "third_party/lib.py"]
    kept = ["src/main.py", "web/app.js", "src/build_helpers.py", "README.md"]
    root = write_tree(tmp_path / "ws", {p: _code(p) for p in kept + dropped})
    settings = Settings(exclude=["third_party/"])
    assert _walk(root, settings) == set(kept)
    _assert_walk_agrees_with_skip_reason(root, settings)


SECRETS = [".env", ".env.local", ".env.production", "config/prod.env", "id_rsa", "id_rsa.pub",
           "keys/id_ed25519", "x.pem", "server.key", "credentials.json", "aws_credentials.json",
           "service-account-prod.json", "secrets.yaml", "secrets.toml", ".npmrc", ".netrc",
           "deploy/prod.tfvars"]


@pytest.mark.parametrize("rel", SECRETS)
def test_secret_names(rel: str) -> None:
    assert scan.is_secret(rel)


@pytest.mark.parametrize("rel", ["settings.py", "secret_sharing.py", "env.py", "keys.py",
                                 "credentials_form.tsx", "README.md", "docs/environment.md"])
def test_ordinary_names_are_not_secrets(rel: str) -> None:
    assert not scan.is_secret(rel)


def test_secrets_never_enter_the_index(tmp_path: Path) -> None:
    secret_text = f"API_KEY = '{TOKEN}'\n"
    root = write_tree(tmp_path / "ws", {
        "app.py": _code("app"), **{p: secret_text for p in SECRETS},
    })
    os.symlink(root / ".env", root / "settings_link.py")  # a secret in disguise
    indexer = _indexer(root, tmp_path)
    indexer.sync()
    indexer.update(SECRETS + ["settings_link.py"])
    for rel in [*SECRETS, "settings_link.py"]:
        report = indexer.set_buffer(rel, secret_text)
        assert report.files_indexed == 0 and rel in report.skipped
    assert set(indexer.store.file_states()) == {"app.py"}
    texts = [unpack_text(r[0]) for r in indexer.store.db.execute("SELECT text FROM chunks")]
    assert texts and not any(TOKEN in t for t in texts)
    assert indexer.store.check() == []


def test_binaries_oversized_and_minified_files(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "ws", {
        "ok.py": _code("ok"),
        "blob.py": b"def f():\n    return 1\n\x00\x01\x02" + bytes(range(256)),
        "latin.py": bytes(range(128, 256)) * 6,
        "big.py": "x = 1\n" * 1200,
        "bundle.js": "var a=1;" * 700,
    })
    settings = Settings(max_file_bytes=6000)
    assert "big.py" not in _walk(root, settings)
    assert "larger than" in (scan.FileFilter(root, settings).skip_reason("big.py") or "")
    indexer = _indexer(root, tmp_path, settings)
    report = indexer.sync()
    assert set(indexer.store.file_states()) == {"ok.py"}
    assert report.skipped["blob.py"] == "binary"
    assert "binary" in report.skipped["latin.py"]
    assert report.skipped["bundle.js"] == "minified"


def test_decode() -> None:
    data = "def f():\n    return 'é'\n".encode()
    text = scan.decode(data)
    assert text.text == data.decode() and text.sha256 == hashlib.sha256(data).hexdigest()
    assert scan.text_hash(text.text) == text.sha256
    for bad, reason in [(b"abc\x00def", "binary"), (b"\xff\xfe" * 500, "binary"),
                        (b"x" * 20000, "minified")]:
        with pytest.raises(scan.SkippedFile, match=reason):
            scan.decode(bad)
    # a long file of normal lines is not minified
    scan.decode(b"x = 1\n" * 5000)


def test_symlinks(tmp_path: Path) -> None:
    outside = write_tree(tmp_path / "outside", {"stolen.py": _code("stolen"),
                                                "pkg/mod.py": _code("mod")})
    root = write_tree(tmp_path / "ws", {"src/real.py": _code("real")})
    os.symlink(root / "src" / "real.py", root / "alias.py")
    os.symlink(outside / "stolen.py", root / "stolen.py")
    os.symlink(outside / "pkg", root / "linked_pkg")
    os.symlink(root / "missing.py", root / "dangling.py")
    assert _walk(root) == {"src/real.py", "alias.py"}
    _assert_walk_agrees_with_skip_reason(root)
    # watcher events take the per-path road: it must decide the same way
    indexer = _indexer(root, tmp_path)
    indexer.sync()
    indexer.update(["stolen.py", "linked_pkg/mod.py", "dangling.py"])
    assert set(indexer.store.file_states()) == {"src/real.py", "alias.py"}


def test_unknown_file_types_are_not_indexed(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "ws", {"a.py": _code("a"), "image.png": b"\x89PNG\r\n",
                                        "archive.zip": b"PK", "Makefile": "all:\n\techo\n",
                                        "notes.txt": "hello\n"})
    assert _walk(root) == {"a.py", "Makefile", "notes.txt"}


@pytest.mark.parametrize("extra", [
    [],  # the defaults and this repository's .gitignore: lines that only ignore, one regex
    ["!build/keep.py", "docs/*.md", "!docs/README.md", "#comment", "", "\\!literal"],  # pathspec
])
def test_ignore_rules_give_pathspecs_verdicts(extra: list[str]) -> None:
    """IgnoreRules (code/globs.py) decides every path, as a file and as a folder, as pathspec's
    GitIgnoreSpec.check_file does: ignored, taken back or not said."""
    repo = Path(__file__).resolve().parent.parent
    lines = [*scan.DEFAULT_EXCLUDES, *(repo / ".gitignore").read_text().splitlines(), *extra]
    paths = [p.relative_to(repo).as_posix() for p in repo.rglob("*")
             if ".git" not in p.parts and "node_modules" not in p.parts][:5000]
    paths += ["build/keep.py", "build/other.py", "docs/README.md", "docs/a.md", "!literal",
              "a/node_modules", "x.egg-info", "env", "a/b.min.js", "Cargo.lock"]
    rules, spec = IgnoreRules(lines), pathspec.GitIgnoreSpec.from_lines(lines)
    for path in paths:
        for probe in (path, path + "/"):
            assert rules.verdict(probe) == spec.check_file(probe).include, probe


def test_a_line_that_is_no_pattern_is_passed_over_as_git_does(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A cloned repository's ignore files may hold lines git cannot read either (a lone `!`, a
    trailing backslash): they are passed over with a warning, the other lines still apply,
    and the rest of the tree is indexed (it used to stop the whole walk with an internal
    error)."""
    root = write_tree(tmp_path / "ws", {
        ".gitignore": "!\n*.log.py\n", "sub/.gitignore": "\\\nskip.py\n!keep.py\n",
        "a.py": _code("a"), "b.log.py": _code("b"), "sub/c.py": _code("c"),
        "sub/skip.py": _code("skip"), "sub/keep.py": _code("keep")})
    with caplog.at_level("WARNING", logger="nearcode.code.globs"):
        assert _walk(root) == {"a.py", "sub/c.py", "sub/keep.py"}
    assert {r.getMessage() for r in caplog.records} == {
        "ignore rule '!' is not a pattern: passed over, as git does",
        "ignore rule '\\\\' is not a pattern: passed over, as git does"}
