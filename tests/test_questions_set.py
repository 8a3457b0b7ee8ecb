"""The realistic-questions dev set (bench/questions) is well formed, offline: enough questions,
projects and languages; every answer a file, a symbol and a line span; no project the model saw
in training or that is reserved for evaluation."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QDIR = ROOT / "bench" / "questions"


def _questions() -> list[dict]:
    with open(QDIR / "questions.jsonl") as f:
        return [json.loads(line) for line in f if line.strip()]


def _projects() -> dict[str, dict]:
    with open(QDIR / "projects.toml", "rb") as f:
        return {p["id"]: p for p in tomllib.load(f)["project"]}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.strip().lower())


def _names(project: dict) -> set[str]:
    """Every name a project goes by: its id, its registry name, and for a Debian library
    package its source package's name (`librust-x-dev` -> `rust-x`, `golang-y-dev` ->
    `golang-y`)."""
    out = {_normal(project["id"]), _normal(project["name"])}
    name = project["name"]
    if project["registry"] == "debian":
        if name.startswith("librust-") and name.endswith("-dev"):
            out.add(_normal("rust-" + name[len("librust-"):-len("-dev")]))
        if name.endswith("-dev"):
            out.add(_normal(name[:-len("-dev")]))
    return out


def _listed(path: Path) -> set[str]:
    return {_normal(line.split("#", 1)[0]) for line in path.read_text().splitlines()
            if line.split("#", 1)[0].strip()}


def test_enough_questions_projects_and_languages() -> None:
    qs = _questions()
    projects = _projects()
    assert len(qs) >= 60
    assert len({q["project"] for q in qs}) >= 5
    assert len({q["language"] for q in qs}) >= 4
    per_project = {p: sum(q["project"] == p for q in qs) for p in projects}
    assert min(per_project.values()) >= 10, per_project


def test_every_question_is_complete_and_unique() -> None:
    qs = _questions()
    projects = _projects()
    assert len({q["id"] for q in qs}) == len(qs)
    texts = [re.sub(r"\W+", " ", q["question"]).strip().lower() for q in qs]
    assert len(set(texts)) == len(texts), "duplicate questions"
    for q in qs:
        assert q["project"] in projects, q["id"]
        assert q["language"] == projects[q["project"]]["language"], q["id"]
        assert q["question"].strip() and q["answers"], q["id"]
        for a in q["answers"]:
            assert set(a) >= {"path", "symbol", "start_line", "end_line"}, q["id"]
            assert a["path"] and not a["path"].startswith("/") and a["symbol"], q["id"]
            assert isinstance(a["start_line"], int) and isinstance(a["end_line"], int)
            assert 1 <= a["start_line"] <= a["end_line"], q["id"]


def test_projects_are_pinned_and_unseen() -> None:
    reserved = _listed(ROOT / "training" / "reserved.txt")
    shared = ROOT.parent / "shared" / "RESERVED.txt"
    if shared.exists():
        reserved |= _listed(shared)
    with open(ROOT / "training" / "packages.toml", "rb") as f:
        trained = {_normal(p["name"]) for p in tomllib.load(f)["package"]}
    for pid, p in _projects().items():
        assert p["registry"] in ("pypi", "npm", "debian"), pid
        assert re.fullmatch(r"[0-9a-f]{64}", p["sha256"]), pid
        assert p["version"] and p["license"] and p["archive"] and p["workspace"], pid
        assert not _names(p) & reserved, pid
        assert not _names(p) & trained, pid


def test_scorer_says_when_the_shared_benchmark_is_missing(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(QDIR / "score.py"), "--server", "none",
                           "--shared-bench", str(tmp_path / "nowhere")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "shared benchmark is not at" in proc.stderr


@pytest.mark.parametrize("name, nameless", [
    ("/**", True), ("# comment", True), ("", True), (None, True), ('"""Doc', True),
    ("parse_header", False), ("#shouldProxy", False), ("Context.trace", False)])
def test_nameless_hits_are_recognised(name: str | None, nameless: bool) -> None:
    sys.path.insert(0, str(QDIR))
    try:
        import score
    finally:
        sys.path.remove(str(QDIR))
    assert score.is_nameless(name) is nameless
