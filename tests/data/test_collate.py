"""collate: padded tensors against torch's pad_sequence, the one mask, targets, truncation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.nn.utils.rnn import pad_sequence

from seqbucket import lengths_to_mask
from seqbucket.data import IGNORE_INDEX, Example, collate
from seqbucket.errors import DataError


def _feats(lengths, f=2, seed=0):
    rng = np.random.default_rng(seed)
    return [
        Example(rng.standard_normal((n, f)).astype(np.float32), i % 3)
        for i, n in enumerate(lengths)
    ]


@given(
    lengths=st.lists(st.integers(1, 12), min_size=1, max_size=8),
    side=st.sampled_from(["post", "pre"]),
    extra=st.integers(0, 4),
)
def test_features_match_torch_pad_sequence(lengths, side, extra):
    exs = _feats(lengths)
    t = max(lengths) + extra
    batch = collate(exs, pad_to=t, padding=side)
    # Reference: torch's pad_sequence (post), right-aligned rows for 'pre'.
    ref = pad_sequence([torch.from_numpy(e.x) for e in exs], batch_first=True)
    ref = torch.nn.functional.pad(ref, (0, 0, 0, extra))
    if side == "pre":
        ref = torch.stack([torch.roll(r, t - n, dims=0) for r, n in zip(ref, lengths, strict=True)])
    assert batch.x.dtype == torch.float32 and batch.x.shape == (len(lengths), t, 2)
    torch.testing.assert_close(batch.x, ref, rtol=0, atol=0)
    assert batch.lengths.dtype == torch.int64 and batch.lengths.device.type == "cpu"
    assert batch.lengths.tolist() == lengths
    torch.testing.assert_close(batch.mask, lengths_to_mask(batch.lengths, t, side))
    assert batch.y.tolist() == [i % 3 for i in range(len(lengths))]
    assert batch.padding == side
    assert batch.real_tokens == sum(lengths) and batch.padded_tokens == len(lengths) * t
    # Invariant: the padding is zero everywhere the mask is False.
    assert not batch.x[~batch.mask].any()


def test_token_ids_and_per_step_targets():
    exs = [Example(np.array([5, 6, 7]), np.array([6, 7, 8])), Example(np.array([9]), np.array([4]))]
    post = collate(exs)
    assert post.x.dtype == torch.int64
    assert post.x.tolist() == [[5, 6, 7], [9, 0, 0]]
    assert post.y.tolist() == [[6, 7, 8], [4, IGNORE_INDEX, IGNORE_INDEX]]
    pre = collate(exs, pad_to=4, padding="pre", ignore_index=-1)
    assert pre.x.tolist() == [[0, 5, 6, 7], [0, 0, 0, 9]]
    assert pre.y.tolist() == [[-1, 6, 7, 8], [-1, -1, -1, 4]]


def test_regression_and_unlabelled_targets():
    reg = collate(
        [Example(np.zeros((2, 1), np.float32), 0.5), Example(np.zeros((1, 1), np.float32), 2.0)]
    )
    assert reg.y.dtype == torch.float32 and reg.y.tolist() == [0.5, 2.0]
    none = collate([Example(np.zeros((2, 1), np.float32), None)])
    assert none.y is None
    with pytest.raises(DataError, match="mix target kinds"):
        collate(
            [Example(np.zeros((2, 1), np.float32), None), Example(np.zeros((2, 1), np.float32), 1)]
        )


def test_pad_to_shorter_than_a_sequence():
    exs = [
        Example(np.array([1, 2, 3, 4]), np.array([2, 3, 4, 5])),
        Example(np.array([7]), np.array([8])),
    ]
    with pytest.raises(DataError, match="example 0 has length 4, longer than pad_to=2"):
        collate(exs, pad_to=2)
    post = collate(exs, pad_to=2, truncate=True)
    assert post.x.tolist() == [[1, 2], [7, 0]] and post.lengths.tolist() == [2, 1]
    assert post.y.tolist() == [[2, 3], [8, IGNORE_INDEX]]  # targets cut with their steps
    pre = collate(exs, pad_to=2, truncate=True, truncating="pre", padding="pre")
    assert pre.x.tolist() == [[3, 4], [0, 7]] and pre.y.tolist() == [[4, 5], [IGNORE_INDEX, 8]]


def test_bad_batches():
    with pytest.raises(DataError, match="at least one example"):
        collate([])
    with pytest.raises(DataError, match="example 1 is an empty sequence"):
        collate([Example(np.ones((2, 1), np.float32), 0), Example(np.ones((0, 1), np.float32), 0)])
    with pytest.raises(DataError, match=r"example 1 has shape \(2, 3\), expected \(T, 1\)"):
        collate([Example(np.ones((2, 1), np.float32), 0), Example(np.ones((2, 3), np.float32), 0)])


def test_to_keeps_lengths_on_cpu():
    batch = collate(_feats([3, 2]))
    moved = batch.to("meta")
    assert moved.x.device.type == "meta" and moved.mask.device.type == "meta"
    assert moved.y.device.type == "meta" and moved.lengths.device.type == "cpu"
