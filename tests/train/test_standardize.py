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
