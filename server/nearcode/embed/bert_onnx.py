"""Write a BERT encoder as ONNX from its safetensors with numpy and onnx alone: no torch.

The graph computes what `torch.onnx.export` traces from transformers' BertModel (eager
attention, opset 17) with the same operations in the same order: embeddings (word + token type,
+ position), LayerNorm, and per layer Q/K/V MatMul + bias, heads, QKᵀ × 1/√d + mask, Softmax,
·V, output MatMul + bias + residual, LayerNorm, MatMul + bias, exact gelu (Div √2, Erf, +1, ×x,
×0.5), MatMul + bias + residual, LayerNorm; only the mask is built more simply. For int8 the
MatMuls and Gathers are written as onnxruntime's `quantize_dynamic(per_channel=True,
weight_type=QInt8)` writes them: weights int8, symmetric per output column (7 bits with
`reduce_range`); embedding tables uint8, asymmetric per table; activations quantised per run by
DynamicQuantizeLinear. tests/test_onnx_backend.py checks that the vectors are those of torch's
export and onnxruntime's quantiser, bit for bit.

Why: the torch export peaked at ~776 MiB (torch and transformers ~390, the model 90, three
copies of the protobuf in the exporter 260) and the quantiser at ~480; this writes each tensor
once, one at a time: ~200 MiB for int8, ~360 for fp32 (bench/README.md, "Big repositories").
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np

OPSET = 17
IR_VERSION = 8  # what torch 2.x writes at opset 17; older onnxruntimes read it
RECIPES = ("fp32", "int8", "int8r7")
_DTYPES = {"F32": np.float32, "F16": np.float16}


def supports(folder: Path) -> bool:
    """Whether `build` can write the transformer in `folder`: a BERT encoder with absolute
    positions, exact gelu and fp32 or fp16 safetensors."""
    try:
        config = json.loads((folder / "config.json").read_text())
        header = _Weights(folder / "model.safetensors").header
    except (OSError, ValueError, struct.error):
        return False
    return (config.get("model_type") == "bert" and config.get("hidden_act") == "gelu"
            and config.get("position_embedding_type", "absolute") == "absolute"
            and not config.get("is_decoder", False)
            and all(v["dtype"] in _DTYPES for k, v in header.items() if k.endswith("weight")))


def build(folder: Path, dest: Path, recipe: str) -> None:
    """Write the encoder in `folder` to `dest`: inputs input_ids, attention_mask and
    token_type_ids (batch, sequence), output token_embeddings (batch, sequence, hidden).
    `recipe` is 'fp32', 'int8' or 'int8r7' (int8 with 7-bit weights)."""
    import onnx

    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}")
    config = json.loads((folder / "config.json").read_text())
    model = onnx.ModelProto(ir_version=IR_VERSION, producer_name="nearcode")
    model.opset_import.add(domain="", version=OPSET)
    # written straight into the model: each tensor is copied into it once, and freed here
    _Encoder(model.graph, _Weights(folder / "model.safetensors"), config, recipe)
    if recipe != "fp32":
        # the quantiser leaves onnx's inferred shapes in the file, with which onnxruntime fuses
        # each layer's second residual Add into SkipLayerNormalization (and not the first)
        model = onnx.shape_inference.infer_shapes(model)
    onnx.save_model(model, str(dest))


class _Weights:
    """Tensors of a safetensors file read one at a time (as float32), so that no more than one
    is in memory besides what the graph holds."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as fh:
            size = struct.unpack("<Q", fh.read(8))[0]
            self.header: dict[str, Any] = json.loads(fh.read(size))
        self.header.pop("__metadata__", None)
        self.start = 8 + size
        # BertModel's own names, or a task model's (bert.embeddings...)
        self.prefix = next((p for p in ("", "bert.")
                            if f"{p}embeddings.word_embeddings.weight" in self.header), "")

    def __call__(self, name: str) -> np.ndarray:
        entry = self.header[self.prefix + name]
        begin, end = entry["data_offsets"]
        with self.path.open("rb") as fh:
            fh.seek(self.start + begin)
            data = fh.read(end - begin)
        array = np.frombuffer(data, dtype=_DTYPES[entry["dtype"]]).reshape(entry["shape"])
        return array.astype(np.float32)  # fp16 → fp32 is exact, as torch loads it


