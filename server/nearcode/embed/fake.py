"""A deterministic stand-in for the model, for tests: a bag of word parts hashed to dimensions."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np

from .base import normalize

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
