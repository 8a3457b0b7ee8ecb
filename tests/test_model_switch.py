"""A running workspace (the server's) picks up a newly activated model on its next sync."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from nearcode.app.workspace import Workspace
from nearcode.cli import main
from nearcode.config import Settings
from nearcode.embed import registry


def test_reload_model_if_changed(tmp_path: Path, isolated_cache: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    ws = Workspace([root], Settings(backend="torch"))
    base_id = ws.embedder.model_id
    assert base_id.startswith(registry.SHIPPED_MODEL_NAME + "@")  # the default
    assert ws.reload_model_if_changed() is False  # nothing changed

    # a "trained" model: a copy of the base model's folder with a different config (new fingerprint)
    trained = registry.models_dir() / "mine"
    shutil.copytree(registry.base_model().folder, trained)
    config = json.loads((trained / "config.json").read_text())
    config["nearcode_note"] = "trained"
    (trained / "config.json").write_text(json.dumps(config))
    registry.set_active("mine")

    assert ws.reload_model_if_changed() is True
    assert ws.embedder.model_id.startswith("mine@") and ws.embedder.model_id != base_id
    assert ws.retriever.embedder is ws.embedder
    assert all(f.indexer.embedder is ws.embedder for f in ws.folders)
    registry.set_active(None)
    assert ws.reload_model_if_changed() is True
    assert ws.embedder.model_id == base_id
    ws.close()


def test_activation_is_per_workspace(tmp_path: Path, isolated_cache: Path) -> None:
    """A model activated for one workspace (what `nearcode train` does) is what `default`
    means there and in its subfolders, not in another workspace; only --global reaches those."""
    trained = registry.models_dir() / "mine"
    trained.mkdir(parents=True)
    (trained / "config.json").write_text("{}")
    here, there = tmp_path / "here", tmp_path / "there"
    (here / "sub").mkdir(parents=True)
    there.mkdir()
    registry.set_active("mine", here)
    assert registry.active_name(here) == "mine" and registry.active_name(here / "sub") == "mine"
    assert registry.active_name(there) is None and registry.active_name() is None
    assert registry.resolve("default", here).folder == trained
    assert registry.resolve("default", there).name == registry.SHIPPED_MODEL_NAME
    stored = json.loads((registry.models_dir() / registry.ACTIVATIONS).read_text())
    assert stored == {"global": None, "workspaces": {str(here.resolve()): "mine"}}

    registry.set_active("mine")  # --global
    assert registry.active_name(there) == "mine"
    registry.set_active(None, there)  # `models use base` there: pinned to the base model
    assert registry.active_name(there) is None and registry.active_name(here) == "mine"
    assert registry.resolve("default", there).name == registry.BASE_MODEL_NAME
    assert registry.forget_workspace(there) and registry.active_name(there) == "mine"
    registry.set_active(registry.BASE)  # `models use base --global`
    assert registry.resolve("default", there).name == registry.BASE_MODEL_NAME
    assert registry.resolve("default", here).folder == trained  # its own choice comes first
    registry.set_active(None)  # `models use default --global`: the shipped model again
    assert registry.resolve("default", there).name == registry.SHIPPED_MODEL_NAME
    registry.set_active("mine")

    shutil.rmtree(trained)  # a model that is gone is no choice
    assert registry.active_name(here) is None
    (registry.models_dir() / registry.ACTIVATIONS).write_text("{not json")
    assert registry.active_name(here) is None  # unreadable: nothing active, no crash
    (registry.models_dir() / "ACTIVE").write_text("mine\n")  # older versions' global marker
    assert registry.active_name(there) is None


def test_a_running_workspace_follows_only_its_own_choice(
        tmp_path: Path, isolated_cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trained = registry.models_dir() / "mine"
    shutil.copytree(registry.base_model().folder, trained)
    config = json.loads((trained / "config.json").read_text())
    config["nearcode_note"] = "trained"
    (trained / "config.json").write_text(json.dumps(config))
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    (here / "a.py").write_text("def area(r):\n    return 3.14 * r * r\n")
    (here / "pyproject.toml").write_text('[tool.nearcode]\nbackend = "torch"\n')
    a = Workspace([here], Settings(backend="torch"))
    b = Workspace([there], Settings(backend="torch"))
    try:
        a.sync()
        chunks = a.counts()[1]
        assert chunks > 0
        # the switch says what it will cost
        assert main(["models", "use", "mine", "--root", str(here)]) == 0
        out = capsys.readouterr().out
        assert f"active model in {here.resolve()}: mine" in out
        assert f"its index holds {chunks} chunks of another model" in out
        assert b.reload_model_if_changed() is False
        assert a.reload_model_if_changed() is True and a.embedder.model_id.startswith("mine@")
        assert b.embedder.model_id.startswith(registry.SHIPPED_MODEL_NAME + "@")
        a.sync()
        assert a.folders[0].indexer.reason == (
            f"re-embedding with mine (the index held {registry.SHIPPED_MODEL_NAME}; {chunks} "
            "chunks to embed again)")
        assert main(["models", "use", "mine", "--root", str(here)]) == 0
        out = capsys.readouterr().out
        assert "embedded again" not in out and "note:" not in out  # nothing left to do
        (here / "pyproject.toml").write_text('[tool.nearcode]\nmodel = "base"\n')
        assert main(["models", "use", "mine", "--root", str(here)]) == 0
        assert "name the model 'base', which comes first" in capsys.readouterr().out
    finally:
        a.close()
        b.close()


def test_the_replaced_shipped_model_resolves_to_its_successor(
        isolated_cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A setting that names nearcode-code-v1 (no longer shipped) keeps working, and says so."""
    ref = registry.resolve("nearcode-code-v1")
    assert ref == registry.shipped_model() and ref.name == registry.SHIPPED_MODEL_NAME
    assert "nearcode-code-v1 was replaced by nearcode-code-v2" in caplog.text
    assert registry.resolve("shipped") == ref and registry.resolve("default") == ref
    assert registry.resolve("base").name == registry.BASE_MODEL_NAME
