"""Secrets never enter the index: credential files of common tools by name (any case), files
that hold a private key or a vendor token by content (left out whole), and, when the workspace
is the home folder, the tools' dot-folders. Planted fake tokens never come back from `search`,
`similar` or `duplicates` (the open-buffer side is tests/e2e/test_secret_buffers.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pathspec
import pytest
from helpers import fake_tokens, write_tree
from nearcode.code import secrets
from nearcode.code.globs import globs_regex
from nearcode.config import Settings
from nearcode.embed.fake import FakeEmbedder
from nearcode.index import scan
from nearcode.index.indexer import Indexer
from nearcode.store.sqlite import Store

NEARCODE = [sys.executable, "-m", "nearcode"]
PACKAGE = Path(secrets.__file__).resolve().parent.parent

TOOL_FILES = [
    "gh/hosts.yml", ".config/gh/hosts.yml", ".docker/config.json", ".kube/config",
    "kubeconfig.yaml", ".git-credentials", ".npmrc", ".pypirc", ".config/pip/pip.conf",
    "pip.ini", ".cargo/credentials", ".cargo/credentials.toml", ".gem/credentials",
    ".aws/credentials", ".aws/config", ".config/gcloud/application_default_credentials.json",
    ".config/gcloud/credentials.db", ".config/gcloud/access_tokens.db",
    "keys/my-project-service-account.json", ".azure/msal_token_cache.json",
    ".azure/accessTokens.json", ".netrc", ".env", ".env.local", ".env-prod.json",
    ".env_backup.yaml", "config/prod.env", "Credentials.json", ".ENV.json", "CREDENTIALS",
    "id_rsa", "id_ed25519.pub", ".ssh/authorized_keys", "certs/server.PEM", "tls/server.key",
    ".yarnrc.yml", "auth.json", ".vault-token",
]
ORDINARY = ["settings.py", "secret_sharing.py", "env.py", "keys.py", "credentials_form.tsx",
            "README.md", "docs/environment.md", "src/auth.py", "config.json", "hosts.yml",
            "docker/config.yaml", "src/password_reset.py", "kube/deploy.yaml", "tokens.py"]


@pytest.mark.parametrize("rel", TOOL_FILES)
def test_credential_files_of_common_tools_are_secret(rel: str) -> None:
    assert scan.is_secret(rel)


@pytest.mark.parametrize("rel", ORDINARY)
def test_ordinary_names_are_not_secret(rel: str) -> None:
    assert not scan.is_secret(rel)


def test_secret_names_match_as_gitignore_globs_do() -> None:
    """The names are matched as one regex (code/globs.py): the same paths as pathspec's
    gitignore matching of the globs one by one, on every path of this repository, the names
    above and a few at the globs' edges; a glob that excludes cannot be joined so."""
    repo = PACKAGE.parent.parent
    paths = [p.relative_to(repo).as_posix() for p in repo.rglob("*")
             if "node_modules" not in p.parts and ".git" not in p.parts][:5000]
    paths += TOOL_FILES + ORDINARY + [".ssh", "a/.ssh", "x/.gnupg/y", "gcloud/a.db", "a.env.b",
                                      "env", ".envrc", "a/gh/hosts.yml", "hosts.yml/gh"]
    one_by_one = pathspec.GitIgnoreSpec.from_lines([p.lower() for p in secrets.PATTERNS])
    for path in paths:
        assert secrets.is_secret_name(path) == one_by_one.match_file(path.lower()), path
    with pytest.raises(ValueError, match="excludes"):
        globs_regex(["*.py", "!a.py"])


@pytest.mark.parametrize("tool", sorted(fake_tokens()))
def test_each_token_is_found_inside_code(tool: str) -> None:
    token = fake_tokens()[tool]
    text = f"import os\n\n\ndef connect():\n    key = {token!r}\n    return key\n"
    assert secrets.secret_in_text(text) is not None
    with pytest.raises(scan.SkippedFile, match="secret: holds"):
        scan.decode(text.encode())


@pytest.mark.parametrize("text", [
    "password = os.environ['PASSWORD']\napi_key = settings.API_KEY\n",
    "AWS_KEY = 'AKIAIOSFODNN7EXAMPLE'  # the documented example key\n",
    "secret = 'sk-test'\ntoken = 'ghp_short'\n",
    "if line.startswith('-----BEGIN RSA PRIVATE KEY-----'):\n    return 'key'\n",
    "x = 'a' * 40\nb64 = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo='\n",
])
def test_ordinary_code_about_secrets_is_kept(text: str) -> None:
    assert secrets.secret_in_text(text) is None


def test_no_false_positive_in_nearcode_itself() -> None:
    """nearcode's own source, which names every pattern, is not taken for a secret."""
    found = {p.name: secrets.secret_in_text(p.read_text()) for p in PACKAGE.rglob("*.py")}
    assert len(found) > 50
    assert {name: what for name, what in found.items() if what} == {}


