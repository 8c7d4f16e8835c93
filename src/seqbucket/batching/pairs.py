"""The repeat-pair fraction: how many batch-mates of one epoch are batched together again."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class HasBatches(Protocol):
    """Anything with ``batches`` (a ``BatchPlan``, say)."""

    batches: list[np.ndarray]


def repeat_pair_fraction(plan_a: HasBatches, plan_b: HasBatches) -> float:
    """Fraction of the pairs batched together in ``plan_a`` that are batched together again in
    ``plan_b`` (0: none again, 1: the same batches). For a whole run, see
    ``planner.repeat_over_gaps`` (mean and maximum over epoch gaps 1 to 10)."""
    return repeat_pair_fraction_batches(plan_a.batches, plan_b.batches)


def repeat_pair_fraction_batches(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """:func:`repeat_pair_fraction` on raw lists of index arrays (:func:`repeat_pair_fraction_flat`
    of their concatenations)."""
    if not a or not b:
        return 0.0
    sa = np.fromiter(map(len, a), dtype=np.int64, count=len(a))
    sb = np.fromiter(map(len, b), dtype=np.int64, count=len(b))
    return repeat_pair_fraction_flat(np.concatenate(a), sa, np.concatenate(b), sb)


def repeat_pair_fraction_flat(
    fa: np.ndarray, sa: np.ndarray, fb: np.ndarray, sb: np.ndarray
) -> float:
    """:func:`repeat_pair_fraction` of plans A and B given flat: ``fa`` ``(sum sa,)`` example
    indices, batch after batch, ``sa`` ``(M_A,)`` the batch sizes (likewise ``fb``, ``sb``).

    Counts, per batch ``i`` of A and batch ``j`` of B, the ``n_ij`` examples they share:
    ``sum C(n_ij, 2) / sum_i C(|A_i|, 2)``. One key per example and one sort (in C), never a pass
    over pairs: about a second for 10 million examples. Examples missing from B never repeat.
    """
    pairs = int((sa * (sa - 1) // 2).sum())
    if pairs == 0 or fa.size == 0 or fb.size == 0:
        return 0.0
    n = 1 + max(int(fa.max()), int(fb.max()))
    ida = np.full(n, -1, dtype=np.int64)
    idb = np.full(n, -1, dtype=np.int64)
    ida[fa] = np.repeat(np.arange(sa.size), sa)  # batch of A of each example
    idb[fb] = np.repeat(np.arange(sb.size), sb)
    both = (ida >= 0) & (idb >= 0)
    key = np.sort(ida[both] * (sb.size + 1) + idb[both])  # equal keys: same A and same B batch
    edges = np.flatnonzero(np.diff(key)) + 1
    counts = np.diff(np.concatenate([[0], edges, [key.size]]))
    return float((counts * (counts - 1) // 2).sum() / pairs)
