"""The model being trained, as the rest of training sees it: loaded from a folder, wrapped as an
`Embedder` for evaluation between stages, and its loss measured without gradients."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..embed import registry
from ..embed.base import MAX_TOKENS, ModelRef, normalize, quiet_transformers

SCALE = 20.0  # 1 / temperature of the in-batch softmax


class ModelEmbedder:
    """An in-memory SentenceTransformer as an `Embedder` (for evaluation between steps)."""

    def __init__(self, model: Any, model_id: str, batch_size: int = 32) -> None:
        self.model = model
        self.model_id = model_id
        self.dim = int(model.get_embedding_dimension())
        self.batch_size = batch_size

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.model.encode(list(texts), batch_size=self.batch_size,
                                    convert_to_numpy=True, show_progress_bar=False)
        return normalize(vectors)


def symmetric_loss(embedder: ModelEmbedder, texts: Sequence[str], codes: Sequence[str]) -> float:
    """The training objective on one batch, without gradients: mean of the text→code and
    code→text cross-entropies over scaled cosine similarities."""
    t = embedder.embed_batch(texts)  # (n, dim), rows of norm 1
    c = embedder.embed_batch(codes)  # (n, dim)
    logits = SCALE * (t @ c.T)  # (n, n); the right answers lie on the diagonal

    def xent(m: np.ndarray) -> float:
        m = m - m.max(axis=1, keepdims=True)
        logp = m - np.log(np.exp(m).sum(axis=1, keepdims=True))
        return float(-np.mean(np.diag(logp)))

    return (xent(logits) + xent(logits.T)) / 2


def resolve_start(spec: str) -> ModelRef:
    """The model a run starts from: 'shipped' (nearcode's code model), 'base'
    (all-MiniLM-L6-v2), 'active' (what `default` means now) or a trained model / folder."""
    if spec == "shipped":
        return registry.shipped_model()
    if spec == "base":
        return registry.base_model()
    if spec == "active":
        return registry.resolve("default")
    return registry.resolve(spec)


def load_model(folder: Path) -> Any:
    from sentence_transformers import SentenceTransformer

    quiet_transformers()
    model = SentenceTransformer(str(folder), device="cpu")
    # train and evaluate on what search embeds: texts cut at MAX_TOKENS (also faster)
    model.max_seq_length = min(model.max_seq_length or MAX_TOKENS, MAX_TOKENS)
    return model
