"""A deterministic stand-in for the model, for tests: a bag of word parts hashed to dimensions."""

from __future__ import annotations

import os
import re
import time
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
    runs_in_parallel = True  # no state: end-to-end tests take the parallel road of real models

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.model_id = f"fake-bow-{dim}"
        # seconds per text, as a real model takes: end-to-end tests of what happens while
        # embedding is under way (the lexical tier) set it for a server they start
        self.delay_s = float(os.environ.get("NEARCODE_FAKE_EMBED_DELAY_S", "0") or 0)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        if self.delay_s > 0:
            time.sleep(self.delay_s * len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in fake_tokens(text):
                out[i, zlib.crc32(word.encode()) % self.dim] += 1.0
        return normalize(out)
