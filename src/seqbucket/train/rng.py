"""Capture and restore every random number generator a run uses, as checkpoint-safe data.

The states are stored as tensors and plain Python values only, so that a checkpoint holding them
still loads with ``torch.load(weights_only=True)``. Restoring the states captured after step ``s``
makes dropout masks and any other draw from step ``s + 1`` on identical to an uninterrupted run.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and every CUDA device)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - the global generator is what others draw from
    torch.manual_seed(seed)


def capture_rng_state() -> dict[str, Any]:
    """The current state of the Python, NumPy and torch generators as plain types and tensors."""
    version, internal, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)  # noqa: NPY002
    state: dict[str, Any] = {
        "python": {
            "version": version,
            "internal": torch.tensor(internal, dtype=torch.int64),  # (625,) 32-bit words
            "gauss": gauss,
        },
        "numpy": {
            "kind": kind,
            "keys": torch.from_numpy(np.asarray(keys).astype(np.int64)),  # (624,) uint32 widened
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached": float(cached),
        },
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }
    return state


def restore_rank_rng_state(state: dict[str, Any], rank: int, world_size: int) -> list[str]:
    """Restore, from a checkpoint ``state``, the random states of process ``rank`` of
    ``world_size``: its own when ``rng_by_rank`` has one per rank of this world size, else
    rank 0's ``rng`` (then random draws, such as dropout masks, differ from an uninterrupted
    run; nothing else does). Returns notes for the user."""
    by_rank = state.get("rng_by_rank") or [state["rng"]]
    if len(by_rank) == world_size:
        return restore_rng_state(by_rank[rank])
    return [
        *restore_rng_state(state["rng"]),
        f"note: the checkpoint was written by {len(by_rank)} process(es), this run has "
        f"{world_size}; each step trains on the same global batch, but random draws "
        "(dropout) differ from an uninterrupted run",
    ]


def restore_rng_state(state: dict[str, Any]) -> list[str]:
    """Inverse of :func:`capture_rng_state`. Returns notes for the user (empty when the restore
    is exact): CUDA states saved for another number of devices than this machine has cannot be
    restored, so from then on CUDA draws (dropout on a GPU) differ from an uninterrupted run."""
    py = state["python"]
    random.setstate((py["version"], tuple(int(v) for v in py["internal"].tolist()), py["gauss"]))
    npy = state["numpy"]
    keys = npy["keys"].numpy().astype(np.uint32)
    legacy = (npy["kind"], keys, npy["pos"], npy["has_gauss"], npy["cached"])
    np.random.set_state(legacy)  # noqa: NPY002
    torch.set_rng_state(state["torch"])
    cuda = state.get("cuda") or []
    if not cuda:
        return []
    here = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if len(cuda) == here:
        torch.cuda.set_rng_state_all(cuda)
        return []
    return [
        f"note: the checkpoint holds CUDA random states for {len(cuda)} device(s), this machine "
        f"has {here}; they were not restored, so GPU random draws (dropout) and the resumed "
        "weights will not match an uninterrupted run exactly"
    ]
