"""A running workspace (the server's) picks up a newly activated model on its next sync."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from nearcode.app.workspace import Workspace
from nearcode.config import Settings
from nearcode.embed import registry


def test_reload_model_if_changed(tmp_path: Path, isolated_cache: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    ws = Workspace([root], Settings(backend="torch"))
    base_id = ws.embedder.model_id
    assert base_id.startswith(registry.BASE_MODEL_NAME + "@")
    assert ws.reload_model_if_changed() is False  # nothing changed

    # a "trained" model: a copy of the base folder with a different config (new fingerprint)
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
