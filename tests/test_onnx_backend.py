"""The ONNX Runtime backend with the real all-MiniLM-L6-v2: it agrees with torch on real code
chunks, keeps the input order through length bucketing, truncates from the end, writes its files
once per cache (without torch, the very numbers of torch's export and onnxruntime's quantiser)
and is what `backend = "onnx"` / `"auto"` load."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from nearcode.code.chunking import chunk_text  # noqa: E402
from nearcode.config import Settings  # noqa: E402
from nearcode.embed import bert_onnx, onnx_backend, registry  # noqa: E402
from nearcode.embed.base import MAX_TOKENS, ModelError  # noqa: E402
from nearcode.embed.onnx_backend import OnnxEmbedder  # noqa: E402
from nearcode.embed.torch_backend import SentenceTransformerEmbedder  # noqa: E402
from nearcode.index.indexer import Indexer  # noqa: E402
from nearcode.search.retrieval import Retriever, Source  # noqa: E402
from nearcode.store.sqlite import Store  # noqa: E402

pytestmark = pytest.mark.slow

STDLIB = Path(sysconfig.get_paths()["stdlib"])
MODULES = ["json/decoder.py", "json/encoder.py", "textwrap.py", "bisect.py"]


@dataclass
class Exported:
    cache: Path
    fp32: OnnxEmbedder
    int8: OnnxEmbedder
    torch: SentenceTransformerEmbedder
    texts: list[str]
    reference: np.ndarray  # torch vectors of `texts`
    fp32_vectors: np.ndarray  # and onnx fp32's


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exported]:
    """The base model written as ONNX (fp32 and int8) into a cache shared by this file's tests,
    and torch's vectors of real stdlib chunks to compare with."""
    cache = tmp_path_factory.mktemp("onnx-cache")
    texts = [c.embed_text for m in MODULES
             for c in chunk_text((STDLIB / m).read_text(), "python", m)]
    ref = registry.base_model()
    with pytest.MonkeyPatch.context() as mp:  # session scope: the autouse fixture is not up yet
        mp.setenv("NEARCODE_CACHE_DIR", str(cache))
        fp32 = OnnxEmbedder.for_model(ref, quantized=False)
        int8 = OnnxEmbedder.for_model(ref, quantized=True)
        fp32.load()
        int8.load()
        torch = SentenceTransformerEmbedder(ref.folder, ref.name)
        yield Exported(cache, fp32, int8, torch, texts, torch.embed_batch(texts),
                       fp32.embed_batch(texts))


