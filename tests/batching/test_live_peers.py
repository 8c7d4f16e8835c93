"""The live peer adapters call the peers' own samplers; each test skips when its peer is absent."""

from __future__ import annotations

import numpy as np
import pytest

from seqbucket.bench import live_peers

LENGTHS = np.random.default_rng(3).integers(5, 200, 301)


def _needs(name: str) -> None:
    why = live_peers.available()[name]
    if why is not None:
        pytest.skip(why)


def _covers_once(batches: list[np.ndarray], n: int) -> None:
    # Invariant: one epoch holds every example exactly once, as int64 indices.
    assert all(b.dtype == np.int64 for b in batches)
    assert np.array_equal(np.sort(np.concatenate(batches)), np.arange(n))


def test_available_names_every_peer_with_none_or_one_line() -> None:
    status = live_peers.available()
    assert set(status) == {"hf_length_grouped", "lhotse_dynamic_bucketing"}
    for why in status.values():
        assert why is None or ("\n" not in why and "seqbucket[peers]" in why)


def test_hf_length_grouped_is_transformers_own_sampler() -> None:
    _needs("hf_length_grouped")
    import torch
    from transformers.trainer_pt_utils import LengthGroupedSampler

    batches = live_peers.hf_length_grouped(LENGTHS, 16, seed=1, epoch=2)
    _covers_once(batches, LENGTHS.size)
    assert [b.size for b in batches] == [16] * 18 + [13]
    # Same (seed, epoch): the same batches; the sampler itself, fed the same generator, agrees.
    again = live_peers.hf_length_grouped(LENGTHS, 16, seed=1, epoch=2)
    assert all(np.array_equal(a, b) for a, b in zip(batches, again, strict=True))
    gen = torch.Generator().manual_seed(live_peers._epoch_seed(1, 2))
    direct = list(LengthGroupedSampler(16, lengths=LENGTHS.tolist(), generator=gen))
    assert np.concatenate(batches).tolist() == direct
    # HF puts the longest example in the first batch.
    assert int(LENGTHS.max()) == int(LENGTHS[batches[0]].max())
    other = live_peers.hf_length_grouped(LENGTHS, 16, seed=1, epoch=3)
    assert not all(np.array_equal(a, b) for a, b in zip(batches, other, strict=False))


def test_lhotse_dynamic_bucketing_is_lhotses_own_sampler() -> None:
    _needs("lhotse_dynamic_bucketing")
    batches = live_peers.lhotse_dynamic_bucketing(LENGTHS, 16, seed=1, epoch=2, num_buckets=4)
    _covers_once(batches, LENGTHS.size)
    assert max(b.size for b in batches) <= 16
    again = live_peers.lhotse_dynamic_bucketing(LENGTHS, 16, seed=1, epoch=2, num_buckets=4)
    assert all(np.array_equal(a, b) for a, b in zip(batches, again, strict=True))
    # A duration budget caps the real tokens of every batch.
    budget = live_peers.lhotse_dynamic_bucketing(LENGTHS, None, seed=0, epoch=0, max_tokens=800)
    _covers_once(budget, LENGTHS.size)
    assert max(int(LENGTHS[b].sum()) for b in budget) <= 800


def test_missing_peer_raises_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(live_peers._MODULES, "hf_length_grouped", "no_such_module_xyz")
    assert "no_such_module_xyz" in str(live_peers.available()["hf_length_grouped"])
    with pytest.raises(live_peers.PeerMissing, match=r"seqbucket\[peers\]") as err:
        live_peers.hf_length_grouped(LENGTHS, 16)
    assert "\n" not in str(err.value)
