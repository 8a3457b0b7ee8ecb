"""Download and unpack both releases of each package of the code -> code dev set (stdlib only).

Run:  python3 bench/clones/fetch.py [--out DIR] [--packages qs,tcell]

Each release of `projects.toml` is fetched with its registry's own client (`pip download
--no-binary :all: --no-deps`, `npm pack`, `apt-get download`; bench/questions/fetch.py does the
work), its archive checked against the pinned sha256 and unpacked into DIR/src/<id>-<old|new>/.
DIR is --out, else $NEARCODE_BENCH_DIR/clones, else ~/.cache/nearcode-bench/clones. Archives are
kept in DIR/src/archives/. Nothing is installed.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("questions_fetch",
                                               HERE.parent / "questions" / "fetch.py")
assert _spec is not None and _spec.loader is not None
qfetch = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qfetch)  # bench/questions/fetch.py: download, check, unpack

PROJECTS_TOML = HERE / "projects.toml"
SIDES = ("old", "new")


def default_dir() -> Path:
    return qfetch.bench_dir("clones")


def load_packages(path: Path = PROJECTS_TOML) -> list[dict]:
    return qfetch.read_table(path, "package")


def select(packages: list[dict], names: str | None) -> list[dict]:
    return qfetch.select(packages, names, "package")


def release(package: dict, side: str) -> dict:
    """One release as bench/questions/fetch.py's project dict."""
    r = package[side]
    return {"id": f"{package['id']}-{side}", "registry": package["registry"],
            "name": r.get("name", package["name"]), "version": r["version"],
            "archive": r["archive"], "sha256": r["sha256"], "workspace": r["root"]}


def fetch(package: dict, out: Path) -> dict[str, Path]:
    """Both releases downloaded, checked and unpacked: side -> code root."""
    return {side: qfetch.fetch(release(package, side), out / "src")
            for side in SIDES}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--packages", help="comma-separated package ids (default: all)")
    args = ap.parse_args()
    out = (args.out or default_dir()).expanduser().resolve()
    for package in select(load_packages(), args.packages):
        roots = fetch(package, out)
        print(f"{package['id']:<9} {roots['old']}\n{'':<9} {roots['new']}", flush=True)


if __name__ == "__main__":
    main()
