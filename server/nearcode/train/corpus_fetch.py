"""Getting the corpus's packages: the package list, reserved names, downloads and licenses.

The corpus (`corpus.py`) is built from library source that the package registries reachable
here hand out: PyPI sdists (a wheel when the sdist cannot be had), npm tarballs and Debian
packages that carry library source (Go, Rust, Ruby, PHP, C/C++ headers). This module turns one
entry of `training/packages.toml` into the archive's files, in memory, with the license the
package declares. Nothing is installed: a .deb is read through `dpkg-deb --fsys-tarfile`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import subprocess
import tarfile
import tempfile
import tomllib
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import Unavailable
from .corpus_rules import debian_license, pypi_license

log = logging.getLogger(__name__)

REGISTRIES = ("pypi", "npm", "debian")
DOWNLOAD_TIMEOUT = 420  # seconds for one download; a sdist's metadata build can be slow
MAX_ARCHIVE_BYTES = 400 << 20  # a bigger archive is not read at all

# Where a Debian package keeps library source, and the language it is mostly in.
DEBIAN_ROOTS = (
    "usr/share/gocode/src/", "usr/share/cargo/registry/", "usr/lib/ruby/vendor_ruby/",
    "usr/share/rubygems-integration/", "usr/lib/x86_64-linux-gnu/rubygems-integration/",
    "usr/share/php/", "usr/include/", "usr/src/",
)
_DEBIAN_LANGUAGE = (("golang-", "go"), ("librust-", "rust"), ("ruby-", "ruby"),
                    ("php-", "php"), ("libphp-", "php"))


class CorpusError(Unavailable):
    """A package that cannot go into the corpus; the message is the logged reason."""


@dataclass(frozen=True)
class Entry:
    """One package of the list: where it comes from, its pinned version, its main language."""

    registry: str
    name: str
    version: str
    language: str
    wheel: bool = False  # PyPI: take the wheel, not the sdist (whose metadata build compiles)

    @property
    def id(self) -> str:
        """File-name-safe key: `<registry>-<name>-<version>` (npm scopes lose their `@`/`/`)."""
        raw = f"{self.registry}-{self.name}-{self.version}"
        return re.sub(r"[^A-Za-z0-9._+-]+", "_", raw.replace("@", "").replace("/", "__"))


def load_entries(path: Path) -> list[Entry]:
    """The package list: `[[package]]` tables with registry, name, version and (unless the
    registry or name implies it) language. Raises CorpusError on a malformed entry."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out: list[Entry] = []
    for i, item in enumerate(data.get("package", [])):
        registry, name, version = (str(item.get(k, "")) for k in ("registry", "name", "version"))
        if registry not in REGISTRIES or not name or not version:
            raise CorpusError(f"{path}: package #{i + 1} needs registry ({'|'.join(REGISTRIES)}),"
                              " name and version")
        language = str(item.get("language") or default_language(registry, name) or "")
        if not language:
            raise CorpusError(f"{path}: package {name} needs a language")
        out.append(Entry(registry, name, version, language, bool(item.get("wheel", False))))
    ids = [e.id for e in out]
    if len(set(ids)) != len(ids):
        raise CorpusError(f"{path}: a package is listed twice")
    return out


def default_language(registry: str, name: str) -> str | None:
    """The main language a registry or a Debian name prefix implies, if any."""
    if registry == "pypi":
        return "python"
    if registry == "npm":
        return "javascript"
    return next((lang for prefix, lang in _DEBIAN_LANGUAGE if name.startswith(prefix)), None)


# ----------------------------------------------------------------------------- archives


@dataclass
class Unpacked:
    """An archive's files of interest in memory, posix paths relative to the package root."""

    files: dict[str, bytes]
    license: str  # the declared license, as written
    source: str | None = None  # Debian source package name
    skipped: dict[str, str] | None = None  # archive paths left unread → reason


Fetcher = Callable[[Entry, Path], Path]  # (entry, empty folder) -> the downloaded archive


def cached_archive(entry: Entry, archives: Path, fetch: Fetcher) -> Path:
    """The entry's archive under `archives/<id>/`, downloaded with `fetch` when absent."""
    folder = archives / entry.id
    found = [p for p in folder.glob("*") if p.is_file()] if folder.is_dir() else []
    if len(found) == 1:
        return found[0]
    with tempfile.TemporaryDirectory(dir=archives, prefix=".dl-") as tmp:
        got = fetch(entry, Path(tmp))
        if not got.is_file():
            raise CorpusError("download produced no archive")
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        return Path(shutil.move(str(got), folder / got.name))


def registry_fetch(entry: Entry, dest: Path) -> Path:
    """Download `entry` into `dest` with the registry's own client; the archive's path."""
    if entry.registry == "pypi":
        spec = f"{entry.name}=={entry.version}"
        try:
            if entry.wheel:
                raise CorpusError("a wheel is asked for")
            _run(["pip", "download", "--no-deps", "--no-binary", entry.name, "-q", "-d",
                  str(dest), spec], dest)
        except CorpusError as sdist_error:  # no sdist, or its metadata does not build here
            log.info("%s: sdist failed (%s); trying a wheel", entry.id, sdist_error)
            for p in dest.iterdir():
                p.unlink() if p.is_file() else shutil.rmtree(p)
            _run(["pip", "download", "--no-deps", "--only-binary", ":all:", "-q", "-d",
                  str(dest), spec], dest)
    elif entry.registry == "npm":
        _run(["npm", "pack", f"{entry.name}@{entry.version}", "--silent",
              "--pack-destination", str(dest)], dest)
    else:
        _run(["apt-get", "download", "-q", f"{entry.name}={entry.version}"], dest)
    files = [p for p in dest.iterdir() if p.is_file()]
    if len(files) != 1:
        raise CorpusError(f"expected one archive, got {len(files)}")
    return files[0]


