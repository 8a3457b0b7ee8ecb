"""Turn texts into unit-length vectors: the model behind every dense ranking.

`Embedder` is the protocol the rest of nearcode uses. `SentenceTransformerEmbedder` runs a
sentence-transformers model folder on torch; `OnnxEmbedder` (see onnx_backend.py) runs the same
weights with ONNX Runtime; `FakeEmbedder` is a deterministic bag-of-words hash for tests, whose
similarities follow from its definition. All return float32 rows of norm 1, so that cosine
similarity is a dot product.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

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


class ModelError(RuntimeError):
    """The model cannot be found or loaded."""


def normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to norm 1 (zero rows stay zero), as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


_WORD = re.compile(r"[A-Za-z][a-z0-9]*|[A-Z]+(?![a-z])|\d+")


def fake_tokens(text: str) -> list[str]:
    """Lower-case word parts of `text` (identifiers split on case and underscores)."""
    return [w.lower() for w in _WORD.findall(text)]


class FakeEmbedder:
    """Deterministic stand-in for tests: each word part adds 1 to dimension crc32(word) % dim.

    Cosine similarity is therefore the overlap of word-part counts, and a test can derive the
    expected ranking from the texts alone.
    """

    batch_size = 64

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.model_id = f"fake-bow-{dim}"

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in fake_tokens(text):
                out[i, zlib.crc32(word.encode()) % self.dim] += 1.0
        return normalize(out)


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


class SentenceTransformerEmbedder:
    """A sentence-transformers model folder on torch, loaded on first use (offline)."""

    def __init__(self, folder: Path, name: str | None = None, batch_size: int = 32) -> None:
        if not (folder / "config.json").is_file():
            raise ModelError(f"no model in {folder} (config.json missing)")
        self.folder = folder
        self.batch_size = batch_size
        self.model_id = f"{name or folder.name}@{fingerprint(folder)}/torch-{MAX_TOKENS}t"
        self.dim = _read_dim(folder)
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):  # type: ignore[no-untyped-def]
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                _quiet_transformers()
                log.info("loading %s", self.folder)
                self._model = SentenceTransformer(str(self.folder), device="cpu")
                self._model.max_seq_length = min(self._model.max_seq_length, MAX_TOKENS)
            return self._model

    @property
    def max_seq_length(self) -> int:
        return int(self.model.max_seq_length)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # encode() sorts by length internally, so each batch pads to similar lengths; the
        # tokenizer truncates at max_seq_length from the end, keeping header and start.
        vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, convert_to_numpy=True,
            normalize_embeddings=False, show_progress_bar=False,
        )
        return normalize(vectors)


def _quiet_transformers() -> None:
    """No progress bars or advice on stderr when weights load (they would garble CLI output)."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except ImportError:
        pass


def _read_dim(folder: Path) -> int:
    import json

    pooling = folder / "1_Pooling" / "config.json"
    if pooling.is_file():
        config = json.loads(pooling.read_text())  # sentence-transformers 6 renamed the key
        return int(config.get("word_embedding_dimension") or config["embedding_dimension"])
    return int(json.loads((folder / "config.json").read_text())["hidden_size"])
