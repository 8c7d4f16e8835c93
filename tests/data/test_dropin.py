"""Issue 10, case 9: the sampler and ``collate`` as drop-ins for a plain ``DataLoader``.

Invariant: ``DataLoader(ds, batch_sampler=sampler, collate_fn=collate)`` gives the batches,
and the padded shapes, that ``sampler.iter_batches()`` plans (it used to drop ``pad_to``, so
``pad_to="boundary"`` gave batch-maximum shapes); ``collate`` takes ``(x, y)`` pairs as well
as ``Example``s (it raised ``AttributeError``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from seqbucket.batching import BucketBatchSampler, parse_batching
from seqbucket.data import collate, load_dataset
from seqbucket.errors import DataError


@pytest.mark.parametrize("pad_to", ["boundary", "batch-max"])
def test_dataloader_keeps_the_planned_pad_length(pad_to):
    ds = load_dataset("japanese-vowels")
    config = parse_batching("buckets:10,20,40", batch_size=16, pad_to=pad_to)
    sampler = BucketBatchSampler(ds.lengths, config, seed=3)
    planned = [(idx.tolist(), t) for _, idx, t in sampler.iter_batches()]
    loaded = [
        (batch.lengths.tolist(), int(batch.x.shape[1]))
        for batch in DataLoader(ds, batch_sampler=sampler, collate_fn=collate)
    ]
    assert [t for _, t in loaded] == [t for _, t in planned]
    assert [lengths for lengths, _ in loaded] == [ds.lengths[i].tolist() for i, _ in planned]
    if pad_to == "boundary":
        assert {t for _, t in loaded} <= {10, 20, 40}


def test_collate_takes_pairs_like_examples():
    ds = load_dataset("japanese-vowels")
    examples = [ds[i] for i in (0, 5, 9)]
    pairs = [(torch.from_numpy(np.array(e.x)), torch.tensor(e.y)) for e in examples]
    want, got = collate(examples, pad_to=30), collate(pairs, pad_to=30)
    assert torch.equal(want.x, got.x) and torch.equal(want.y, got.y)
    assert torch.equal(want.lengths, got.lengths)
    plain = collate([(np.ones((3, 2)), 1), (np.ones((2, 2)), 0)])
    assert plain.x.shape == (2, 3, 2) and plain.y.tolist() == [1, 0]
    with pytest.raises(DataError, match="example 0 is a str"):
        collate(["not an example"])