def test_a_token_added_later_takes_the_file_out_whole(tmp_path: Path) -> None:
    token = fake_tokens()["github"]
    root = write_tree(tmp_path / "ws", {"app.py": "def area(r):\n    return 3.14 * r * r\n"})
    indexer = Indexer(root, Store(tmp_path / "index.db"), FakeEmbedder(), Settings())
    indexer.sync()
    assert set(indexer.store.file_states()) == {"app.py"}
    (root / "app.py").write_text(f"def area(r):\n    return 3.14 * r * r\n\nT = '{token}'\n")
    report = indexer.update(["app.py"])
    assert report.skipped == {"app.py": "secret: holds a GitHub token"}
    assert indexer.store.file_states() == {}  # not a stale half: the whole file is gone


def test_home_folder_leaves_out_tool_dot_folders(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    home = write_tree(tmp_path / "home", {
        "projects/app.py": "def f():\n    return 1\n", "notes.md": "# notes\n",
        ".config/tool/settings.yaml": "a: 1\n", ".local/share/x.py": "y = 2\n",
        ".vscode/extensions/ext/main.js": "let z = 3\n", ".bashrc.sh": "echo hi\n",
    })
    monkeypatch.setenv("HOME", str(home))
    walked = {f.path for f in scan.FileFilter(home, Settings()).walk()}
    assert walked == {"projects/app.py", "notes.md", ".bashrc.sh"}
    assert scan.FileFilter(home, Settings()).skip_reason(".local/share/x.py") == "ignored"
    # the same folders anywhere else are a project's own
    monkeypatch.setenv("HOME", str(tmp_path / "elsewhere"))
    assert ".local/share/x.py" in {f.path for f in scan.FileFilter(home, Settings()).walk()}


# ----------------------------------------------------------------------------- the CLI


def clean_function(name: str, extra: str = "") -> str:
    return (f"def {name}(path, retries):\n    attempts = 0\n    while attempts < retries:\n"
            f"        attempts += 1\n        handle = open(path)\n{extra}"
            "        if handle.readable():\n            return handle.read()\n    return None\n")


def planted_workspace(root: Path) -> dict[str, str]:
    """A project holding a credential file of each tool (by name) and a code file holding each
    token; returns marker word -> file, every one of which must stay out of results."""
    planted: dict[str, str] = {}
    files: dict[str, str] = {
        ".git/HEAD": "ref: refs/heads/main\n",
        "src/clean_twin.py": clean_function("fetch_page_marker_clean"),
        "src/clean_copy.py": clean_function("fetch_page_marker_clean"),
    }
    named = [p for p in TOOL_FILES if scan.language_for_path(p) is not None]
    for i, rel in enumerate(named):
        marker = f"marker_named_{i}"
        files[rel] = (f'{{"user": "{marker}", "value": "fetch page attempts retries"}}\n'
                      if rel.endswith(".json") else f"user: {marker}\nnote: fetch page retries\n")
        planted[marker] = rel
    for tool, token in fake_tokens().items():
        marker = f"marker_{tool.replace('-', '_')}"
        rel = f"src/conf_{marker}.py"
        # a near copy of the clean functions: it would show in duplicates if it were indexed
        files[rel] = clean_function(f"fetch_page_{marker}",
                                    f"        key = {token!r}\n")
        planted[marker] = rel
    write_tree(root, files)
    return planted


def cli(root: Path, *args: str) -> str:
    done = subprocess.run([*NEARCODE, *args], cwd=root, capture_output=True, text=True,
                          timeout=180, env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_planted_secrets_never_come_back_from_the_cli(tmp_path: Path) -> None:
    root = (tmp_path / "ws").resolve()
    planted = planted_workspace(root)
    tokens = list(fake_tokens().values())
    report = json.loads(cli(root, "index", "--model", "fake", "--json"))
    assert report["files_indexed"] == 2, report  # the two clean files, nothing else
    everything = ["-k", "100"]  # more than the index holds: every indexed chunk comes back
    outputs = [
        cli(root, "search", "--model", "fake", "--json", "fetch page marker clean"),
        cli(root, "similar", "--model", "fake", "--json", "src/clean_twin.py:1"),
        cli(root, "duplicates", "--model", "fake", "--json", "--threshold", "0.5"),
        cli(root, "search", "--model", "fake", "--json", *everything,
            " ".join([*planted, "fetch page attempts retries key"])),
        cli(root, "search", "--model", "fake", "--json", *everything,
            " ".join(t[:60] for t in tokens)),
    ]
    # the clean files do come back (the searches work), the planted ones never
    assert "clean_copy.py" in outputs[0] and "clean_copy.py" in outputs[1]
    assert "clean_copy.py" in outputs[2] and "clean_twin.py" in outputs[2]
    for out in outputs:
        for marker, rel in planted.items():
            assert marker not in out and rel not in out, (marker, out[:500])
        for token in tokens:
            assert token.splitlines()[0] not in out