class _Encoder:
    """Writes the nodes and initializers of one BERT encoder into `graph`, in graph order."""

    def __init__(self, graph: Any, weights: _Weights, config: dict[str, Any], recipe: str
                 ) -> None:
        import onnx

        self.onnx = onnx
        self.graph = graph
        self.weights = weights
        self.recipe = recipe
        self.quantized: dict[str, tuple[str, str, str]] = {}  # activation → its DynamicQuantize
        heads = int(config["num_attention_heads"])
        hidden = int(config["hidden_size"])
        eps = float(config.get("layer_norm_eps", 1e-12))
        axes = ["batch", "sequence"]
        names = ["input_ids", "attention_mask", "token_type_ids"]
        graph.name = "bert"
        graph.input.extend(onnx.helper.make_tensor_value_info(n, onnx.TensorProto.INT64, axes)
                           for n in names)
        graph.output.append(onnx.helper.make_tensor_value_info(
            "token_embeddings", onnx.TensorProto.FLOAT, [*axes, hidden]))

        ids, mask, types = names
        x = self.op("Add", self.embedding("embeddings.word_embeddings.weight", ids),
                    self.embedding("embeddings.token_type_embeddings.weight", types))
        # positions and head shapes computed from the input's shape, as torch traces them: the
        # shapes onnx infers then are torch's, and onnxruntime fuses the same nodes
        length = self.unsqueeze(self.dim(ids, 1))
        arange = np.arange(int(config["max_position_embeddings"]), dtype=np.int64)[None]
        positions = self.op("Slice", self.const(arange), self.ints(0), length, self.ints(1),
                            self.ints(1))
        x = self.op("Add", x, self.embedding("embeddings.position_embeddings.weight", positions))
        x = self.layer_norm(x, "embeddings.LayerNorm", eps)
        batch, sequence = self.unsqueeze(self.dim(x, 0)), self.unsqueeze(self.dim(x, 1))
        rest = self.ints(-1)
        self.split = self.op("Concat", batch, sequence, rest,
                             self.ints(hidden // heads), axis=0)
        self.merge = self.op("Concat", batch, sequence, rest, axis=0)
        # (batch, 1, 1, sequence): 0 where attended, float32's lowest where masked, as BertModel
        keep = self.op("Unsqueeze", self.op("Cast", mask, to=onnx.TensorProto.BOOL),
                       self.ints(1, 2))
        bias = self.op("Where", keep, self.const(np.float32(0)),
                       self.const(np.float32(np.finfo(np.float32).min)))
        for i in range(int(config["num_hidden_layers"])):
            x = self.layer(x, bias, f"encoder.layer.{i}", heads, hidden, eps)
        graph.node[-1].output[0] = "token_embeddings"

    # ------------------------------------------------------------------------- graph parts

    def layer(self, x: str, bias: str, name: str, heads: int, hidden: int, eps: float) -> str:
        q, k, v = (self.op("Reshape", self.linear(x, f"{name}.attention.self.{part}"), self.split)
                   for part in ("query", "key", "value"))
        q, v = (self.op("Transpose", t, perm=[0, 2, 1, 3]) for t in (q, v))
        scores = self.op("MatMul", q, self.op("Transpose", k, perm=[0, 2, 3, 1]))
        scale = self.const(np.float32((hidden // heads) ** -0.5))
        weights = self.op("Softmax", self.op("Add", self.op("Mul", scores, scale), bias), axis=-1)
        context = self.op("Transpose", self.op("MatMul", weights, v), perm=[0, 2, 1, 3])
        context = self.op("Reshape", context, self.merge)
        x = self.op("Add", self.linear(context, f"{name}.attention.output.dense"), x)
        x = self.layer_norm(x, f"{name}.attention.output.LayerNorm", eps)
        h = self.linear(x, f"{name}.intermediate.dense")
        erf = self.op("Erf", self.op("Div", h, self.const(np.float32(np.sqrt(2.0)))))
        h = self.op("Mul", self.op("Mul", h, self.op("Add", erf, self.const(np.float32(1)))),
                    self.const(np.float32(0.5)))
        x = self.op("Add", self.linear(h, f"{name}.output.dense"), x)
        return self.layer_norm(x, f"{name}.output.LayerNorm", eps)

    def layer_norm(self, x: str, name: str, eps: float) -> str:
        return self.op("LayerNormalization", x, self.weight(f"{name}.weight"),
                       self.weight(f"{name}.bias"), axis=-1, epsilon=eps)

    def linear(self, x: str, name: str) -> str:
        """x @ Wᵀ + b; int8: MatMulInteger of the quantised x and W, rescaled."""
        matrix = np.ascontiguousarray(self.weights(f"{name}.weight").T)  # (in, out)
        if self.recipe == "fp32":
            product = self.op("MatMul", x, self.const(matrix))
        else:
            xq, x_scale, x_zero = self.dynamic_quantize(x)
            wq, w_scale = quantize_columns(matrix, reduced=self.recipe == "int8r7")
            del matrix
            scales = self.op("Mul", x_scale, self.const(w_scale))
            integer = self.op("MatMulInteger", xq, self.const(wq), x_zero,
                              self.const(np.zeros(wq.shape[1], dtype=np.int8)))
            product = self.op("Mul", self.op("Cast", integer, to=self.onnx.TensorProto.FLOAT),
                              scales)
        return self.op("Add", self.weight(f"{name}.bias"), product)

    def embedding(self, name: str, ids: str) -> str:
        if self.recipe == "fp32":
            return self.op("Gather", self.weight(name), ids)
        table, scale, zero = quantize_table(self.weights(name))
        rows = self.op("Gather", self.const(table), ids)
        return self.op("DequantizeLinear", rows, self.const(scale), self.const(zero))

    def dynamic_quantize(self, x: str) -> tuple[str, str, str]:
        """One DynamicQuantizeLinear per activation, shared by the MatMuls reading it."""
        if x not in self.quantized:
            outputs = [f"{x}_quantized", f"{x}_scale", f"{x}_zero_point"]
            self.graph.node.append(self.onnx.helper.make_node("DynamicQuantizeLinear", [x],
                                                              outputs))
            self.quantized[x] = (outputs[0], outputs[1], outputs[2])
        return self.quantized[x]

    # ------------------------------------------------------------------------- helpers

    def dim(self, x: str, axis: int) -> str:
        return self.op("Gather", self.op("Shape", x), self.const(np.int64(axis)), axis=0)

    def ints(self, *values: int) -> str:
        return self.const(np.array(values, dtype=np.int64))

    def unsqueeze(self, scalar: str) -> str:
        return self.op("Unsqueeze", scalar, self.ints(0))

    def op(self, op_type: str, *inputs: str, **attrs: Any) -> str:
        out = f"{op_type}_{len(self.graph.node)}"
        self.graph.node.append(self.onnx.helper.make_node(op_type, list(inputs), [out], **attrs))
        return out

    def const(self, value: np.ndarray | np.generic) -> str:
        """An initializer made in place (from_array and append would copy it twice more)."""
        array = np.asarray(value)
        array = array.astype(array.dtype.newbyteorder("<"), copy=False)  # onnx's byte order
        tensor = self.graph.initializer.add()
        tensor.name = f"const_{len(self.graph.initializer)}"
        tensor.data_type = self.onnx.helper.np_dtype_to_tensor_dtype(array.dtype)
        tensor.dims.extend(array.shape)
        tensor.raw_data = array.tobytes()
        return str(tensor.name)

    def weight(self, name: str) -> str:
        return self.const(self.weights(name))


def quantize_columns(matrix: np.ndarray, reduced: bool) -> tuple[np.ndarray, np.ndarray]:
    """int8 weights and float32 scales per column (output channel) of an (in, out) matrix,
    symmetric, zero point 0, as onnxruntime's per-channel quantize_dynamic computes them:
    scale = 2·max|w| / 254 (128 with 7 bits) in float64, rounded to float32."""
    qmax = 64 if reduced else 127
    absmax = np.maximum(np.abs(np.minimum(matrix.min(axis=0), 0)),
                        np.maximum(matrix.max(axis=0), 0))
    exact = (absmax.astype(np.float64) * 2) / np.float64(2 * qmax)
    scale = np.where(exact < np.finfo(np.float32).tiny, 1.0, exact).astype(np.float32)
    return _clip(np.round(matrix / scale), -128, 127, np.int8), scale


def quantize_table(table: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """uint8 rows, scale and zero point of an embedding table, one pair for the whole table,
    asymmetric over [min(t, 0), max(t, 0)], as quantize_dynamic quantises a Gather's table."""
    low = np.float64(min(table.min(), np.float32(0)))
    high = np.float64(max(table.max(), np.float32(0)))
    exact = (high - low) / np.float64(255)
    if exact < np.finfo(np.float32).tiny:
        scale, zero = np.float32(1.0), np.uint8(0)
    else:
        scale, zero = np.float32(exact), np.uint8(np.round(0 - low / exact))
    scaled = np.divide(table, scale, out=table)  # in place: the table is a copy of its own
    np.round(scaled, out=scaled)
    scaled += np.float32(zero)
    return _clip(scaled, 0, 255, np.uint8), np.asarray(scale), np.asarray(zero)


def _clip(values: np.ndarray, low: int, high: int, dtype: type) -> np.ndarray:
    np.clip(values, low, high, out=values)
    return values.astype(dtype)
