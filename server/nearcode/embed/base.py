"""Turn texts into unit-length vectors: the model behind every dense ranking.

`Embedder` is the protocol the rest of nearcode uses; its implementations are one per module:
`torch_backend.SentenceTransformerEmbedder` runs a sentence-transformers model folder on torch,
`onnx_backend.OnnxEmbedder` the same weights with ONNX Runtime, and `fake.FakeEmbedder` is a
deterministic bag-of-words hash for tests, whose similarities follow from its definition. All
return float32 rows of norm 1, so that cosine similarity is a dot product. `registry` resolves
which model a setting names (`ModelRef`) and builds its embedder.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import Unavailable

log = logging.getLogger(__name__)

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a model hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


# Texts are cut at this many tokens (keeping the start: the chunk header and the signature).
# Shorter is both faster and, for MiniLM on code, better: on the shared benchmark (ONNX int8)
# 128 tokens gave text -> code MRR@10 0.470 vs 0.452 at the model's 256, code -> code 0.965 vs
# 0.964, and indexed 1.27x faster; 96 tokens lost on code -> code (0.958), 64 on both.
MAX_TOKENS = 128


class Embedder(Protocol):
    """Anything that embeds texts. `model_id` names weights *and* numerics: two embedders with
    the same id must give interchangeable vectors (the store never mixes ids)."""

    model_id: str
    dim: int
    batch_size: int

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, each row of norm 1."""
        ...


class ModelError(Unavailable):
    """The model cannot be found or loaded."""


@dataclass(frozen=True)
class ModelRef:
    """A resolved model: a display name and the folder with its weights."""

    name: str
    folder: Path


def normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to norm 1 (zero rows stay zero), as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: np.ndarray = vectors / np.maximum(norms, 1e-12)
    return unit


def fingerprint(folder: Path) -> str:
    """A short hash of a model folder's weights and config, so retrained weights get a new id."""
    digest = hashlib.sha256()
    for name in ("config.json", "model.safetensors", "pytorch_model.bin", "model.onnx"):
        f = folder / name
        if f.is_file():
            digest.update(name.encode())
            with f.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:12]


def quiet_transformers() -> None:
    """No progress bars or advice on stderr when weights load (they would garble CLI output)."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    except ImportError:
        pass


def read_dim(folder: Path) -> int:
    import json

    pooling = folder / "1_Pooling" / "config.json"
    if pooling.is_file():
        config = json.loads(pooling.read_text())  # sentence-transformers 6 renamed the key
        return int(config.get("word_embedding_dimension") or config["embedding_dimension"])
    return int(json.loads((folder / "config.json").read_text())["hidden_size"])
