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
import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ..config import cache_dir
from ..errors import Unavailable

log = logging.getLogger(__name__)

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


WEIGHT_FILES = ("config.json", "model.safetensors", "pytorch_model.bin", "model.onnx")
FINGERPRINTS_KEPT = 64
SETTLED_SECONDS = 2.0  # a file written this recently may still change within its mtime's tick


def fingerprint(folder: Path) -> str:
    """A short hash of a model folder's weights and config, so retrained weights get a new id.

    Remembered in the cache (fingerprints.json) by each file's identity: inode, size, mtime and
    ctime in ns. Hashing 45 MB of weights was a fifth of a CLI search alone (~110 ms of ~550);
    a file rewritten in place gets a new ctime, and files written in the last seconds are not
    remembered (git's "racy" rule: a second write in the same clock tick keeps the mtime)."""
    files = [(name, folder / name) for name in WEIGHT_FILES if (folder / name).is_file()]
    stats = [(name, f.stat()) for name, f in files]
    key = hashlib.sha256(json.dumps(
        [str(folder.resolve())] + [[name, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
                                   for name, st in stats]).encode()).hexdigest()[:24]
    memo = cache_dir() / "fingerprints.json"
    known = _read_memo(memo)
    if isinstance(known.get(key), str):
        return str(known[key])
    found = _digest(files)
    if all(time.time() - st.st_mtime > SETTLED_SECONDS for _, st in stats):
        known = {k: v for k, v in list(known.items())[-(FINGERPRINTS_KEPT - 1):] if k != key}
        _write_memo(memo, {**known, key: found})
    return found


def _digest(files: list[tuple[str, Path]]) -> str:
    digest = hashlib.sha256()
    for name, f in files:
        digest.update(name.encode())
        with f.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:12]


def _read_memo(path: Path) -> dict[str, object]:
    """The remembered fingerprints; none when the file is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_memo(path: Path, data: dict[str, object]) -> None:
    """Write the memo whole (another process may write it too: the last one wins, and a
    fingerprint missing from it is only hashed again); a cache that cannot be written is
    skipped."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        log.debug("fingerprints not remembered: %s", exc)


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
