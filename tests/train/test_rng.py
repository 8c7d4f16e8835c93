"""RNG capture/restore: draws after a restore repeat exactly, and the state is weights_only-safe."""

from __future__ import annotations

import random

import numpy as np
import torch

from seqbucket.train.checkpoint import load_checkpoint, save_checkpoint
from seqbucket.train.rng import capture_rng_state, restore_rng_state, seed_everything


def _draws():
    return (
        [random.random() for _ in range(3)],
        np.random.rand(3).tolist(),  # noqa: NPY002 - the global generator is the point here
        torch.rand(3).tolist(),
        torch.nn.functional.dropout(torch.ones(8), 0.5).tolist(),
    )


def test_restore_repeats_every_generator(tmp_path):
    seed_everything(3)
    _draws()
    state = capture_rng_state()
    expected = _draws()
    # Through a real checkpoint file: the state must survive weights_only loading.
    save_checkpoint({"rng": state}, tmp_path / "r.pt")
    seed_everything(99)
    _draws()
    restore_rng_state(load_checkpoint(tmp_path / "r.pt")["rng"])
    assert _draws() == expected


def test_seed_everything_is_deterministic():
    seed_everything(5)
    a = _draws()
    seed_everything(5)
    assert _draws() == a


def test_cuda_states_for_other_devices_are_reported_not_silently_skipped():
    state = capture_rng_state()
    assert restore_rng_state(state) == []  # an exact restore has nothing to say
    here = torch.cuda.device_count() if torch.cuda.is_available() else 0
    state["cuda"] = [torch.get_rng_state()] * (here + 1)  # saved on a machine with more GPUs
    (note,) = restore_rng_state(state)
    assert f"for {here + 1} device(s), this machine has {here}" in note
    assert "not restored" in note


def test_each_rank_gets_its_own_draws_back_and_another_world_size_gets_rank_0s_with_a_note():
    import torch

    from seqbucket.train.rng import capture_rng_state, restore_rank_rng_state

    states = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        states.append(capture_rng_state())
    state = {"rng": states[0], "rng_by_rank": states}
    expected = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        expected.append(torch.rand(3))
    for rank in (0, 1):
        assert not [n for n in restore_rank_rng_state(state, rank, 2) if "process(es)" in n]
        assert torch.equal(torch.rand(3), expected[rank])
    notes = restore_rank_rng_state(state, 2, 4)  # a world of 4: rank 0's states
    assert torch.equal(torch.rand(3), expected[0])
    assert [n for n in notes if "written by 2 process(es), this run has 4" in n]
