"""Training batches by topic: each batch of pairs drawn from one or two clusters of similar texts.

With in-batch negatives, a batch of random pairs from a whole repository teaches little: most
of its 63 wrong answers are about something else and easy to rule out. Grouping pairs whose
descriptions are alike (k-means over their embeddings) makes the wrong answers in a batch the
near misses a search must tell apart (TAS, Hofstätter et al. 2021: topic-aware sampling). It
costs one k-means over the training texts and nothing per step.
"""

from __future__ import annotations

import numpy as np


def topic_order(vectors: np.ndarray, batch_size: int, seed: int) -> list[int]:
    """Row indices of `vectors` (one per training pair, rows of norm 1) in training order:
    consecutive runs of `batch_size` are the batches. Rows are grouped by k-means cluster
    (n // batch_size clusters, so a batch holds one or two), the batches are put in a seeded
    random order, and the rows left over after the last whole batch are left out."""
    from sklearn.cluster import KMeans

    n = len(vectors)
    if n < batch_size:
        return []
    k = n // batch_size
    labels = KMeans(n_clusters=k, n_init=1, random_state=seed).fit_predict(vectors)
    rng = np.random.default_rng(seed)
    cluster_rank = rng.permutation(k)  # which cluster's tail is left over: seeded, not the last
    within = rng.random(n)  # a seeded order within each cluster
    order = sorted(range(n), key=lambda i: (int(cluster_rank[labels[i]]), float(within[i])))
    batches = [order[i : i + batch_size] for i in range(0, k * batch_size, batch_size)]
    return [i for b in rng.permutation(len(batches)) for i in batches[b]]
