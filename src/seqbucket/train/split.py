"""A deterministic, stratified validation split carved from the training data.

Model selection and early stopping look only at this split, so the test split stays untouched
until the final evaluation.
"""

from __future__ import annotations

import numpy as np

from seqbucket.errors import DataError


def stratified_split(
    num_examples: int,
    fraction: float,
    *,
    labels: np.ndarray | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Split ``range(num_examples)`` into (train, validation) index arrays.

    Args:
        num_examples: ``N``.
        fraction: share of examples for validation, in ``[0, 1)``. 0 gives an empty validation
            split.
        labels: ``(N,)`` int class ids. When given, each class gives ``round(fraction * n_c)``
            examples (at least one when ``n_c >= 2`` and ``fraction > 0``), so the split keeps the
            class balance; a class with one example stays in training.
        seed: the same seed always gives the same split.

    Returns:
        ``(train_idx, val_idx)``: sorted ``np.int64`` arrays that partition ``range(N)``.

    Raises:
        DataError: the training part would be empty, or ``fraction > 0`` yet the validation part
            is empty (too few examples).
    """
    if num_examples < 1:
        raise DataError("expected at least one training example, got an empty training split")
    rng = np.random.default_rng(seed)
    if fraction <= 0:
        return np.arange(num_examples, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if labels is None:
        groups = [np.arange(num_examples, dtype=np.int64)]
    else:
        labels = np.asarray(labels)
        groups = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    val_parts = []
    for group in groups:
        take = round(fraction * len(group))
        if len(group) >= 2:
            take = min(max(take, 1), len(group) - 1)
        else:
            take = 0
        val_parts.append(rng.permutation(group)[:take])
    val = np.sort(np.concatenate(val_parts)).astype(np.int64)
    train = np.setdiff1d(np.arange(num_examples, dtype=np.int64), val)
    if len(val) == 0:
        raise DataError(
            f"expected a non-empty validation split from val_fraction={fraction}, "
            f"got 0 of {num_examples} examples; raise --val-fraction or add data"
        )
    return train, val
