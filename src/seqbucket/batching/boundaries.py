"""Bucket boundaries: the exact optimum by dynamic programming, and the usual heuristics.

Boundaries are inclusive upper edges ``b_0 < b_1 < ... < b_{K-1}``: bucket ``k`` holds the lengths
``b_{k-1} < L <= b_k`` (``b_{-1} = 0``) and, padded to its boundary, every batch of bucket ``k``
has shape ``(B, b_k)``. A length above ``b_{K-1}`` is "overlong" (see ``BatchingConfig.overlong``).

Objective of :func:`optimal_boundaries`: the total padded tokens ``sum_i b_{bucket(i)}`` (padding
each sequence to its bucket's boundary), minimised exactly over every choice of ``K`` boundaries.
An optimal boundary is always one of the distinct lengths, so the search runs over the ``D``
distinct lengths only (after a ``bincount``), not over the ``N`` examples.

Dynamic programme over distinct lengths ``v_0 < ... < v_{D-1}`` with prefix counts ``P``::

    f_1(j) = v_{j-1} * P_j
    f_k(j) = min_{k-1 <= i < j} f_{k-1}(i) + v_{j-1} * (P_j - P_i)

The bucket cost ``w(i, j) = v_{j-1} (P_j - P_i)`` satisfies the quadrangle inequality
(``w(a,c) + w(b,d) - w(a,d) - w(b,c) = (v_{c-1} - v_{d-1})(P_b - P_a) <= 0``), so the optimal split
point is monotone in ``j`` and each layer is solved by divide and conquer in ``O(D log D)``. The
recursion is run breadth-first, one numpy pass per recursion level, so there is no Python loop
over ``D``. All arithmetic is ``int64``, hence exact (ties included) for brute-force comparison.
"""

from __future__ import annotations

import numpy as np

from seqbucket.errors import ConfigError

_INF = np.int64(2) ** 62  # larger than any real cost (N * max_len < 2**62), safe to add a cost to


