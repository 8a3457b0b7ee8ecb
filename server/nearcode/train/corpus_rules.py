"""What may enter the corpus: reserved packages (kept for evaluation) and permissive licenses.

`RESERVED.txt` names packages nobody may train or tune on; their vendored copies inside other
packages are dropped too. A package enters only under a license that lets its code be used
for training and the weights be shipped: MIT, BSD, Apache-2.0, ISC, PSF, MPL-2.0 and the like.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path, PurePosixPath
from typing import Protocol


class Package(Protocol):
    """What the rules read of a package list entry (corpus_fetch.Entry)."""

    @property
    def registry(self) -> str: ...

    @property
    def name(self) -> str: ...


# ----------------------------------------------------------------------------- reserved


@dataclass(frozen=True)
class Reserved:
    """Packages kept for evaluation: never fetched, and their vendored copies never read."""

    names: frozenset[str]  # normalised registry or Debian source package names

    @classmethod
    def load(cls, paths: Iterable[Path]) -> Reserved:
        """Names from RESERVED.txt-style files (one a line, `#` comments); missing files skipped."""
        names: set[str] = set()
        for path in paths:
            if not path.is_file():
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                line = line.split("#", 1)[0].strip()
                if line:
                    names.add(_normal(line))
        return cls(frozenset(names))

    def refuses(self, entry: Package, source: str | None = None) -> str | None:
        """Why `entry` (whose Debian source package is `source`) is reserved, or None."""
        candidates = {_normal(entry.name), _normal(entry.name.rsplit("/", 1)[-1])}
        if source:
            candidates.add(_normal(source))
        if entry.registry == "debian":  # librust-regex-syntax-dev -> rust-regex-syntax
            stem = re.sub(r"-dev$", "", entry.name)
            candidates |= {_normal(stem), _normal(re.sub(r"^lib", "", stem))}
        for c in candidates:
            if c in self.names or (c.startswith("lodash") and "lodash" in self.names):
                return f"reserved package {c}"
        return None

    def vendored_copy(self, rel: str) -> str | None:
        """The reserved package a file's path holds a copy of, or None. A copy is a folder
        named after it (or its import name) at the top of the package (or under src/, lib/)
        or anywhere under a vendor folder; a single-file JavaScript copy (`underscore.js`) in
        a vendor or asset folder; a Go import path; a Rust crate folder. (`pandas/core/
        arrays/arrow/` is pandas' own code, not a copy of arrow.)"""
        parts = PurePosixPath(rel.lower()).parts
        folders = parts[:-1]
        for i, part in enumerate(folders):
            placed = i == 0 or (i == 1 and folders[0] in ("src", "lib")) or \
                any(f in VENDOR_DIRS for f in folders[:i])
            if placed and (n := self._match(part)):
                return n
        if parts and parts[-1].endswith((".js", ".mjs", ".cjs")) and \
                (not folders or folders[-1] in VENDOR_DIRS | _ASSET_DIRS):
            if n := self._match(parts[-1].split(".", 1)[0]):
                return n
        joined = "/".join(parts)
        for name in self.names:  # golang-github-spf13-cobra -> github.com/spf13/cobra
            m = re.match(r"golang-(github|gitlab)-([\w.]+?)-([\w.-]+)$", name)
            if m and f"{m[1]}.com/{m[2]}/{m[3]}/" in joined + "/":
                return name
            m = re.match(r"rust-([\w-]+)$", name)
            if m and any(re.fullmatch(rf"{m[1]}(-\d.*)?", p) for p in parts[:-1]):
                return name
        return None

    def _match(self, part: str) -> str | None:
        for cand in (part, re.sub(r"-\d[\w.+~-]*$", "", part)):
            n = _ALIASES.get(_normal(cand), _normal(cand))
            if n in self.names or (n.startswith("lodash") and "lodash" in self.names):
                return n
        return None


# Folders that hold other projects' code; a copy of a reserved package hides in them.
VENDOR_DIRS = frozenset({"node_modules", "bower_components", "vendor", "_vendor", "vendored",
                         "_vendored", "third_party", "thirdparty", "third-party", "extern",
                         "_extern", "externals", "gems"})
_ASSET_DIRS = frozenset({"static", "assets", "js", "lib", "libs", "public", "scripts"})
_ALIASES = {"attr": "attrs", "cattr": "cattrs"}  # import names that differ from the package's


def _normal(name: str) -> str:
    """PEP 503-style normal form, `_` and `.` as `-`, lower case; npm scope kept."""
    return re.sub(r"[-_.]+", "-", name.strip().lower())


# ----------------------------------------------------------------------------- licenses

_PERMISSIVE = tuple((re.compile(rf"\b({pat})\b", re.I), name) for pat, name in (
    (r"apache", "Apache-2.0"), (r"mit|expat|x11", "MIT"), (r"0bsd", "0BSD"), (r"bsd", "BSD"),
    (r"isc", "ISC"), (r"psf|python", "PSF"), (r"mpl|mozilla public", "MPL-2.0"),
    (r"zlib", "Zlib"), (r"unlicense", "Unlicense"), (r"cc0", "CC0-1.0"),
    (r"public[ -]domain", "public-domain"), (r"boost|bsl-1\.0", "BSL-1.0"), (r"hpnd", "HPND"),
    (r"wtfpl", "WTFPL"), (r"blueoak", "BlueOak-1.0.0"), (r"curl", "curl"),
    (r"zpl|zope public", "ZPL-2.1"),
))
_COPYLEFT = re.compile(r"\b(a?gpl|lgpl|gnu|eupl|cddl|epl|copyleft|sspl|busl|commons clause|"
                       r"cc-by-nc|cc-by-sa|proprietary|see license in|unlicensed)\b", re.I)


def classify_license(text: str) -> str | None:
    """A permissive license's short name for a declared license (an SPDX expression, a
    classifier, a Debian field), or None when it is not clearly permissive. In `A or B` one
    permissive choice is enough; in `A and B` every part must be permissive."""
    text = " ".join(text.replace("(", " ").replace(")", " ").split())
    if not text:
        return None
    alternatives = re.split(r"\s+or\s+|\s*/\s*|\s*\|\s*", text, flags=re.I)
    for alt in alternatives:
        parts = re.split(r"\s+and\s+|\s*;\s*", alt, flags=re.I)
        names = [_permissive_name(p) for p in parts if p.strip()]
        if names and all(names):
            return " AND ".join(dict.fromkeys(n for n in names if n))
    return None


def _permissive_name(part: str) -> str | None:
    low = part.lower()
    if _COPYLEFT.search(low) and not re.search(r"with (gcc|classpath|linking) exception", low):
        return None
    return next((name for pat, name in _PERMISSIVE if pat.search(low)), None)


def pypi_license(pkg_info: str) -> str:
    """License-Expression, else a short License field, else the license classifiers."""
    msg = HeaderParser().parsestr(pkg_info)
    expr = (msg.get("License-Expression") or "").strip()
    if expr:
        return expr
    field = (msg.get("License") or "").strip()
    if field and field.upper() != "UNKNOWN" and len(field) < 120:
        return field
    classifiers = [c.rsplit("::", 1)[-1].strip() for c in msg.get_all("Classifier") or []
                   if c.startswith("License ::") and "OSI Approved" != c.rsplit("::", 1)[-1]
                   .strip()]
    if classifiers:
        return " OR ".join(classifiers)
    return field.splitlines()[0][:120] if field else ""


def debian_license(copyright_: str) -> str:
    """The `License:` of the DEP-5 `Files: *` paragraph (else of the first one)."""
    first = ""
    for para in re.split(r"\n\s*\n", copyright_):
        files = re.search(r"^Files:\s*(.*)$", para, re.M)
        lic = re.search(r"^License:\s*(.*)$", para, re.M)
        if not files or not lic:
            continue
        first = first or lic[1].strip()
        if files[1].split() and files[1].split()[0] == "*":
            return lic[1].strip()
    return first
