"""gather_batch: the training loop's vectorised collation equals collate() on the same examples."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seqbucket.data import SequenceDataset, collate, gather_batch
from seqbucket.errors import DataError


def _dataset(lengths: list[int], task: str, seed: int = 0) -> SequenceDataset:
    rng = np.random.default_rng(seed)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    total = int(offsets[-1])
    if task in ("tag", "lm"):
        values = rng.integers(1, 9, total)  # token ids
        targets = rng.integers(0, 5, total)  # one per step
    else:
        values = rng.standard_normal((total, 3)).astype(np.float32)
        n = len(lengths)
        targets = rng.standard_normal(n) if task == "regress" else rng.integers(0, 4, n)
    return SequenceDataset(values, offsets, targets, task)


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 9), min_size=1, max_size=12),
    task=st.sampled_from(["classify", "regress", "tag", "lm"]),
    extra=st.integers(0, 3),
    data=st.data(),
)
def test_equals_collate_of_the_same_examples(lengths, task, extra, data):
    # Invariant: gather_batch(ds, idx, T) == collate([ds[i] for i in idx], T), tensor by tensor.
    ds = _dataset(lengths, task)
    idx = data.draw(st.lists(st.integers(0, len(lengths) - 1), min_size=1, max_size=6))
    pad_to = data.draw(st.sampled_from([None, max(lengths[i] for i in idx) + extra]))
    got = gather_batch(ds, np.asarray(idx), pad_to)
    ref = collate([ds[i] for i in idx], pad_to=pad_to)
    for name in ("x", "lengths", "mask", "y"):
        a, b = getattr(got, name), getattr(ref, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert torch.equal(a, b), name
    assert got.padding == ref.padding == "post"


def test_too_long_for_pad_to_and_bad_indices_are_one_line_errors():
    ds = _dataset([3, 5, 2], "classify")
    with pytest.raises(DataError, match="example 1 has length 5, longer than pad_to=4"):
        gather_batch(ds, [0, 1], 4)
    with pytest.raises(DataError, match="at least one example"):
        gather_batch(ds, [], None)
    with pytest.raises(IndexError, match="example index 3 out of range for 3"):
        gather_batch(ds, [0, 3], None)
    assert gather_batch(ds, [-1], None).lengths.tolist() == [2]  # negative: from the end
