"""How an epoch is cut into batches, and what each way predicts (padded tokens, repeats).

Two ways for buckets (``BatchingConfig.batch_cut``), and a third without fixed buckets:

- ``carry``: buckets are laid end to end (shortest first) and cut into consecutive batches; a
  bucket's leftover opens the next bucket's first batch and is padded to that bucket's length, so a
  few batches straddle two buckets. Under a token budget (or explicit per-bucket sizes) every
  batch holds exactly its bucket's size ``B_k`` and only the epoch's last batch can be smaller.
  Otherwise (one ``batch_size`` everywhere) the epoch has ``M = max(1, floor(N / batch_size))``
  batches and the remainder ``N - M * batch_size`` is spread over the last batches (sizes
  ``batch_size + 1``, or near-equal when ``M`` is below the remainder: :func:`spread_widths`)
  instead of closing the epoch with one short batch, so
  the mean batch size is at least ``batch_size`` whenever ``N >= batch_size`` (``drop_last``
  keeps fixed sizes and drops the short batch instead).
- ``even``: no batch straddles buckets. Bucket ``k`` is split into ``m_k`` batches of near-equal
  size (differing by at most one). Under a token budget (or explicit per-bucket sizes)
  ``m_k = ceil(n_k / B_k)``, so every batch fits its budget. Otherwise the epoch has
  ``M = max(K', floor(N / batch_size))`` batches (``K'``: non-empty buckets), so the mean batch
  size is at least ``batch_size``, shared out by water-filling (each extra batch goes to the
  bucket whose batches are largest), so sizes stay close to ``batch_size``. Sizes vary by bucket,
  as in Lhotse's dynamic bucketing.
- ``noisy`` (``engine.noisy_sorted``): sort by ``length + width * u`` with fresh uniform ``u``
  each epoch and cut consecutive batches as the uniform ``carry`` cut does. Batch edges move every
  epoch, as with Hugging Face's random megabatches; :func:`noisy_repeat` predicts its repeats.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from seqbucket.batching.noise_table import noise_table


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


def spread_widths(total: int, b: int) -> tuple[int, int, int]:
    """``(M, w, tail)``: the uniform ``carry`` cut of ``total`` examples into ``M = max(1,
    floor(total / b))`` batches, the first ``M - tail`` of width ``w`` and the last ``tail`` of
    width ``w + 1`` (``w = b`` and ``tail`` = the remainder when ``M >= remainder``; one batch of
    ``total`` when ``total < b``)."""
    m = max(1, total // b)
    w, tail = divmod(total, m)
    return m, w, tail


def spread_cut_points(total: int, b: int) -> np.ndarray:
    """``(M,)`` int64 batch ends of :func:`spread_widths` (the last one is ``total``)."""
    m, w, tail = spread_widths(total, b)
    widths = np.full(m, w, dtype=np.int64)
    widths[m - tail :] += 1
    return np.cumsum(widths)


def spread_padded_tokens(counts: np.ndarray, bounds: np.ndarray, b: int) -> int:
    """Padded tokens of the uniform ``carry`` cut (:func:`spread_widths`), every batch padded to
    the boundary of its last (longest) member's bucket. ``O(K)``: the batches ending inside bucket
    ``k`` (positions ``lo_k < end <= hi_k``) hold ``C(hi_k) - C(lo_k)`` examples, ``C(x)`` being
    the last batch end ``<= x``."""
    counts = np.asarray(counts, dtype=np.int64)
    hi = np.cumsum(counts)
    lo = hi - counts
    m, w, tail = spread_widths(int(hi[-1]), b)
    knee = (m - tail) * w  # where the batches of width w + 1 begin

    def last_end(x: np.ndarray) -> np.ndarray:
        wide = knee + ((x - knee) // (w + 1)) * (w + 1)
        return np.where(x <= knee, (x // w) * w, wide)

    return int(np.dot(last_end(hi) - last_end(lo), np.asarray(bounds, dtype=np.int64)))


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
    *,
    spread: bool = False,
) -> float:
    """Predicted repeat-pair fraction between consecutive epochs, from bucket counts alone.

    Args:
        counts: ``(K,)`` examples per bucket.
        sizes: ``(K,)`` batch sizes (``carry``).
        per_bucket: ``(K,)`` batch counts of the ``even`` cut, or None for ``carry``.
        within: ``(n, b) -> repeat probability`` of a pair of batch-mates of one bucket of ``n``
            cut into batches of ``b`` (``shuffle.expected_repeat``).
        spread: the uniform ``carry`` cut of :func:`spread_widths` (``sizes`` all equal): batch
            widths follow ``spread_widths(N, sizes[0])`` instead of the bucket sizes.

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
    filled, closed = 0, 0  # examples in the open batch; batches closed so far
    m_all, w, tail = spread_widths(int(np.sum(counts)), int(np.asarray(sizes)[0]))
    knee = m_all - tail  # spread: batches from this index on are one wider

    def close() -> None:
        nonlocal num, total, filled, closed
        total += pairs(filled)
        share = [(x, x / na) for na, x in open_]
        for i, (na, x) in enumerate(open_):
            num += pairs(x) * (x / na) * ((x - 1) / max(na - 1, 1))
            num += sum(x * (share[i][1]) * y * f for y, f in share[i + 1 :])
        open_.clear()
        filled, closed = 0, closed + 1

    for n, size in zip(np.asarray(counts).tolist(), np.asarray(sizes).tolist(), strict=True):
        left = n
        while left:
            s = size if not spread else w + (closed >= knee)
            if filled == 0 and left >= s:
                full = left // s
                if spread and closed < knee:
                    full = min(full, knee - closed)  # stop where the batches widen
                num += full * pairs(s) * within(n, size)
                total += full * pairs(s)
                left -= full * s
                closed += full
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


def noisy_repeat(values: np.ndarray, counts: np.ndarray, width: float, b: int) -> float:
    """Predicted repeat-pair fraction between consecutive epochs of the ``noisy`` cut: sort by
    ``L + width * u`` (``u`` uniform, fresh each epoch) and cut consecutive batches of ``b``.

    Locally the noise spans ``rho = n_W(v) / b`` batches (``n_W(v)``: examples within a window of
    ``W = max(width, 1)`` around length ``v``, ties included). Batch-mates are two keys within one
    batch's key span whose noises differ by ``V = u_1 - u_2``; next epoch they meet again with
    probability ``r(rho) = int q(rho d) q(d) dd`` (``q``: density of ``U1-U2+U3-U4``), about
    ``(2/3) / rho`` for wide noise (tabulated in ``noise_table.py``). Example-weighted over the
    distinct lengths; ``O(D log D)``.
    """
    v = np.asarray(values, dtype=np.float64)
    c = np.asarray(counts, dtype=np.int64)
    cum = np.concatenate([[0], np.cumsum(c)])
    half = max(float(width), 1.0) / 2.0
    lo = np.searchsorted(v, v - half + 1e-9, side="left")
    hi = np.searchsorted(v, v + half - 1e-9, side="right")
    rho = np.maximum((cum[hi] - cum[lo]) / b, 1e-3)
    grid, table = noise_table()  # shipped values: computing them costs ~0.3 s
    r = np.interp(np.log(rho), np.log(grid), table)
    return float(np.dot(r, c) / cum[-1])
