"""Pre-training: batches by package, the schedule, and a stopped run that resumes exactly."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from nearcode.train import pretrain

pytest.importorskip("sentence_transformers")


def _examples(groups: dict[str, int], language: str = "python") -> list[pretrain.Example]:
    return [pretrain.Example(f"describe {g} {i}", f"def {g}_{i}(): return {i}", g, language)
            for g, n in groups.items() for i in range(n)]


def test_batches_come_from_one_package_where_they_can() -> None:
    examples = _examples({"a": 9, "b": 8}) + _examples({"c": 3}, "go")
    batches = pretrain.plan_batches(examples, 4, seed=1)
    groups = [{examples[i].group for i in b} for b in batches]
    # a: 2 whole batches, b: 2; leftovers: python a(1) -> no whole batch; go c(3) -> none
    assert sorted(len(g) for g in groups) == [1, 1, 1, 1]
    assert Counter(g.pop() for g in groups) == {"a": 2, "b": 2}
    used = [i for b in batches for i in b]
    assert len(used) == len(set(used)) == 16


def test_leftovers_pool_per_language_and_duplicates_never_share_a_batch() -> None:
    examples = _examples({f"p{i}": 3 for i in range(4)})  # 12 pairs, no package fills a batch
    examples[0] = pretrain.Example(examples[1].text, "other", "p0", "python")  # same text
    batches = pretrain.plan_batches(examples, 4, seed=0)
    for b in batches:
        assert len({examples[i].text for i in b}) == 4
    assert 1 <= len(batches) <= 3


def test_schedule_warms_up_then_decays_to_zero() -> None:
    factors = [pretrain.lr_factor(s, 100, 0.1) for s in range(100)]
    assert factors[0] == pytest.approx(0.1) and factors[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(factors[9:], factors[10:], strict=False))
    assert factors[-1] == pytest.approx(1 / 90)


def _weights(folder: Path) -> dict[str, object]:
    from safetensors.torch import load_file

    return load_file(str(next(folder.rglob("model.safetensors"))))


def test_a_stopped_run_resumes_to_the_same_weights(tmp_path: Path) -> None:
    import torch

    examples = _examples({"a": 8, "b": 8})
    opts = pretrain.Options(batch_size=4, mini_batch_size=2, max_seq_length=24, steps=4,
                            checkpoint_minutes=1000)
    unbroken = pretrain.Run(tmp_path / "unbroken")
    unbroken.create(examples, opts)
    assert pretrain.train(unbroken)["step"] == 4
    stopped = pretrain.Run(tmp_path / "stopped")
    stopped.create(examples, opts)
    assert pretrain.train(stopped, until=2)["step"] == 2  # a stop, with a checkpoint
    resumed = pretrain.train(stopped)
    assert resumed["step"] == 4 and len(resumed["losses"]) == 4
    a, b = _weights(unbroken.checkpoint), _weights(stopped.checkpoint)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.allclose(a[key], b[key], atol=1e-6), key  # type: ignore[arg-type]
    assert resumed["losses"][:2] == pretrain.Run(tmp_path / "unbroken").state()["losses"][:2]
