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
