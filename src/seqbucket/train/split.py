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
        # Raising val_fraction cannot help here: a split needs two examples of one class (one
        # stays in training); a small fraction of a larger group always rounds up to one.
        why = (
            f"only {num_examples} example"
            if num_examples < 2
            else f"each of the {len(groups)} classes has a single example"
        )
        raise DataError(
            f"expected a validation split from val_fraction={fraction}, got none: {why}, and "
            "one must stay in training; pass --val-fraction 0 to train without validation, or "
            "add data"
        )
    return train, val
