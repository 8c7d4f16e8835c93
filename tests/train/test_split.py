"""Validation split: a deterministic, stratified partition of the training indices."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqbucket.errors import DataError
from seqbucket.train.split import stratified_split


@given(
    labels=st.lists(st.integers(0, 4), min_size=2, max_size=80),
    fraction=st.floats(0.05, 0.5),
    seed=st.integers(0, 10),
)
def test_partition_stratified_and_deterministic(labels, fraction, seed):
    labels = np.array(labels)
    if all(np.sum(labels == c) < 2 for c in np.unique(labels)):
        with pytest.raises(DataError):
            stratified_split(len(labels), fraction, labels=labels, seed=seed)
        return
    train, val = stratified_split(len(labels), fraction, labels=labels, seed=seed)
    # Invariant: train and val partition range(N).
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(len(labels)))
    # Invariant: every class with >= 2 examples keeps at least one in train and one in val.
    for c in np.unique(labels):
        n = int(np.sum(labels == c))
        in_val = int(np.sum(labels[val] == c))
        if n >= 2:
            assert 1 <= in_val <= n - 1
            assert abs(in_val - fraction * n) <= 1
        else:
            assert in_val == 0
    again = stratified_split(len(labels), fraction, labels=labels, seed=seed)
    assert np.array_equal(again[1], val)


def test_zero_fraction_keeps_everything_in_train():
    train, val = stratified_split(5, 0.0)
    assert train.tolist() == [0, 1, 2, 3, 4] and val.size == 0


def test_empty_training_data_is_an_error():
    with pytest.raises(DataError, match="empty training split"):
        stratified_split(0, 0.1)
