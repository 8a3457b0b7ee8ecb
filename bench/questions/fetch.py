"""Download and unpack the projects of the realistic-questions dev set (stdlib only).

Run:  python3 bench/questions/fetch.py [--out DIR] [--projects sanic,ajv]

Each project of `projects.toml` is fetched with its registry's own client (`pip download
--no-binary :all: --no-deps`, `npm pack`, `apt-get download`), its archive checked against the
pinned sha256, and unpacked into DIR/<id>/ (a .deb through `dpkg-deb -x`). DIR is --out, else
$NEARCODE_BENCH_DIR/questions, else ~/.cache/nearcode-bench/questions. Archives are kept in
DIR/archives/ and not downloaded again; a project already unpacked from the same sha256 is left
as it is. Nothing is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECTS_TOML = HERE / "projects.toml"
DOWNLOAD_TIMEOUT = 600


def bench_dir(name: str) -> Path:
    """$NEARCODE_BENCH_DIR/<name>, else ~/.cache/nearcode-bench/<name>."""
    base = os.environ.get("NEARCODE_BENCH_DIR") or "~/.cache/nearcode-bench"
    return Path(base).expanduser().resolve() / name


def default_dir() -> Path:
    """$NEARCODE_BENCH_DIR/questions, else ~/.cache/nearcode-bench/questions."""
    return bench_dir("questions")


def read_table(path: Path, key: str) -> list[dict]:
    """The entries of the TOML array of tables `key` in `path`."""
    with open(path, "rb") as f:
        return tomllib.load(f)[key]


def load_projects(path: Path = PROJECTS_TOML) -> list[dict]:
    return read_table(path, "project")


def select(items: list[dict], names: str | None, what: str = "project") -> list[dict]:
    """The entries named in a comma list (all when None); an unknown name is an error."""
    if not names:
        return items
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    known = {p["id"]: p for p in items}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        sys.exit("unknown {}(s): {} (known: {})".format(what, ", ".join(unknown),
                                                       ", ".join(known)))
    return [known[n] for n in wanted]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download(project: dict, archives: Path) -> Path:
    """The project's archive in `archives`, downloaded with the registry's client if absent."""
    target = archives / project["archive"]
    if target.exists():
        return target
    archives.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=archives) as tmp:
        name, version = project["name"], project["version"]
        if project["registry"] == "pypi":
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                   "-q", "-d", tmp, f"{name}=={version}"]
        elif project["registry"] == "npm":
            cmd = ["npm", "pack", f"{name}@{version}", "--silent", "--pack-destination", tmp]
        elif project["registry"] == "debian":
            cmd = ["apt-get", "download", "-q", f"{name}={version}"]
        else:
            raise SystemExit(f"unknown registry {project['registry']!r} for {project['id']}")
        print(f"fetching {project['id']}: {' '.join(cmd)}", flush=True)
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True,
                              timeout=DOWNLOAD_TIMEOUT)
        got = Path(tmp) / project["archive"]
        if proc.returncode != 0 or not got.exists():
            hint = " (run `apt-get update` first?)" if project["registry"] == "debian" else ""
            raise SystemExit("could not fetch {}{}:\n{}{}".format(
                project["id"], hint, proc.stdout[-1500:], proc.stderr[-1500:]))
        shutil.move(str(got), target)
    return target


def unpack(project: dict, archive: Path, dest: Path) -> None:
    """Extract `archive` into `dest` (emptied first)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    if archive.name.endswith(".deb"):
        subprocess.run(["dpkg-deb", "-x", str(archive), str(dest)], check=True)
    else:
        with tarfile.open(archive) as tf:
            tf.extractall(dest, filter="data")


def fetch(project: dict, out: Path) -> Path:
    """Download, verify and unpack one project; returns its workspace folder."""
    archive = download(project, out / "archives")
    digest = sha256_file(archive)
    if digest != project["sha256"]:
        raise SystemExit("{}: sha256 {} does not match the pinned {} (delete {} to retry)".format(
            project["id"], digest, project["sha256"], archive))
    dest = out / project["id"]
    stamp = dest / ".nearcode-fetched"
    if not (stamp.exists() and stamp.read_text().strip() == digest):
        unpack(project, archive, dest)
        stamp.write_text(digest + "\n")
    workspace = workspace_dir(project, out)
    if not workspace.is_dir():
        raise SystemExit(f"{project['id']}: workspace folder {workspace} is not in the archive")
    return workspace


def workspace_dir(project: dict, out: Path) -> Path:
    return out / project["id"] / project["workspace"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=None,
                    help=f"folder for archives and workspaces (default: {default_dir()})")
    ap.add_argument("--projects", help="comma-separated project ids (default: all)")
    args = ap.parse_args()
    out = (args.out or default_dir()).expanduser().resolve()
    for project in select(load_projects(), args.projects):
        ws = fetch(project, out)
        print(f"{project['id']:<8} {ws}", flush=True)


if __name__ == "__main__":
    main()
