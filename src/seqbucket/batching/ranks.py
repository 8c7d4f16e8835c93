"""Distributed plans: every rank takes its slice of the one global batch of each step.

NOTE [rank slices]: the epoch's global plan is the plan a single process makes (the same seed,
epoch and batch order, whatever ``world_size`` is). At step ``s``, rank ``r`` takes the ``r``-th
of ``world_size`` contiguous, near-equal slices of global batch ``s`` (``np.array_split``: the
first ``B % W`` slices hold one example more) and pads it to the global batch's pad length. So:

- every rank has the same number of steps and the same padded length ``T`` at each step (no
  rank waits on a longer shape, no collective hangs on a missing step);
- the slices of a step together are exactly the global batch, so every example is seen exactly
  once per epoch, with no repeats to even the ranks out;
- the global batch of a step does not depend on ``world_size``: ``W`` processes with per-rank
  batches of ``B / W`` train on the same batches as one process with batch ``B``. With the loss
  normalised by the global count of real positions (``train/distributed.py``), they end with
  the same weights up to float summation order, and a run may resume under another world size.

A slice is empty when a global batch has fewer examples than there are ranks; that rank then
contributes nothing to the step (the trainer weighs a stand-in example by 0).
"""

from __future__ import annotations

import numpy as np


def rank_slice(batch: np.ndarray, rank: int, world_size: int) -> np.ndarray:
    """Rank ``rank``'s part of one global ``batch`` of ``B`` example indices: the ``rank``-th of
    ``world_size`` contiguous parts of ``B // world_size`` or ``B // world_size + 1`` indices (the
    larger ones first; ``np.array_split``). ``(B_r,)`` int64, possibly empty."""
    b = batch.size
    small, extra = divmod(b, world_size)
    start = rank * small + min(rank, extra)
    return batch[start : start + small + (rank < extra)]
