"""SequenceDataset: ragged storage, free lengths, subsets and concatenation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqbucket.data import Example, SequenceDataset
from seqbucket.errors import DataError


def _features(lengths, f=3, seed=0):
    rng = np.random.default_rng(seed)
    xs = [rng.standard_normal((n, f)).astype(np.float32) for n in lengths]
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    return xs, SequenceDataset(
        np.concatenate(xs), offsets, np.arange(len(lengths)) % 2, "classify", name="toy"
    )


def test_examples_come_back_as_stored():
    xs, ds = _features([4, 1, 7])
    assert len(ds) == 3 and ds.num_features == 3 and ds.labelled
    for i, x in enumerate(xs):
        ex = ds[i]
        assert isinstance(ex, Example) and isinstance(ex.y, int)
        np.testing.assert_array_equal(ex.x, x)
        assert ex.x.dtype == np.float32 and len(ex) == len(x)
    np.testing.assert_array_equal(ds[-1].x, xs[-1])
    with pytest.raises(IndexError):
        ds[3]
    # Plain iteration stops at the end (the old __getitem__ protocol needs IndexError).
    assert len(list(ds)) == 3


def test_lengths_are_int64_and_read_only():
    _, ds = _features([4, 1, 7])
    assert ds.lengths.dtype == np.int64
    np.testing.assert_array_equal(ds.lengths, [4, 1, 7])
    # Invariant: nobody can corrupt a dataset through what it hands out.
    with pytest.raises(ValueError):
        ds.lengths[0] = 9
    with pytest.raises(ValueError):
        ds[0].x[0, 0] = 1.0


def test_empty_sequence_is_rejected_with_its_index():
    with pytest.raises(DataError, match="example 1 is an empty sequence"):
        SequenceDataset(np.zeros((3, 2)), [0, 3, 3], None, "classify")


def test_bad_task_and_targets_are_rejected():
    with pytest.raises(DataError, match="task must be one of"):
        SequenceDataset(np.zeros((3, 2)), [0, 3], None, "translate")
    with pytest.raises(DataError, match="one per step"):
        SequenceDataset(np.zeros(3, dtype=np.int64), [0, 3], np.zeros(2), "lm")


def test_per_step_and_regression_targets():
    ids = np.arange(6, dtype=np.int64)
    ds = SequenceDataset(ids, [0, 2, 6], ids + 1, "tag")
    assert ds.num_features is None
    np.testing.assert_array_equal(ds[1].y, [3, 4, 5, 6])
    reg = SequenceDataset(np.zeros((6, 1)), [0, 2, 6], [0.5, -1.0], "regress")
    assert reg[1].y == -1.0 and isinstance(reg[1].y, float)


@given(
    lengths=st.lists(st.integers(1, 9), min_size=1, max_size=20),
    data=st.data(),
)
def test_subset_matches_indexing(lengths, data):
    # Invariant: ds.subset(idx)[k] == ds[idx[k]] for every k, for per-step targets too.
    total = sum(lengths)
    values = np.arange(total, dtype=np.int64)
    ds = SequenceDataset(values, np.concatenate([[0], np.cumsum(lengths)]), values * 2, "lm")
    idx = data.draw(st.lists(st.integers(0, len(lengths) - 1), min_size=1, max_size=30))
    sub = ds.subset(idx)
    assert len(sub) == len(idx)
    np.testing.assert_array_equal(sub.lengths, np.asarray(lengths)[idx])
    for k, i in enumerate(idx):
        np.testing.assert_array_equal(sub[k].x, ds[i].x)
        np.testing.assert_array_equal(sub[k].y, ds[i].y)


def test_concat_and_its_checks():
    _, a = _features([2, 3])
    _, b = _features([5], seed=1)
    both = SequenceDataset.concat([a, b])
    np.testing.assert_array_equal(both.lengths, [2, 3, 5])
    np.testing.assert_array_equal(both[2].x, b[0].x)
    _, c = _features([2], f=4)
    with pytest.raises(DataError, match="num_features differs"):
        SequenceDataset.concat([a, c])