def _run(cmd: list[str], cwd: Path) -> None:
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                              timeout=DOWNLOAD_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CorpusError(f"{cmd[0]} failed: {exc}") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()[-1]
        raise CorpusError(f"{cmd[0]} exit {proc.returncode}: {last[:300]}")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def unpack(entry: Entry, archive: Path, wanted: Callable[[str], bool],
           max_file: int) -> Unpacked:
    """Read the archive's files that `wanted(rel_path)` accepts (at most `max_file` bytes each;
    bigger ones are listed in `skipped`) plus its license metadata. Raises CorpusError for an
    archive that cannot be read."""
    if archive.stat().st_size > MAX_ARCHIVE_BYTES:
        raise CorpusError(f"archive over {MAX_ARCHIVE_BYTES >> 20} MB")
    meta: dict[str, bytes] = {}
    files: dict[str, bytes] = {}
    skipped: dict[str, str] = {}
    strip_top = not archive.name.endswith(".whl")
    try:
        for raw, size, read in _members(archive):
            rel = _relative(entry, raw, strip_top)
            if rel is None:
                continue
            if _is_metadata(entry, rel):
                meta[rel] = read()
            elif wanted(rel):
                if size > max_file:
                    skipped[rel] = "huge file"
                else:
                    files[rel] = read()
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise CorpusError(f"bad archive: {exc}") from None
    if not files and not meta:
        raise CorpusError("bad archive: no files")
    license_, source = _license(entry, meta, archive)
    return Unpacked(files, license_, source, skipped)


def _members(archive: Path) -> Iterator[tuple[str, int, Callable[[], bytes]]]:
    """(path, size, reader) for each regular file of a tar, zip/wheel or .deb archive."""
    name = archive.name
    if name.endswith(".deb"):
        proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(archive)],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert proc.stdout is not None
        try:
            yield from _tar_members(tarfile.open(fileobj=proc.stdout, mode="r|*"))
        finally:
            proc.stdout.close()
            if proc.wait() != 0:
                raise ValueError("dpkg-deb cannot read it")
    elif name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    def read(i: zipfile.ZipInfo = info) -> bytes:
                        return zf.read(i)
                    yield info.filename, info.file_size, read
    else:
        with tarfile.open(archive, mode="r:*") as tf:
            yield from _tar_members(tf)


def _tar_members(tf: tarfile.TarFile) -> Iterator[tuple[str, int, Callable[[], bytes]]]:
    for member in tf:
        if member.isfile():
            def read(m: tarfile.TarInfo = member) -> bytes:
                fh = tf.extractfile(m)
                return fh.read() if fh is not None else b""
            yield member.name, member.size, read


def _relative(entry: Entry, raw: str, strip_top: bool) -> str | None:
    """A member's path inside the package (the archive's top folder, or a Debian root,
    removed), or None for members outside the package's source and metadata."""
    path = raw.lstrip("/")
    while path.startswith("./"):
        path = path[2:]
    if ".." in PurePosixPath(path).parts:
        return None
    if entry.registry == "debian":
        if path == f"usr/share/doc/{entry.name}/copyright":
            return "debian/copyright"
        root = next((r for r in DEBIAN_ROOTS if path.startswith(r)), None)
        return path[len(root):] if root else None
    if not strip_top:  # a wheel: paths are already the package's
        return path
    return path.split("/", 1)[1] if "/" in path else None


def _is_metadata(entry: Entry, rel: str) -> bool:
    if entry.registry == "debian":
        return rel == "debian/copyright"
    if entry.registry == "npm":
        return rel == "package.json"
    return rel == "PKG-INFO" or rel.endswith(".dist-info/METADATA")


def _license(entry: Entry, meta: dict[str, bytes], archive: Path) -> tuple[str, str | None]:
    """(declared license, Debian source name) from the package's metadata."""
    if entry.registry == "npm":
        try:
            data = json.loads(meta.get("package.json", b"{}"))
        except ValueError:
            return "", None
        lic = data.get("license") or data.get("licenses") or ""
        if isinstance(lic, list):
            lic = " OR ".join(x.get("type", "") if isinstance(x, dict) else str(x) for x in lic)
        elif isinstance(lic, dict):
            lic = lic.get("type", "")
        return str(lic), None
    if entry.registry == "pypi":
        raw = next((v for k, v in sorted(meta.items()) if k == "PKG-INFO"), None) \
            or next(iter(meta.values()), b"")
        return pypi_license(raw.decode("utf-8", "replace")), None
    return debian_license(meta.get("debian/copyright", b"").decode("utf-8", "replace")), \
        _deb_source(entry, archive)


def _deb_source(entry: Entry, archive: Path) -> str | None:
    try:
        out = subprocess.run(["dpkg-deb", "-f", str(archive), "Source"], capture_output=True,
                             text=True, timeout=60, check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.split()[0] if out else entry.name