def distinct_counts(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(values, counts)``: the distinct lengths ascending and how many examples have each.

    ``bincount`` (``O(N + max_len)``) when the range is dense, ``np.unique`` otherwise.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    top = int(lengths.max())
    if top <= 4 * lengths.size + 1_000_000:
        counts = np.bincount(lengths, minlength=top + 1)
        values = np.flatnonzero(counts)
        return values.astype(np.int64), counts[values].astype(np.int64)
    values, counts = np.unique(lengths, return_counts=True)
    return values.astype(np.int64), counts.astype(np.int64)


def _dp_layer(
    prev: np.ndarray, v: np.ndarray, prefix: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """One layer ``f_k`` from ``f_{k-1}`` (``prev``), by breadth-first divide and conquer.

    Returns ``(cur, arg)``, both of shape ``(D+1,)``: ``cur[j] = f_k(j)`` (``_INF`` where ``j < k``)
    and ``arg[j]`` the smallest optimal split ``i``.
    """
    d = v.size
    cur = np.full(d + 1, _INF, dtype=np.int64)
    arg = np.zeros(d + 1, dtype=np.int64)
    lo_j, hi_j = np.array([k]), np.array([d])  # tasks: solve j in [lo_j, hi_j] ...
    lo_i, hi_i = np.array([k - 1]), np.array([d - 1])  # ... knowing opt(j) in [lo_i, hi_i]
    while lo_j.size:
        mid = (lo_j + hi_j) // 2  # (S,) the j solved at this level, one per task
        first = lo_i
        last = np.minimum(hi_i, mid - 1)
        span = last - first + 1  # (S,) >= 1: opt(mid) lies in [lo_i, mid-1]
        starts = np.zeros(span.size, dtype=np.int64)
        np.cumsum(span[:-1], out=starts[1:])
        seg = np.repeat(np.arange(span.size), span)  # (M,) task of each candidate
        cand = first[seg] + (np.arange(seg.size) - starts[seg])  # (M,) candidate split i
        jm = mid[seg]
        val = prev[cand] + v[jm - 1] * (prefix[jm] - prefix[cand])
        best = np.minimum.reduceat(val, starts)  # (S,)
        at = np.minimum.reduceat(np.where(val == best[seg], cand, d + 1), starts)
        cur[mid] = best
        arg[mid] = at
        left = lo_j <= mid - 1
        right = mid + 1 <= hi_j
        lo_j, hi_j, lo_i, hi_i = (
            np.concatenate([lo_j[left], mid[right] + 1]),
            np.concatenate([mid[left] - 1, hi_j[right]]),
            np.concatenate([lo_i[left], at[right]]),
            np.concatenate([at[left], hi_i[right]]),
        )
    return cur, arg


def iter_layers(values: np.ndarray, counts: np.ndarray):
    """Yield ``(K, optimal cost with K buckets, split points so far)`` for ``K = 1, 2, ... D``,
    one DP layer at a time, so that a caller can stop early. ``backtrack(values, args, K)``
    reads the boundaries of any yielded ``K``."""
    v = np.asarray(values, dtype=np.int64)
    prefix = np.zeros(v.size + 1, dtype=np.int64)
    np.cumsum(counts, out=prefix[1:])
    f = np.full(v.size + 1, _INF, dtype=np.int64)
    f[1:] = v * prefix[1:]
    args = [np.zeros(v.size + 1, dtype=np.int64)]
    yield 1, int(f[-1]), args
    for k in range(2, v.size + 1):
        f, a = _dp_layer(f, v, prefix, k)
        args.append(a)
        yield k, int(f[-1]), args


def optimal_costs(
    values: np.ndarray, counts: np.ndarray, max_k: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Exact minimum padded tokens for every ``K = 1..max_k`` (capped at ``D``).

    Returns ``(costs, args)``: ``costs[K-1]`` is the optimum with ``K`` buckets; ``args`` holds the
    split points of each layer, for :func:`backtrack`.
    """
    costs: list[int] = []
    args: list[np.ndarray] = []
    for k, cost, args in iter_layers(values, counts):  # noqa: B007
        costs.append(cost)
        if k >= max_k:
            break
    return np.array(costs, dtype=np.int64), args


def backtrack(values: np.ndarray, args: list[np.ndarray], k: int) -> tuple[int, ...]:
    """The ``k`` optimal boundaries from the split points ``args`` of :func:`optimal_costs`."""
    ends = []
    j = values.size
    for layer in range(k - 1, -1, -1):
        ends.append(int(values[j - 1]))
        j = int(args[layer][j])
    return tuple(reversed(ends))


def optimal_boundaries(lengths: np.ndarray, k: int) -> tuple[int, ...]:
    """The ``min(k, D)`` boundaries minimising total padded tokens (pad to boundary), exactly.

    Args:
        lengths: ``(N,)`` positive int lengths.
        k: number of buckets wanted, ``>= 1``.

    Returns:
        Strictly increasing boundaries; the last one is ``lengths.max()``.
    """
    if k < 1:
        raise ConfigError(f"number of buckets must be at least 1, got {k}")
    values, counts = distinct_counts(lengths)
    k = min(k, values.size)
    _, args = optimal_costs(values, counts, k)
    return backtrack(values, args, k)


def padded_tokens(lengths: np.ndarray, boundaries: tuple[int, ...] | np.ndarray) -> int:
    """Total tokens when each length is padded to the smallest boundary ``>= length``.

    Lengths above the last boundary count at their own length (they are not bucketed).
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    edges = np.asarray(boundaries, dtype=np.int64)
    pos = np.searchsorted(edges, lengths, side="left")
    inside = pos < edges.size
    return int(edges[pos[inside]].sum() + lengths[~inside].sum())


def quantile_boundaries(lengths: np.ndarray, k: int) -> tuple[int, ...]:
    """TF/Lhotse-style: edges at the ``1/k .. (k-1)/k`` quantiles of the lengths, plus the max.

    Equal numbers of examples per bucket (up to ties); not optimal for padding.
    """
    lengths = np.sort(np.asarray(lengths, dtype=np.int64))
    qs = [lengths[min(lengths.size - 1, (lengths.size * q) // k)] for q in range(1, k)]
    return tuple(sorted({*(int(x) for x in qs), int(lengths[-1])}))


def equal_token_boundaries(lengths: np.ndarray, k: int) -> tuple[int, ...]:
    """Edges that split the *real tokens* into ``k`` equal shares (Lhotse's duration bins)."""
    lengths = np.sort(np.asarray(lengths, dtype=np.int64))
    cum = np.cumsum(lengths)
    targets = cum[-1] * np.arange(1, k) / k
    pos = np.minimum(np.searchsorted(cum, targets, side="left"), lengths.size - 1)
    return tuple(sorted({*(int(x) for x in lengths[pos]), int(lengths[-1])}))
