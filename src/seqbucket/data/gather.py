"""``gather_batch``: a batch straight from a dataset's ragged storage, for the training loop.

It returns what ``collate([ds[i] for i in indices], pad_to)`` returns (post padding, nothing cut),
but with a handful of vectorised numpy calls per batch instead of a Python loop over examples:
no :class:`Example` objects, no per-example type checks (a :class:`SequenceDataset` already
holds one kind of input and of target, checked once when it was built). The padded output is
written through flat positions ``b * T + t`` computed from the offsets, so the cost is one
gather of the batch's real steps and one scatter into the zeroed ``(B, T, ...)`` buffer.
"""

from __future__ import annotations

import numpy as np
import torch

from seqbucket._mask import lengths_to_mask
from seqbucket._tasks import IGNORE_INDEX, PER_STEP_TASKS
from seqbucket.data.collate import Batch
from seqbucket.data.example import SequenceDataset, ragged_gather
from seqbucket.errors import DataError


def gather_batch(
    ds: SequenceDataset, indices: np.ndarray | list[int], pad_to: int | None = None
) -> Batch:
    """Examples ``indices`` of ``ds``, post-padded to ``pad_to`` (None: their longest).

    Returns a :class:`Batch` of CPU tensors: ``x`` ``(B, T, F)`` float32 or ``(B, T)`` int64 ids
    (pad 0), ``lengths`` ``(B,)``, ``mask`` ``(B, T)``, ``y`` ``(B,)`` or ``(B, T)`` (per-step
    targets, ``IGNORE_INDEX`` at padding) or None. An example longer than ``pad_to`` raises
    ``DataError``, as ``collate`` does without ``truncate``.
    """
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)  # (B,)
    b = idx.size
    if b == 0:
        raise DataError("collate: expected at least one example, got an empty list")
    n = len(ds)
    if int(idx.min()) < -n or int(idx.max()) >= n:
        bad = int(idx[(idx < -n) | (idx >= n)][0])
        raise IndexError(f"{ds.name}: example index {bad} out of range for {n} examples")
    idx = np.where(idx < 0, idx + n, idx)
    offsets = ds.offsets
    rows, starts = ragged_gather(offsets, idx)  # rows (R,): source rows, batch order
    lengths = np.diff(starts)  # (B,)
    longest = int(lengths.max())
    t = longest if pad_to is None else int(pad_to)
    if t < 1:
        raise DataError(f"collate: pad_to must be >= 1, got {pad_to}")
    if longest > t:
        i = int(np.argmax(lengths))
        raise DataError(
            f"collate: example {i} has length {longest}, longer than pad_to={t}; "
            "pass truncate=True to cut it"
        )
    # Flat destination of each gathered row: b * T + t, with t counted from each example's start.
    pos = np.arange(rows.size, dtype=np.int64)
    pos += np.repeat(np.arange(b, dtype=np.int64) * t - starts[:-1], lengths)
    values = ds.values
    x: np.ndarray
    if values.ndim == 2:
        f = values.shape[1]
        flat = np.zeros((b * t, f), dtype=np.float32)
        flat[pos] = values[rows]
        x = flat.reshape(b, t, f)  # (B, T, F)
    else:
        ids = np.zeros(b * t, dtype=np.int64)
        ids[pos] = values[rows]
        x = ids.reshape(b, t)  # (B, T): pad id 0
    y: np.ndarray | None = None
    targets = ds.targets
    if targets is not None:
        if ds.task in PER_STEP_TASKS:
            y = np.full(b * t, IGNORE_INDEX, dtype=np.int64)
            y[pos] = targets[rows]
            y = y.reshape(b, t)  # (B, T)
        else:
            y = targets[idx]  # (B,)
    lengths_t = torch.from_numpy(lengths)
    return Batch(
        x=torch.from_numpy(x),
        lengths=lengths_t,
        mask=lengths_to_mask(lengths_t, t, "post"),
        y=torch.from_numpy(np.ascontiguousarray(y)) if y is not None else None,
        padding="post",
    )
