"""Run a sentence-transformers model folder on torch (the reference backend; ONNX is faster)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .base import MAX_TOKENS, ModelError, fingerprint, normalize, quiet_transformers, read_dim

log = logging.getLogger(__name__)


class SentenceTransformerEmbedder:
    """A sentence-transformers model folder on torch, loaded on first use (offline)."""

    def __init__(self, folder: Path, name: str | None = None, batch_size: int = 32) -> None:
        if not (folder / "config.json").is_file():
            raise ModelError(f"no model in {folder} (config.json missing)")
        self.folder = folder
        self.batch_size = batch_size
        self.model_id = f"{name or folder.name}@{fingerprint(folder)}/torch-{MAX_TOKENS}t"
        self.dim = read_dim(folder)
        self._model: Any = None  # a SentenceTransformer, loaded on first use
        self._lock = threading.Lock()

    @property
    def model(self):  # type: ignore[no-untyped-def]
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                quiet_transformers()
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
