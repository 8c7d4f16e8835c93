"""Standardizer: per-channel statistics over real steps; padding stays zero."""

from __future__ import annotations

import numpy as np
import torch

from seqbucket.train.standardize import Standardizer


def test_statistics_match_numpy_over_all_real_steps():
    rng = np.random.default_rng(0)
    seqs = [rng.normal(3.0, 2.0, size=(t, 4)).astype(np.float32) for t in (3, 7, 1, 5)]
    scaler = Standardizer.fit(seqs)
    stacked = np.concatenate(seqs)
    np.testing.assert_allclose(scaler.mean.numpy(), stacked.mean(0), rtol=1e-5)
    np.testing.assert_allclose(scaler.std.numpy(), stacked.std(0), rtol=1e-5)


def test_apply_keeps_padding_zero_and_round_trips_state():
    scaler = Standardizer(torch.tensor([1.0, -1.0]), torch.tensor([2.0, 0.0]))
    x = torch.ones(2, 3, 2)  # (B, T, F)
    mask = torch.tensor([[True, True, False], [True, False, False]])
    out = scaler(x, mask)
    assert torch.all(out[~mask] == 0)
    assert torch.allclose(out[0, 0], torch.tensor([0.0, 2.0 / 1e-6]))  # std floored at 1e-6
    again = Standardizer.from_state_dict(scaler.state_dict())
    assert torch.equal(again(x, mask), out)


def test_a_large_mean_keeps_the_spread():
    # The one-pass E[x^2] - E[x]^2 lost 10% of std 1e-3 at mean 1e4, and all of 0.08 at 1e8.
    rng = np.random.default_rng(1)
    for mean, std in ((1e4, 1e-3), (1e8, 0.08)):
        x = rng.normal(mean, std, size=(5000, 3))  # float64 (steps, F)
        scaler = Standardizer.fit(np.split(x, 50))  # 50 sequences of (100, F)
        np.testing.assert_allclose(scaler.mean.numpy(), x.mean(0).astype(np.float32), rtol=1e-7)
        np.testing.assert_allclose(scaler.std.numpy(), x.std(0), rtol=1e-5)
        assert torch.equal(Standardizer.fit(x).std, scaler.std)  # or all steps as one array


def test_dataset_values_are_exactly_the_real_steps_of_a_subset():
    # The trainer fits on ``train_ds.values``: a subset must hold its examples' steps only.
    from seqbucket.data import load_dataset

    ds = load_dataset("japanese-vowels", split="train").subset(np.arange(40, 0, -3))
    steps = np.concatenate([ds[i].x for i in range(len(ds))])
    np.testing.assert_array_equal(ds.values, steps)
    a, b = Standardizer.fit(ds.values), Standardizer.fit(ds[i].x for i in range(len(ds)))
    assert torch.equal(a.mean, b.mean) and torch.equal(a.std, b.std)


def test_moving_to_a_device_once_gives_the_same_output():
    scaler = Standardizer(torch.tensor([1.0, -1.0]), torch.tensor([2.0, 4.0]))
    moved = scaler.to("meta")
    assert moved.mean.device.type == "meta" and scaler.mean.device.type == "cpu"
    x, mask = torch.randn(2, 3, 2), torch.ones(2, 3, dtype=torch.bool)
    assert torch.equal(scaler.to("cpu")(x, mask), scaler(x, mask))


def test_a_standardised_dataset_gives_the_per_batch_standardised_values():
    # The loop standardises the dataset once; its batches equal the per-batch path's exactly.
    from seqbucket.data import SequenceDataset, gather_batch

    rng = np.random.default_rng(3)
    lengths = [4, 1, 7, 3]
    values = (rng.standard_normal((sum(lengths), 2)) * 50 + 7).astype(np.float32)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    ds = SequenceDataset(values, offsets, [0, 1, 0, 1], "classify")
    std = Standardizer.fit(ds.values)
    once = gather_batch(std.apply_to(ds), [2, 0, 1], 8)
    per_batch = gather_batch(ds, [2, 0, 1], 8)
    assert torch.equal(once.x, std(per_batch.x, per_batch.mask))