@pytest.fixture
def shared_cache(exported: Exported, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test sees the session's exported files."""
    monkeypatch.setenv("NEARCODE_CACHE_DIR", str(exported.cache))
    return exported.cache


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


def test_the_chunks_include_long_ones(exported: Exported) -> None:
    tokenizer = exported.fp32._tokenizer
    assert tokenizer is not None
    lengths = [len(e.ids) for e in tokenizer.encode_batch(exported.texts)]
    assert len(exported.texts) >= 40
    assert max(lengths) == exported.fp32.max_seq_length == MAX_TOKENS  # some are truncated
    assert min(lengths) < 64


def test_fp32_agrees_with_torch(exported: Exported) -> None:
    assert cosines(exported.fp32_vectors, exported.reference).min() >= 0.999


def test_int8_agrees_with_torch(exported: Exported) -> None:
    agreement = cosines(exported.int8.embed_batch(exported.texts), exported.reference)
    assert agreement.mean() >= 0.99
    assert agreement.min() >= 0.98


@pytest.mark.parametrize("variant", ["fp32", "int8"])
def test_rows_are_unit_float32(exported: Exported, variant: str) -> None:
    embedder = getattr(exported, variant)
    vectors = embedder.embed_batch(exported.texts[:10])
    assert vectors.dtype == np.float32 and vectors.shape == (10, embedder.dim) == (10, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed_batch([]).shape == (0, 384)


def test_order_survives_length_bucketing(exported: Exported) -> None:
    texts = exported.texts
    perm = list(range(len(texts)))
    random.Random(7).shuffle(perm)
    shuffled = exported.fp32.embed_batch([texts[i] for i in perm])
    assert np.allclose(shuffled, exported.fp32_vectors[perm], atol=1e-4)


def test_padding_does_not_change_a_row(exported: Exported) -> None:
    """A text embedded alone equals the same text in a batch padded to longer neighbours."""
    texts = [exported.texts[0], "x = 1", exported.texts[-1]]
    batch = exported.fp32.embed_batch(texts)
    alone = np.vstack([exported.fp32.embed_batch([t]) for t in texts])
    assert np.allclose(batch, alone, atol=1e-4)


def test_truncation_keeps_the_start(exported: Exported) -> None:
    head = "python function parse_config\ndef parse_config(path):\n    return load(path)\n"
    long = head + "\n".join(f"    value_{i} = compute({i})" for i in range(200))
    tail_changed = long + "\n".join(f"    other_{i} = 0" for i in range(50))
    head_changed = "rust struct Parser\n" + long
    vectors = exported.fp32.embed_batch([long, tail_changed, head_changed])
    assert vectors[0] @ vectors[1] > 0.9999  # the cut part is never seen
    assert vectors[0] @ vectors[2] < 0.999  # the start is


def test_model_ids_name_the_numerics(exported: Exported) -> None:
    ids = {exported.torch.model_id, exported.fp32.model_id, exported.int8.model_id}
    assert len(ids) == 3
    assert exported.fp32.model_id.endswith(f"/onnx-fp32-{MAX_TOKENS}t")
    assert "/onnx-int8" in exported.int8.model_id
    assert exported.int8.model_id.split("/")[0] == exported.torch.model_id.split("/")[0]


def test_a_second_embedder_reuses_the_cache(shared_cache: Path, exported: Exported,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    files = sorted((shared_cache / "onnx").glob("*/*.onnx"))
    assert [f.name for f in files] == ["model-fp32-v1.onnx",
                                       f"model-{exported.int8.variant}-v1.onnx"]
    before = {f: f.stat().st_mtime_ns for f in files}

    def no_export(*args: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_backend, "_in_child", no_export)
    again = OnnxEmbedder.for_model(registry.base_model(), quantized=True)
    assert again.model_path == exported.int8.model_path
    again.embed_batch(["def f(): pass"])
    assert {f: f.stat().st_mtime_ns for f in files} == before


def test_lazy_loading_is_thread_safe(shared_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    real = onnx_backend.ort.InferenceSession

    def counting(path: str, *args: object, **kwargs: object) -> object:
        opened.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(onnx_backend.ort, "InferenceSession", counting)
    embedder = OnnxEmbedder.for_model(registry.base_model(), quantized=False)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(embedder.embed_batch, [["def f(): pass"]] * 4))
    assert len(opened) == 1
    assert all(np.allclose(r, results[0], atol=1e-6) for r in results)


@pytest.mark.parametrize("torch_path", [False, True])
def test_a_failed_step_leaves_no_file(exported: Exported, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch, torch_path: bool) -> None:
    """A killed build (or, for other transformers, quantisation) leaves no file behind but the
    finished fp32 export it started from."""
    monkeypatch.setenv("NEARCODE_CACHE_DIR", str(tmp_path))
    embedder = OnnxEmbedder.for_model(registry.base_model(), quantized=True)
    embedder.cache.mkdir(parents=True)
    left = [".lock"]
    if torch_path:
        monkeypatch.setattr(onnx_backend.bert_onnx, "supports", lambda folder: False)
        os.link(exported.fp32.model_path, embedder.fp32_path)  # skip the slow export
        left.append("model-fp32-v1.onnx")
    (embedder.cache / ".model-int8-v1.onnx.999.1.tmp").write_bytes(b"left by a killed run")

    def crash(step: str, src: Path, dest: Path) -> None:
        assert step.startswith("quantize" if torch_path else "build-")
        dest.write_bytes(b"half a model")
        raise RuntimeError("killed")

    monkeypatch.setattr(onnx_backend, "_in_child", crash)
    with pytest.raises(ModelError, match="killed"):
        embedder.embed_batch(["def f(): pass"])
    assert sorted(p.name for p in embedder.cache.iterdir()) == left


def test_load_embedder_picks_onnx(shared_cache: Path) -> None:
    onnx = registry.load_embedder(Settings(backend="onnx"))
    auto = registry.load_embedder(Settings(backend="auto"))
    fp32 = registry.load_embedder(Settings(backend="onnx-fp32"))
    assert isinstance(onnx, OnnxEmbedder) and onnx.quantized
    assert isinstance(auto, OnnxEmbedder) and auto.model_id == onnx.model_id
    assert isinstance(fp32, OnnxEmbedder) and fp32.model_id.endswith(f"/onnx-fp32-{MAX_TOKENS}t")
    assert isinstance(registry.load_embedder(Settings(backend="torch")),
                      SentenceTransformerEmbedder)


def test_auto_falls_back_to_torch_when_export_is_impossible(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(onnx_backend, "_importable", lambda module: False)
    with pytest.raises(ModelError, match="needs onnx"):
        registry.load_embedder(Settings(backend="onnx"))
    assert isinstance(registry.load_embedder(Settings(backend="auto")),
                      SentenceTransformerEmbedder)


def test_queries_run_without_torch(shared_cache: Path) -> None:
    """With the files exported, embedding imports neither torch nor transformers."""
    code = (
        "import sys\n"
        "from nearcode.embed import registry\n"
        "from nearcode.embed.onnx_backend import OnnxEmbedder\n"
        "v = OnnxEmbedder.for_model(registry.base_model()).embed_batch(['def f(): pass'])\n"
        "assert v.shape == (1, 384), v.shape\n"
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "NEARCODE_CACHE_DIR": str(shared_cache)},
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# ----------------------------------------------------------------------------- the build


def test_the_build_gives_the_numbers_of_torch_and_onnxruntime(
        exported: Exported, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """bert_onnx writes what torch.onnx.export and onnxruntime's quantize_dynamic wrote before
    it: the same vectors, bit for bit, in both variants, and the same padded batch."""
    pytest.importorskip("torch")
    monkeypatch.setenv("NEARCODE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(onnx_backend.bert_onnx, "supports", lambda folder: False)
    ref = registry.base_model()
    for built in (exported.fp32, exported.int8):
        old = OnnxEmbedder.for_model(ref, quantized=built.quantized)
        old.load()
        assert old.model_path.parent == tmp_path / "onnx" / built.fingerprint
        assert np.array_equal(old.embed_batch(exported.texts), built.embed_batch(exported.texts))
        ids = np.array([[101, 2000, 3000, 4000, 102], [101, 5000, 102, 0, 0]], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": (ids != 0).astype(np.int64),
                 "token_type_ids": np.zeros_like(ids)}
        assert old._session is not None and built._session is not None
        assert np.array_equal(old._session.run(None, feeds)[0],
                              built._session.run(None, feeds)[0])


def test_the_build_needs_neither_torch_nor_much_memory(tmp_path: Path) -> None:
    """The first-use build of the int8 file runs with torch and transformers unimportable, in
    well under the ~780 MB the torch export took (~200 MB on Linux)."""
    code = ("import sys\n"
            "sys.modules['torch'] = sys.modules['transformers'] = None  # import fails\n"
            "from nearcode.embed.onnx_export import main\n"
            "main(sys.argv[1:])\n"
            "if sys.platform.startswith('linux'):  # ru_maxrss would count pytest's, from fork\n"
            "    print(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])\n")
    folder = onnx_backend._transformer_folder(registry.shipped_model().folder)
    dest = tmp_path / "model.onnx"
    done = subprocess.run([sys.executable, "-c", code, "build-int8", str(folder), str(dest)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert dest.stat().st_size < 30 * 2**20  # int8: a quarter of the fp32 weights
    if sys.platform.startswith("linux"):  # peak RSS, KiB
        assert int(done.stdout.split()[-1]) < 350 * 1024


def test_only_bert_encoders_are_built(tmp_path: Path) -> None:
    folder = registry.base_model().folder
    assert bert_onnx.supports(folder)
    for name in ("model.safetensors", "config.json"):
        shutil.copy(folder / name, tmp_path / name)
    config = (tmp_path / "config.json").read_text()
    (tmp_path / "config.json").write_text(config.replace('"bert"', '"roberta"'))
    assert not bert_onnx.supports(tmp_path)  # exported with torch instead
    assert not bert_onnx.supports(tmp_path / "missing")


@pytest.mark.parametrize("reduced", [False, True])
def test_weights_are_quantised_as_onnxruntime_does(reduced: bool) -> None:
    from onnx import TensorProto
    from onnxruntime.quantization.quant_utils import quantize_data

    rng = np.random.default_rng(3)
    matrix = (rng.standard_normal((64, 40)) * rng.uniform(0.01, 2, 40)).astype(np.float32)
    matrix[:, 3] = 0  # a zero column: scale 1
    matrix[:, 4] = np.abs(matrix[:, 4])  # one sign only
    quantized, scales = bert_onnx.quantize_columns(matrix.copy(), reduced=reduced)
    for column in range(matrix.shape[1]):
        zero, scale, want = quantize_data(matrix[:, column], TensorProto.INT8, True,
                                          reduce_range=reduced)
        assert zero == 0 and scales[column] == scale
        assert np.array_equal(quantized[:, column], want)
    table = (rng.standard_normal((300, 16)) * 0.1 + 0.03).astype(np.float32)
    rows, scale, zero = bert_onnx.quantize_table(table.copy())
    want_zero, want_scale, want_rows = quantize_data(table.ravel(), TensorProto.UINT8, False)
    assert (scale, zero) == (want_scale, want_zero)
    assert np.array_equal(rows.ravel(), want_rows)


# ----------------------------------------------------------------------------- history


def test_a_text_alone_equals_the_same_text_in_any_batch(exported: Exported) -> None:
    """Dynamic int8 scales activations per run: each text runs alone, so its vector does not
    depend on its neighbours (it did, by up to 0.01 of cosine, in batches of 16)."""
    texts = exported.texts[:24]
    together = exported.int8.embed_batch(texts)
    alone = np.vstack([exported.int8.embed_batch([t]) for t in texts])
    reversed_ = exported.int8.embed_batch(texts[::-1])[::-1]
    assert np.array_equal(together, alone) and np.array_equal(together, reversed_)


def _chunk_vectors(store: Any) -> dict[tuple[str, int, int, str], np.ndarray]:
    rows = store.db.execute("SELECT c.id, f.path, c.start_line, c.end_line, c.hash FROM chunks c"
                            " JOIN files f ON f.id = c.file_id").fetchall()
    vectors = store.vectors_of([r[0] for r in rows])
    return {tuple(r[1:]): vectors[r[0]] for r in rows}


_FILES = ["a.py", "b.py", "pkg/c.py", "pkg/d.py", "pkg/deep/e.py", "f.py"]
_history_op = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(_FILES), st.lists(st.integers(0, 29), min_size=1,
                                                                   max_size=3)),
    st.tuples(st.just("delete"), st.sampled_from(_FILES)),
    st.tuples(st.just("rename"), st.sampled_from(_FILES), st.sampled_from(_FILES)),
    st.tuples(st.just("branch"), st.integers(0, 10**6)),  # many files change at once
    st.tuples(st.just("update"),),
    st.tuples(st.just("sync"),),
)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=st.lists(_history_op, min_size=3, max_size=10))
def test_incremental_index_equals_a_fresh_one_with_int8(
        shared_cache: Path, exported: Exported, tmp_path_factory: pytest.TempPathFactory,
        ops: list[tuple[Any, ...]]) -> None:
    """After edits, renames, deletes and branch switches, indexed one batch at a time, the index
    holds the very vectors (and gives the very search order) of one built fresh."""
    snippets = [t for t in exported.texts if 80 < len(t) < 900][:30]
    base = tmp_path_factory.mktemp("history")
    root = base / "ws"
    root.mkdir()
    indexer = Indexer(root, Store(base / "incremental.db"), exported.int8, Settings())
    indexer.sync()
    touched: set[str] = set()
    for op in ops:
        if op[0] == "write":
            (root / op[1]).parent.mkdir(parents=True, exist_ok=True)
            (root / op[1]).write_text("\n\n\n".join(snippets[i] for i in op[2]) + "\n")
            touched.add(op[1])
        elif op[0] == "delete" and (root / op[1]).exists():
            (root / op[1]).unlink()
            touched.add(op[1])
        elif op[0] == "rename" and (root / op[1]).exists() and op[1] != op[2]:
            (root / op[2]).parent.mkdir(parents=True, exist_ok=True)
            os.replace(root / op[1], root / op[2])
            touched |= {op[1], op[2]}
        elif op[0] == "branch":
            pick = random.Random(op[1])
            for name in _FILES:
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_text("\n\n\n".join(pick.sample(snippets, 2)) + "\n")
            indexer.sync()  # the watcher's storm of events becomes a full sync
            touched.clear()
        elif op[0] == "update":
            indexer.update(sorted(touched))
            touched.clear()
        elif op[0] == "sync":
            indexer.sync()
            touched.clear()
    indexer.update(sorted(touched))
    fresh = Indexer(root, Store(base / "fresh.db"), exported.int8, Settings())
    fresh.sync()
    got, want = _chunk_vectors(indexer.store), _chunk_vectors(fresh.store)
    assert got.keys() == want.keys()
    worst = max((float(np.abs(got[k] - want[k]).max()) for k in want), default=0.0)
    assert worst <= 1e-6, worst
    for query in ("wrap text to a width", "binary search insertion point", "decode JSON"):
        order = [[(h.path, h.start_line) for h in Retriever(
            [Source(root, ix.store)], exported.int8, Settings()).search(query, 10)]
            for ix in (indexer, fresh)]
        assert order[0] == order[1]
    indexer.store.close()
    fresh.store.close()
