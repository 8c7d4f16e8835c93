"""How a bucketed epoch is cut into batches, and the padded tokens each way predicts.

Two ways (``BatchingConfig.batch_cut``):

- ``carry``: every batch holds exactly its bucket's batch size ``B_k``; a bucket's leftover
  (fewer than ``B_k``) opens the next bucket's first batch and is padded to that bucket's length.
  Only the epoch's last batch can be smaller. Batch sizes are fixed; a few batches straddle two
  buckets.
- ``even``: no batch straddles buckets. Bucket ``k`` is split into ``m_k`` batches of near-equal
  size (differing by at most one). Under a token budget (or explicit per-bucket sizes)
  ``m_k = ceil(n_k / B_k)``, so every batch fits its budget. Otherwise the epoch has
  ``M = max(K', floor(N / batch_size))`` batches (``K'``: non-empty buckets), so the mean batch
  size
  is at least ``batch_size``, shared out by water-filling (each extra batch goes to the bucket
  whose batches are largest), so sizes stay close to ``batch_size``. Sizes vary by bucket, as in
  Lhotse's dynamic bucketing.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def even_batch_counts(
    counts: np.ndarray, sizes: np.ndarray, *, budget: bool, mean_size: int
) -> np.ndarray:
    """``m_k``: the number of batches of each bucket under the ``even`` cut.

    Args:
        counts: ``(K,)`` examples per bucket.
        sizes: ``(K,)`` each bucket's batch size (a cap when ``budget``).
        budget: sizes are hard caps (token budget or explicit sizes).
        mean_size: the target mean batch size otherwise.

    Returns:
        ``(K,)`` int64, 0 exactly for empty buckets.
    """
    counts = np.asarray(counts, dtype=np.int64)
    nonempty = counts > 0
    if budget:
        return np.where(nonempty, -(-counts // np.maximum(sizes, 1)), 0).astype(np.int64)
    total = int(counts.sum())
    target = max(int(nonempty.sum()), total // max(mean_size, 1))
    m = np.where(nonempty, np.maximum(1, (counts * target) // max(total, 1)), 0).astype(np.int64)
    while m.sum() > target:  # forced singles overshot: merge where batches stay smallest
        grow = np.where(m > 1, counts / np.maximum(m - 1, 1), np.inf)
        m[int(np.argmin(grow))] -= 1
    while m.sum() < target:  # water-filling: split the bucket with the largest batches
        size_now = np.where(nonempty, counts / np.maximum(m, 1), -1.0)
        m[int(np.argmax(size_now))] += 1
    return m


def even_cut_points(lo: int, n: int, m: int) -> np.ndarray:
    """Ends of ``m`` near-equal batches over positions ``lo .. lo+n`` (sizes differ by <= 1)."""
    base, extra = divmod(n, m)
    widths = np.full(m, base, dtype=np.int64)
    widths[:extra] += 1
    return lo + np.cumsum(widths)


def carry_padded_tokens(counts: np.ndarray, bounds: np.ndarray, sizes: np.ndarray) -> int:
    """Padded tokens of the ``carry`` cut with every batch padded to its top bucket's boundary.

    ``O(K)``: a bucket's leftover ``c`` examples ride up into the next non-empty bucket and are
    padded to its boundary instead of their own.
    """
    tokens = int(np.dot(counts, bounds))
    carry_n, carry_cost_own = 0, 0
    for k in range(counts.size):
        n = int(counts[k])
        if n == 0:
            continue
        if carry_n:
            tokens += carry_n * int(bounds[k]) - carry_cost_own
        pool = carry_n + n
        rest = pool % int(sizes[k])
        # the leftover: the last ``rest`` examples (from this bucket when rest <= n)
        carry_n = rest
        carry_cost_own = rest * int(bounds[k])
    return tokens


def expected_repeat_cut(
    counts: np.ndarray,
    sizes: np.ndarray,
    per_bucket: np.ndarray | None,
    within: Callable[[int, int], float],
) -> float:
    """Predicted repeat-pair fraction between consecutive epochs, from bucket counts alone.

    Args:
        counts: ``(K,)`` examples per bucket.
        sizes: ``(K,)`` batch sizes (``carry``).
        per_bucket: ``(K,)`` batch counts of the ``even`` cut, or None for ``carry``.
        within: ``(n, b) -> repeat probability`` of a pair of batch-mates of one bucket of ``n``
            cut into batches of ``b`` (``shuffle.expected_repeat``).

    Full batches inside one bucket repeat as ``within`` says. In a batch that straddles buckets
    (``carry``), ``x_a`` examples of bucket ``a`` (of ``n_a``) are a random ``x_a`` of it each
    epoch, so a pair repeats with probability ``(x_a/n_a)((x_a-1)/(n_a-1))`` within one bucket
    and ``(x_a/n_a)(x_b/n_b)`` across two: ~0 for big buckets, 1 for buckets that fit whole.
    ``O(K + straddling batches x buckets each spans)``.
    """

    def pairs(x: int) -> int:
        return x * (x - 1) // 2

    num, total = 0.0, 0
    if per_bucket is not None:
        for n, m in zip(np.asarray(counts).tolist(), np.asarray(per_bucket).tolist(), strict=True):
            if n == 0 or m == 0:
                continue
            base, extra = divmod(n, m)
            p = extra * pairs(base + 1) + (m - extra) * pairs(base)
            num += p * within(n, base + (extra > 0))
            total += p
        return num / total if total else 0.0

    open_: list[tuple[int, int]] = []  # (bucket size n_a, examples x_a) in the open batch
    filled = 0

    def close() -> None:
        nonlocal num, total, filled
        total += pairs(filled)
        share = [(x, x / na) for na, x in open_]
        for i, (na, x) in enumerate(open_):
            num += pairs(x) * (x / na) * ((x - 1) / max(na - 1, 1))
            num += sum(x * (share[i][1]) * y * f for y, f in share[i + 1 :])
        open_.clear()
        filled = 0

    for n, s in zip(np.asarray(counts).tolist(), np.asarray(sizes).tolist(), strict=True):
        left = n
        while left:
            if filled >= s:
                close()
            if filled == 0 and left >= s:
                full = left // s
                num += full * pairs(s) * within(n, s)
                total += full * pairs(s)
                left -= full * s
                continue
            take = min(left, s - filled)
            open_.append((n, take))
            filled += take
            left -= take
            if filled >= s:
                close()
    if filled:
        close()
    return num / total if total else 0.0
