"""The child process of onnx_backend: write a transformer as ONNX, export it with torch, or
quantise it.

`python -m nearcode.embed.onnx_export STEP SOURCE DEST`, STEP one of `build-fp32`, `build-int8`,
`build-int8r7` (SOURCE a BERT folder, bert_onnx.py, no torch), `export` (SOURCE any transformer
folder, with torch), `quantize` or `quantize-r7` (SOURCE an fp32 .onnx). Run apart from the
server so that the working memory of these steps never stays in its process.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from . import bert_onnx
from .base import ModelError, quiet_transformers
from .bert_onnx import OPSET  # the torch export and the direct writer make the same graphs


def build(folder: Path, dest: Path, recipe: str) -> None:
    """bert_onnx.build, then one run of the file on a padded batch, so that a file that does
    not run never reaches the cache."""
    bert_onnx.build(folder, dest, recipe)
    ids = np.array([[1, 5, 7, 2], [1, 6, 2, 0]], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": (ids != 0).astype(np.int64),
             "token_type_ids": np.zeros_like(ids)}
    session = ort.InferenceSession(str(dest), providers=["CPUExecutionProvider"])
    out = session.run(None, feeds)[0]  # (2, 4, hidden)
    if out.shape[:2] != ids.shape or not np.isfinite(out).all():
        raise ModelError(f"the ONNX model written from {folder} gives {out.shape}, not finite "
                         f"token embeddings of {ids.shape}")


def export(folder: Path, dest: Path) -> None:
    """The transformer of `folder` → ONNX at `dest` (token embeddings, dynamic batch and length),
    checked against torch on a padded batch of another length than the traced one."""
    try:
        import inspect

        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise ModelError(f"exporting to ONNX needs torch and transformers: {exc}") from exc

    quiet_transformers()
    # eager attention exports a plainer graph than sdpa, which ORT fuses and quantises better
    model = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()
    names = ["input_ids", "attention_mask"]
    if "token_type_ids" in inspect.signature(model.forward).parameters:
        names.append("token_type_ids")

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *args: Any) -> Any:
            return self.model(**dict(zip(names, args, strict=True))).last_hidden_state

    def dummy(batch: int, width: int) -> tuple[Any, ...]:
        ids = torch.randint(1000, 2000, (batch, width), generator=torch.Generator().manual_seed(0))
        mask = torch.ones(batch, width, dtype=torch.long)
        mask[-1, width // 2 :] = 0  # trace with padding so the mask path is part of the graph
        return (ids, mask, torch.zeros_like(ids))[: len(names)]

    wrapper = TokenEmbeddings().eval()  # export restores the mode it found: dropout off
    axes = {n: {0: "batch", 1: "sequence"} for n in [*names, "token_embeddings"]}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer and deprecation warnings, none actionable
        torch.onnx.export(
            wrapper, dummy(2, 16), str(dest), dynamo=False, opset_version=OPSET,
            input_names=names, output_names=["token_embeddings"], dynamic_axes=axes,
        )
        check = dummy(3, 23)
        expected = wrapper(*check).numpy()
    session = ort.InferenceSession(str(dest), providers=["CPUExecutionProvider"])
    got = session.run(None, {n: t.numpy() for n, t in zip(names, check, strict=True)})[0]
    valid = check[1].numpy().astype(bool)
    err = float(np.abs(got - expected)[valid].max())
    if err > 1e-3:
        raise ModelError(f"the ONNX export of {folder} disagrees with torch (max error {err:.2g})")


def quantize(src: Path, dest: Path, reduce_range: bool) -> None:
    try:
        from onnxruntime.quantization import (
            QuantType,
            quantize_dynamic,
        )
    except ImportError as exc:
        raise ModelError(f"int8 quantisation needs the onnx package: {exc}") from exc
    root = logging.getLogger()
    quiet = _DropFrom("onnxruntime")  # it logs ~40 lines per model on the root logger
    root.addFilter(quiet)
    try:
        # per-channel weights: per-tensor scales cost MiniLM ~0.05 of cosine agreement
        quantize_dynamic(src, dest, per_channel=True, reduce_range=reduce_range,
                         weight_type=QuantType.QInt8)
    finally:
        root.removeFilter(quiet)


class _DropFrom(logging.Filter):
    """Drops records logged from files under a package folder."""

    def __init__(self, package: str) -> None:
        super().__init__()
        self.part = f"{os.sep}{package}{os.sep}"

    def filter(self, record: logging.LogRecord) -> bool:
        return self.part not in record.pathname


def main(argv: Sequence[str]) -> None:
    """Run one step (`build-RECIPE`, `export`, `quantize`, `quantize-r7`), SOURCE to DEST."""
    step, source, dest = argv[0], Path(argv[1]), Path(argv[2])
    if step.startswith("build-"):
        build(source, dest, step.removeprefix("build-"))
    elif step == "export":
        export(source, dest)
    else:
        quantize(source, dest, reduce_range=step == "quantize-r7")


if __name__ == "__main__":
    main(sys.argv[1:])
