"""BucketBatchSampler: DataLoader compatibility, exact mid-epoch resume, ranks."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.utils.data import DataLoader

from seqbucket.batching import BatchingConfig, BucketBatchSampler, plan
from seqbucket.errors import CheckpointError


@given(
    st.lists(st.integers(1, 50), min_size=1, max_size=120).map(np.array),
    st.integers(0, 40),
    st.integers(0, 3),
    st.integers(1, 3),
)
def test_resume_yields_exactly_the_rest_of_the_epoch(lengths, cut, epoch, world):
    c = BatchingConfig(batch_size=4)
    full = BucketBatchSampler(lengths, c, seed=7, world_size=world, rank=world - 1)
    full.set_epoch(epoch)
    everything = [list(b) for b in full]
    first = BucketBatchSampler(lengths, c, seed=7, world_size=world, rank=world - 1)
    first.set_epoch(epoch)
    stream = iter(first)
    taken = [next(stream) for _ in range(min(cut, len(everything)))]
    state = first.state_dict()  # saved in the loop body, after training on taken[-1]
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    resumed = BucketBatchSampler(lengths, c, seed=7, world_size=world, rank=world - 1)
    resumed.load_state_dict(state)
    resumed.set_epoch(epoch)  # the trainer's loop calls this again: it must keep the step
    rest = list(resumed)
    # Invariant: the batches taken before the save, then the resumed ones, are the whole epoch.
    assert state["step"] == len(taken)
    assert taken + rest == everything


def test_dataloader_and_iter_batches_agree_with_plan():
    lengths = np.random.default_rng(0).integers(3, 40, 200)
    c = BatchingConfig()
    sampler = BucketBatchSampler(lengths, c, seed=1)
    sampler.set_epoch(2)
    p = plan(lengths, c, seed=1, epoch=2)
    steps = list(sampler.iter_batches())
    assert len(sampler) == len(p.batches) == len(steps)
    for (_, idx, pad), b, t in zip(steps, p.batches, p.pad_lengths, strict=True):
        assert np.array_equal(idx, b) and pad == t
    loader = DataLoader(list(range(200)), batch_sampler=sampler)
    seen = torch.cat([x for x in loader])
    assert sorted(seen.tolist()) == list(range(200))


def test_state_is_plain_ints_and_mismatches_are_refused():
    lengths = np.arange(1, 50)
    s = BucketBatchSampler(lengths, BatchingConfig(batch_size=4), seed=3)
    state = s.state_dict()
    assert all(type(v) is int for v in state.values())
    other = BucketBatchSampler(lengths, BatchingConfig(batch_size=4), seed=4)
    try:
        other.load_state_dict(state)
    except Exception as exc:
        assert "seed=3, expected 4" in str(exc)
    else:
        raise AssertionError("a state with another seed must be refused")


def test_state_of_other_lengths_or_settings_of_the_same_size_is_refused():
    # Invariant: a saved step resumes only the plan it was taken from.
    lengths = np.arange(1, 50)
    state = BucketBatchSampler(lengths, BatchingConfig(batch_size=4), seed=3).state_dict()
    shuffled = BucketBatchSampler(lengths[::-1].copy(), BatchingConfig(batch_size=4), seed=3)
    with pytest.raises(CheckpointError, match="the lengths differ"):
        shuffled.load_state_dict(state)
    bigger = BucketBatchSampler(lengths, BatchingConfig(batch_size=5), seed=3)
    with pytest.raises(CheckpointError, match="batching settings differ"):
        bigger.load_state_dict(state)
    # Another rank or world size resumes at the same global batch (NOTE [rank slices]).
    state = {**state, "epoch": 2, "step": 5}
    other_rank = BucketBatchSampler(lengths, BatchingConfig(batch_size=4), seed=3, rank=1,
                                    world_size=2)  # fmt: skip
    other_rank.load_state_dict(state)
    _, rest, _ = next(other_rank.iter_batches())
    whole = plan(lengths, BatchingConfig(batch_size=4), seed=3, epoch=2).batches[5]
    assert np.array_equal(rest, whole[whole.size - rest.size :]) and rest.size == whole.size // 2


def test_plan_identity_is_taken_once_and_its_inputs_cannot_change(monkeypatch):
    import types
    import zlib

    from seqbucket.batching import sampler as sampler_module

    lengths = np.arange(1, 50)
    s = BucketBatchSampler(lengths, BatchingConfig(batch_size=4), seed=3)
    first = s.state_dict()
    assert first["lengths_crc32"] == zlib.crc32(lengths.astype(np.int64).tobytes())

    def no_more_hashing(*args: object) -> int:
        raise AssertionError("state_dict must not rehash the lengths")

    monkeypatch.setattr(sampler_module, "zlib", types.SimpleNamespace(crc32=no_more_hashing))
    assert s.state_dict(step=2) == {**first, "step": 2}
    s.load_state_dict(first)
    with pytest.raises(ValueError, match="read-only"):
        s.lengths[0] = 7
    with pytest.raises(AttributeError):
        s.lengths = lengths[::-1].copy()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        s.config = BatchingConfig(batch_size=5)  # type: ignore[misc]
    lengths[0] = 7  # raises if the sampler froze the caller's own array
