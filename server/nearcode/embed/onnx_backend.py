"""Run a sentence-transformers model with ONNX Runtime: the fast CPU path of `Embedder`.

The model folder's transformer is written as ONNX once, in a child process (onnx_export.py): a
BERT encoder (nearcode's models, all-MiniLM-L6-v2 and those trained from them) from its weights
by bert_onnx.py, without torch, directly in the variant asked for; any other transformer is
exported with torch and, for the default int8 variant, quantised by onnxruntime. Both give the
same dynamic int8 quantisation (weights per output channel, activations per run) and, for BERT,
the same file contents numerically. The files are cached under `<cache>/onnx/<fingerprint>/`,
written under a temporary name and renamed, with a file lock so that two processes never
export at once.
Inference needs only onnxruntime, tokenizers and numpy: tokenize (truncating at the model's
max_seq_length from the end, so a chunk's header and start survive), run each text alone (so its
vector depends on it alone: an index does not depend on its history), mean-pool, normalise.

Quantisation recipe: on x86 without VNNI the u8×s8 kernels may saturate, so weights are reduced
to 7 bits there (`int8r7`, a little less accurate); the recipe is part of `model_id`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from ..config import cache_dir
from . import bert_onnx
from .base import (
    MAX_TOKENS,
    ModelError,
    ModelRef,
    fingerprint,
    normalize,
    read_dim,
)

log = logging.getLogger(__name__)

EXPORT_VERSION = 1  # bump when the export or quantisation recipe changes numerics


class OnnxEmbedder:
    """A sentence-transformers model folder on ONNX Runtime (fp32 or dynamic int8).

    Construct with `for_model`. The files are exported on first use (`load()` or the first
    `embed_batch`), which takes seconds once per model and machine; later processes reuse them.
    """

    # session.run, and the tokenizer (set up once, never changed after), take calls from two
    # threads at once (search/retrieval.py embeds completion context's two queries so)
    runs_in_parallel = True

    def __init__(self, folder: Path, name: str, quantized: bool = True) -> None:
        self.folder = folder
        # Each text runs alone: dynamic int8 scales activations per run, so in a batch a text's
        # vector depended on its neighbours (cosine 0.990 at worst, 16 per batch) and an index
        # on its history. Alone, nothing is padded: 400 stdlib chunks, 2 cores, against batches
        # of 16: CPU time 0.90x, wall 1.02x (5 pairs), peak memory 126 MB instead of 219.
        self.batch_size = 1
        self.quantized = quantized
        self.transformer_folder = _transformer_folder(folder)
        self.max_seq_length = min(_max_seq_length(folder, self.transformer_folder), MAX_TOKENS)
        self.pooling = _pooling_mode(folder)
        self.dim = read_dim(folder)
        self.fingerprint = fingerprint(self.transformer_folder)
        self.variant = _int8_recipe() if quantized else "fp32"
        # "-alone": int8 vectors of batches (before) differ from these, so indexes re-embed once
        self.model_id = (f"{name}@{self.fingerprint}/onnx-{self.variant}-{self.max_seq_length}t"
                         + ("-alone" if quantized else ""))
        self.cache = cache_dir() / "onnx" / self.fingerprint
        self._tokenizer: Tokenizer | None = None
        self._session: ort.InferenceSession | None = None
        self._inputs: set[str] = set()
        self._lock = threading.Lock()

    @classmethod
    def for_model(cls, ref: ModelRef, quantized: bool = True) -> OnnxEmbedder:
        """The embedder for `ref`; ModelError now if it clearly cannot work (no tokenizer.json,
        an unsupported pooling, or no exported file and no torch/onnx to export one)."""
        embedder = cls(Path(ref.folder), ref.name, quantized=quantized)
        if not (embedder.transformer_folder / "tokenizer.json").is_file():
            raise ModelError(f"{ref.folder} has no tokenizer.json (needed by the onnx backend)")
        if not embedder.model_path.is_file():
            needs = (("onnx",) if bert_onnx.supports(embedder.transformer_folder)
                     else ("torch", "transformers", "onnx"))
            missing = [m for m in needs if not _importable(m)]
            if missing:
                raise ModelError(f"exporting {ref.name} to ONNX needs {', '.join(missing)}")
        return embedder

    @property
    def model_path(self) -> Path:
        """The .onnx file this embedder runs."""
        return self.cache / f"model-{self.variant}-v{EXPORT_VERSION}.onnx"

    @property
    def fp32_path(self) -> Path:
        return self.cache / f"model-fp32-v{EXPORT_VERSION}.onnx"

    def load(self) -> None:
        """Export (once per machine) and open the model now rather than on first use."""
        with self._lock:
            if self._session is not None:
                return
            try:
                self._ensure_files()
                tokenizer = Tokenizer.from_file(str(self.transformer_folder / "tokenizer.json"))
                tokenizer.no_padding()  # tokenizer.json may pad to a fixed 128
                # direction right: keep the start, where the chunk header is
                tokenizer.enable_truncation(self.max_seq_length, direction="right")
                session = ort.InferenceSession(
                    str(self.model_path), _session_options(), providers=["CPUExecutionProvider"])
            except ModelError:
                raise
            except Exception as exc:
                raise ModelError(f"cannot load the ONNX model for {self.model_id}: {exc}; "
                                 "set backend = 'torch' to avoid it") from exc
            self._tokenizer = tokenizer
            self._inputs = {i.name for i in session.get_inputs()}
            self._session = session

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._session is None:
            self.load()
        assert self._tokenizer is not None and self._session is not None
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for row, encoding in enumerate(self._tokenizer.encode_batch(list(texts))):
            ids = np.array([encoding.ids], dtype=np.int64)  # (1, length): alone, no padding
            mask = np.ones_like(ids)
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feeds)[0]  # (1, length, hidden)
            out[row] = self._pool(hidden, mask)[0]
        return normalize(out)

    def _pool(self, hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self.pooling == "cls":
            return hidden[:, 0]
        weights = mask[..., None].astype(np.float32)  # (batch, width, 1)
        pooled: np.ndarray = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1),
                                                                         1e-9)
        return pooled

    # ------------------------------------------------------------------------- files

    def _ensure_files(self) -> None:
        """Export (and quantise) unless a finished file is there; one process at a time."""
        if self.model_path.is_file():
            return
        self.cache.mkdir(parents=True, exist_ok=True)
        with _file_lock(self.cache / ".lock"):
            if self.model_path.is_file():  # another process finished while we waited
                return
            for stale in self.cache.glob(".*.tmp*"):  # left by a killed export; we hold the lock
                stale.unlink(missing_ok=True)
            if bert_onnx.supports(self.transformer_folder):  # no torch: ~200 MB, not ~800
                log.info("writing %s as ONNX %s (once)", self.transformer_folder, self.variant)
                with _atomic(self.model_path) as tmp:
                    _in_child(f"build-{self.variant}", self.transformer_folder, tmp)
                return
            if not self.fp32_path.is_file():
                log.info("exporting %s to ONNX (once)", self.transformer_folder)
                with _atomic(self.fp32_path) as tmp:
                    _in_child("export", self.transformer_folder, tmp)
            if self.quantized:
                log.info("quantising %s to %s", self.fp32_path.name, self.variant)
                with _atomic(self.model_path) as tmp:
                    _in_child("quantize" if self.variant == "int8" else "quantize-r7",
                              self.fp32_path, tmp)


# ----------------------------------------------------------------------------- export


def _in_child(step: str, source: Path, dest: Path) -> None:
    """Build, export or quantise in a child process (onnx_export.py): torch (~1 GB) and the
    working memory of these steps never enter the server's process, which stays that of
    inference."""
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "nearcode.embed.onnx_export", step, str(source), str(dest)],
        capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ModelError(f"ONNX {step} of {source} failed: {tail}")


def _int8_recipe() -> str:
    """'int8', or 'int8r7' (7-bit weights) on x86 CPUs without VNNI, whose u8×s8 kernels can
    saturate."""
    if platform.machine().lower() not in ("x86_64", "amd64", "i386", "i686", "x86"):
        return "int8"
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "int8r7"
    return "int8" if ("avx512_vnni" in flags or "avx_vnni" in flags) else "int8r7"


# ----------------------------------------------------------------------------- helpers


def _session_options() -> ort.SessionOptions:
    options = ort.SessionOptions()
    options.intra_op_num_threads = _usable_cpus()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # torch may share the process: idle ORT threads must sleep, not spin
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return options


@contextlib.contextmanager
def _atomic(dest: Path) -> Iterator[Path]:
    """A temporary path next to `dest`, renamed onto it only if the block succeeds."""
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        yield tmp
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
        for extra in dest.parent.glob(f"{tmp.name}*"):  # external-data side files, if any
            extra.unlink(missing_ok=True)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (and threads); a no-op where fcntl is missing, where
    the atomic rename still keeps every file whole."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _usable_cpus() -> int:
    """CPUs this process may run on (taskset, containers), else os.cpu_count()."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _transformer_folder(folder: Path) -> Path:
    """Where the transformer's weights and tokenizer are (modules.json may put them in a
    subfolder); the model folder itself otherwise."""
    try:
        modules = json.loads((folder / "modules.json").read_text())
    except (OSError, ValueError):
        modules = []
    for module in modules if isinstance(modules, list) else []:
        if str(module.get("type", "")).endswith("Transformer"):
            return folder / str(module.get("path", ""))
    return folder


