"""The corpus build: fetched archives → license and reserved checks → mined, deduplicated shards.

Archives are made here from code written for the test and handed over by a fake fetcher, so
nothing touches the network.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from nearcode.train import corpus, corpus_shards
from nearcode.train import corpus_fetch as cf
from nearcode.train import corpus_rules as rules

PY_MODULE = '''\
def parse_http_response(raw, strict=True):
    """Parse a raw HTTP response into its status line, headers and body parts.

    Args:
        raw: the bytes received.
    """
    head, _, body = raw.partition(b"\\r\\n\\r\\n")
    lines = head.split(b"\\r\\n")
    status = lines[0].decode("ascii")
    headers = dict(line.split(b": ", 1) for line in lines[1:])
    return status, headers, body


def merge_interval_lists(first, second):
    ordered = sorted(first + second)
    merged = [ordered[0]]
    for start, end in ordered[1:]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
'''

PY_TEST = '''\
def test_parse_keeps_body():
    """The body after the blank line comes back untouched by the parser."""
    status, headers, body = parse_http_response(b"HTTP/1.1 200 OK\\r\\nA: b\\r\\n\\r\\nxyz")
    assert status == "HTTP/1.1 200 OK"
    assert headers == {b"A": b"b"}
    assert body == b"xyz"
'''

SHARED = '''\
def checksum_of_blocks(blocks, modulus=65521):
    """Compute an Adler-style rolling checksum over a sequence of byte blocks."""
    a, b = 1, 0
    for block in blocks:
        for byte in block:
            a = (a + byte) % modulus
            b = (b + a) % modulus
    return (b << 16) | a
'''

JS_MODULE = '''\
/**
 * Debounce a function so that it runs once the calls stop for the given delay.
 * @param {Function} fn the function to call
 */
export function debounceCalls(fn, delay) {
  let timer = null;
  return function (...args) {
    clearTimeout(timer);
    timer = setTimeout(() => fn.apply(this, args), delay);
  };
}
'''


def _tar(files: dict[str, str], top: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for rel, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{rel}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _sdist(name: str, license_: str, files: dict[str, str]) -> tuple[str, bytes]:
    pkg_info = f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\nLicense: {license_}\n"
    return f"{name}-1.0.tar.gz", _tar({"PKG-INFO": pkg_info, **files}, f"{name}-1.0")


def _npm(name: str, license_: str, files: dict[str, str]) -> tuple[str, bytes]:
    package_json = json.dumps({"name": name, "version": "1.0.0", "license": license_})
    return f"{name}-1.0.0.tgz", _tar({"package.json": package_json, **files}, "package")


class FakeFetch:
    """Hands out prepared archives by package name and counts the downloads."""

    def __init__(self, archives: dict[str, tuple[str, bytes]]) -> None:
        self.archives = archives
        self.calls: list[str] = []

    def __call__(self, entry: cf.Entry, dest: Path) -> Path:
        self.calls.append(entry.name)
        if entry.name not in self.archives:
            raise cf.CorpusError("no such package")
        filename, data = self.archives[entry.name]
        (dest / filename).write_bytes(data)
        return dest / filename


@pytest.fixture
def world(tmp_path: Path) -> tuple[list[cf.Entry], FakeFetch, rules.Reserved]:
    archives = {
        "httpkit": _sdist("httpkit", "MIT", {
            "httpkit/parse.py": PY_MODULE,
            "httpkit/blocks.py": SHARED,
            "tests/test_parse.py": PY_TEST,
            "httpkit/_vendor/click/core.py": SHARED.replace("checksum_of", "vendored_sum"),
        }),
        "forkkit": _sdist("forkkit", "BSD-3-Clause", {"forkkit/copy.py": SHARED}),
        "gplkit": _sdist("gplkit", "GPL-3.0-or-later", {"gplkit/a.py": PY_MODULE}),
        "brokenkit": ("brokenkit-1.0.tar.gz", b"this is not a tar archive"),
        "timing": _npm("timing", "(MIT OR Apache-2.0)", {
            "src/debounce.js": JS_MODULE,
            "dist/debounce.min.js": JS_MODULE,
            "node_modules/lodash/debounce.js": JS_MODULE,
            "node_modules/leftpad/index.js": JS_MODULE.replace("debounceCalls", "padLeft"),
        }),
    }
    entries = [
        cf.Entry("pypi", "httpkit", "1.0", "python"),
        cf.Entry("pypi", "brokenkit", "1.0", "python"),
        cf.Entry("npm", "lodash", "4.17.21", "javascript"),
        cf.Entry("pypi", "forkkit", "1.0", "python"),
        cf.Entry("pypi", "gplkit", "1.0", "python"),
        cf.Entry("npm", "timing", "1.0.0", "javascript"),
    ]
    reserved = rules.Reserved(frozenset({"click", "lodash", "golang-github-spf13-cobra",
                                      "rust-regex-syntax"}))
    return entries, FakeFetch(archives), reserved


def _shard(root: Path, entry: cf.Entry) -> list[dict[str, object]]:
    path = root / "pairs" / f"{entry.id}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_build_mines_checks_and_dedups(tmp_path: Path, world) -> None:
    entries, fetch, reserved = world
    root = tmp_path / "corpus"
    manifest = corpus.build(root, entries, reserved, workers=1, fetch=fetch)
    items = {p["name"]: p for p in manifest["packages"]}

    py = _shard(root, entries[0])
    kinds = {(r["kind"], r["language"], r["path"]) for r in py}
    assert ("docstring", "python", "httpkit/parse.py") in kinds
    assert ("name", "python", "httpkit/parse.py") in kinds  # merge_interval_lists
    assert ("test", "python", "tests/test_parse.py") in kinds
    assert all(set(r) >= {"text", "code", "kind", "language", "package", "path"} for r in py)
    assert not any("_vendor" in r["path"] for r in py)
    assert items["httpkit"]["dropped"]["reserved copy"] == 1
    assert items["httpkit"]["license"] == "MIT"

    assert items["lodash"]["status"] == "skipped" and "reserved" in items["lodash"]["reason"]
    assert "lodash" not in fetch.calls
    assert items["brokenkit"]["status"] == "failed"
    assert "bad archive" in items["brokenkit"]["reason"]
    assert items["gplkit"]["status"] == "skipped" and "license" in items["gplkit"]["reason"]

    # forkkit holds only a copy of httpkit's function: deduplicated away
    assert _shard(root, entries[3]) == []
    assert items["forkkit"]["dropped"]["duplicate of another package"] == 1

    js = _shard(root, entries[5])
    assert [(r["kind"], r["language"], r["path"]) for r in js] == \
        [("doc-comment", "javascript", "src/debounce.js")]
    assert js[0]["text"].startswith("Debounce a function")
    assert items["timing"]["dropped"]["vendored"] == 1
    assert items["timing"]["dropped"]["reserved copy"] == 1
    assert items["timing"]["dropped"]["build output"] == 1

    log = [json.loads(line) for line in (root / "log.jsonl").read_text().splitlines()]
    reasons = {(e["package"].split("-")[1], e.get("reason", "")) for e in log}
    assert ("brokenkit", items["brokenkit"]["reason"]) in reasons
    assert any(r.startswith("reserved copy") for _, r in reasons)


def test_rerun_resumes_done_packages(tmp_path: Path, world, monkeypatch) -> None:
    entries, fetch, reserved = world
    root = tmp_path / "corpus"
    first = corpus.build(root, entries, reserved, workers=1, fetch=fetch)
    calls = list(fetch.calls)

    def no_mining(*args: object, **kwargs: object) -> list[object]:
        raise AssertionError("a done package was mined again")

    monkeypatch.setattr(corpus, "mine_text", no_mining)
    second = corpus.build(root, entries, reserved, workers=1, fetch=fetch)
    # only the packages that did not finish are tried again
    assert fetch.calls[len(calls):] == ["brokenkit"]
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_split_and_load_pairs(tmp_path: Path, world) -> None:
    entries, fetch, reserved = world
    root = tmp_path / "corpus"
    copy = tmp_path / "manifest.json"
    manifest = corpus.build(root, entries, reserved, workers=1, fetch=fetch, manifest_copy=copy)
    assert copy.read_text() == (root / "manifest.json").read_text()
    splits = {p["name"]: p.get("split") for p in manifest["packages"]}
    assert {s for n, s in splits.items() if n in ("httpkit", "forkkit", "timing")} <= \
        {"train", "heldout"}
    train = corpus_shards.load_pairs(root, "train")
    held = corpus_shards.load_pairs(root, "heldout")
    assert not {p.path.split("/")[0] for p in train} & {p.path.split("/")[0] for p in held}
    everything = corpus_shards.load_pairs(root, "train") + corpus_shards.load_pairs(root, "heldout")
    assert {p.language for p in everything} == {"python", "javascript"}
    only_js = corpus_shards.load_pairs(root, "train", ["javascript"]) + \
        corpus_shards.load_pairs(root, "heldout", ["javascript"])
    assert [p.language for p in only_js] == ["javascript"]


def test_heldout_choice_is_per_language_and_stable() -> None:
    items = [{"registry": "pypi", "name": f"pkg{i}", "id": f"pypi-pkg{i}", "language": "python"}
             for i in range(40)]
    held = corpus.heldout_names(items)
    assert 2 <= len(held) <= 14
    more = items + [{"registry": "pypi", "name": f"new{i}", "id": f"pypi-new{i}",
                     "language": "python"} for i in range(10)]
    assert held <= corpus.heldout_names(more)  # adding packages never moves another
    few = [{"registry": "npm", "name": n, "id": n, "language": "go"} for n in "abcdef"]
    assert len(corpus.heldout_names(few)) >= 2


@pytest.mark.parametrize("declared, expected", [
    ("MIT", "MIT"), ("Expat", "MIT"), ("BSD-3-clause", "BSD"), ("Apache-2.0 OR MIT", "Apache-2.0"),
    ("License :: OSI Approved :: Python Software Foundation License", "PSF"),
    ("GPL-2+", None), ("LGPL-3.0", None), ("MIT AND GPL-3.0", None), ("GPL-3.0 OR MIT", "MIT"),
    ("SEE LICENSE IN LICENSE.md", None), ("", None), ("Limited commercial use", None),
    ("MPL-2.0", "MPL-2.0"), ("Apache License, Version 2.0", "Apache-2.0"), ("ZPL-2.1", "ZPL-2.1"),
])
def test_classify_license(declared: str, expected: str | None) -> None:
    assert rules.classify_license(declared) == expected


def test_reserved_names_and_vendored_paths() -> None:
    reserved = rules.Reserved(frozenset({"click", "lodash", "golang-github-spf13-cobra",
                                      "rust-regex-syntax", "more-itertools"}))
    assert reserved.refuses(cf.Entry("npm", "lodash.debounce", "4.0.8", "javascript"))
    assert reserved.refuses(cf.Entry("npm", "@types/lodash", "4.0.0", "typescript"))
    assert reserved.refuses(cf.Entry("debian", "librust-regex-syntax-dev", "0.6.28-1", "rust"))
    assert reserved.refuses(cf.Entry("debian", "golang-github-spf13-cobra-dev", "1.6.1-1", "go"))
    assert reserved.refuses(cf.Entry("pypi", "More_Itertools", "10.0", "python"))
    assert reserved.refuses(cf.Entry("debian", "foo-dev", "1", "go"), source="rust-regex-syntax")
    assert not reserved.refuses(cf.Entry("pypi", "requests", "2.32.3", "python"))
    assert reserved.vendored_copy("pip/_vendor/click/core.py")
    assert reserved.vendored_copy("docker/vendor/github.com/spf13/cobra/command.go")
    assert reserved.vendored_copy("regex-syntax-0.6.28/src/lib.rs")
    assert reserved.vendored_copy("setuptools/_vendor/more_itertools/more.py")
    assert reserved.vendored_copy("node_modules/lodash-es/map.js")
    assert not reserved.vendored_copy("regex-1.7.1/src/lib.rs")
    assert reserved.vendored_copy("static/lodash.min.js")
    assert reserved.vendored_copy("click/core.py")  # a wheel of it under another name
    assert reserved.vendored_copy("3.1.0/gems/click-1.0/lib/x.rb")
    assert not reserved.vendored_copy("pandas/core/arrays/click/array.py")
    assert not reserved.vendored_copy("trpc/src/adapters/lodash.ts")
    assert not reserved.vendored_copy("requests/api.py")
    assert not reserved.vendored_copy("pygments/lexers/click.py")  # a module, not a copy


def test_load_entries(tmp_path: Path) -> None:
    path = tmp_path / "packages.toml"
    path.write_text('[[package]]\nregistry = "debian"\nname = "librust-serde-dev"\n'
                    'version = "1.0.152-2"\n\n[[package]]\nregistry = "npm"\nname = "@a/b"\n'
                    'version = "1.0.0"\nlanguage = "typescript"\n')
    entries = cf.load_entries(path)
    assert [(e.language, e.id) for e in entries] == [
        ("rust", "debian-librust-serde-dev-1.0.152-2"), ("typescript", "npm-a__b-1.0.0")]
    path.write_text('[[package]]\nregistry = "cran"\nname = "x"\nversion = "1"\n')
    with pytest.raises(cf.CorpusError):
        cf.load_entries(path)
