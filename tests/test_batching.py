"""Topic batches for training (batching.py): batches stay within groups of similar texts."""

from __future__ import annotations

import numpy as np
from nearcode.train.sampler import topic_order


def _groups(sizes: list[int], dim: int = 8, seed: int = 0) -> tuple[np.ndarray, list[int]]:
    """Unit vectors in tight groups around orthogonal directions, and each row's group."""
    rng = np.random.default_rng(seed)
    rows, group = [], []
    for g, size in enumerate(sizes):
        centre = np.eye(dim)[g]
        for _ in range(size):
            v = centre + 0.05 * rng.standard_normal(dim)
            rows.append(v / np.linalg.norm(v))
            group.append(g)
    return np.array(rows), group


def test_each_batch_is_one_group_when_there_is_a_group_per_batch() -> None:
    vectors, group = _groups([4] * 6)  # 24 rows, batches of 4: k = 6 clusters, the 6 groups
    order = topic_order(vectors, 4, seed=0)
    assert sorted(order) == list(range(24))
    batches = [order[i : i + 4] for i in range(0, 24, 4)]
    assert all(len({group[i] for i in b}) == 1 for b in batches)


def test_leftover_rows_are_dropped_and_none_repeats() -> None:
    vectors, _ = _groups([5, 6])  # 11 rows, batches of 4: two batches, 3 rows left out
    order = topic_order(vectors, 4, seed=1)
    assert len(order) == 8 and len(set(order)) == 8
    assert topic_order(vectors[:3], 4, seed=1) == []  # not one whole batch


def test_the_seed_fixes_the_order() -> None:
    vectors, _ = _groups([16, 16, 16, 16])
    assert topic_order(vectors, 8, seed=3) == topic_order(vectors, 8, seed=3)
    orders = {tuple(topic_order(vectors, 8, seed=s)) for s in range(4)}
    assert len(orders) > 1
