"""Distributed equalisation: every rank gets the same number of steps, and at each step all ranks
take batches of the same shape class (the same bucket, or the same exact length).

NOTE [rank pad-out]: the epoch's global batches (identical on every rank: plans are pure) are
grouped by shape class. A class whose batch count is not a multiple of ``world_size`` is padded
out by *repeating* some of its own batches (chosen at random from (seed, epoch)), so a few
examples are seen twice in that epoch; ``stats["padded_out_examples"]`` counts them. Steps are
runs of ``world_size`` batches of one class, padded to the largest member's pad length; the step
order is shuffled and rank ``r`` takes the ``r``-th batch of each step.
"""

from __future__ import annotations

import numpy as np


def assign_steps(
    pad_lengths: np.ndarray,
    shape_class: np.ndarray,
    world_size: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lay the ``M`` global batches out as steps.

    Returns ``(members, step_pad, repeated)``: ``members`` ``(S, world_size)`` batch indices
    (rank ``r`` takes column ``r``), ``step_pad`` ``(S,)`` the pad length at each step, and
    ``repeated`` the indices of batches used a second time to even the classes out.
    """
    m = pad_lengths.size
    if world_size == 1:
        order = rng.permutation(m)
        return order.reshape(-1, 1), pad_lengths[order], np.zeros(0, dtype=np.int64)
    by = np.lexsort((pad_lengths, shape_class))  # classes together, similar pads adjacent
    cls_sorted = shape_class[by]
    edges = np.flatnonzero(np.diff(cls_sorted)) + 1
    groups = np.split(by, edges)
    slots, repeated = [], []
    for g in groups:
        extra = (-g.size) % world_size
        if extra:
            again = g[rng.choice(g.size, size=extra, replace=extra > g.size)]
            repeated.append(again)
            g = np.sort(np.concatenate([g, again]))
            g = g[np.argsort(pad_lengths[g], kind="stable")]
        slots.append(g)
    members = np.concatenate(slots).reshape(-1, world_size)  # (S, W)
    members = members[rng.permutation(members.shape[0])]
    step_pad = pad_lengths[members].max(axis=1)
    rep = np.concatenate(repeated) if repeated else np.zeros(0, dtype=np.int64)
    return members, step_pad, rep