def _max_seq_length(folder: Path, transformer: Path) -> int:
    """sentence_bert_config.json's max_seq_length (sentence-transformers < 6 writes it there),
    else the tokenizer's model_max_length (6.x), capped by the position embeddings."""
    limit = int(_read_json(transformer / "config.json").get("max_position_embeddings", 512))
    for config, key in ((transformer / "sentence_bert_config.json", "max_seq_length"),
                        (folder / "sentence_bert_config.json", "max_seq_length"),
                        (transformer / "tokenizer_config.json", "model_max_length")):
        value = _read_json(config).get(key)
        if isinstance(value, int) and value > 0:
            return min(value, limit)
    return limit


def _pooling_mode(folder: Path) -> str:
    """'mean' or 'cls' from 1_Pooling/config.json (either sentence-transformers layout)."""
    config = _read_json(folder / "1_Pooling" / "config.json")
    mode = config.get("pooling_mode")  # sentence-transformers 6: one string
    if mode is None:  # older: one boolean per mode
        on = sorted(k for k, v in config.items() if k.startswith("pooling_mode_") and v is True)
        mode = {(): "mean", ("pooling_mode_mean_tokens",): "mean",
                ("pooling_mode_cls_token",): "cls"}.get(tuple(on), ",".join(on))
    if mode not in ("mean", "cls"):
        raise ModelError(f"the onnx backend supports mean or cls pooling, not {mode!r}")
    return str(mode)
