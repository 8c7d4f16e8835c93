"""The bucket engine: lengths + bucket edges -> one epoch's batches (a :class:`Grouping`).

Shared by the ``buckets``, ``pad-all``, ``per-length`` and ``random`` strategies (``auto`` sorts by
a noisy length instead: ``noisy.py``). Each epoch, the order inside every bucket is an
independent uniform shuffle drawn from ``np.random.default_rng([seed, epoch, stream])``
(:func:`shuffled_by_group`, one sort of packed keys, shared with ``auto``), so no epoch depends
on another and a plan is a pure function of its arguments. One ``O(N log N)`` sort plus ``O(N)``
passes and ``O(K)`` Python steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from seqbucket.batching.budget import bucket_batch_sizes
from seqbucket.batching.config import BatchingConfig
from seqbucket.errors import DataError

_ORDER = 2  # rng stream of the within-bucket order
ORDER_STREAM = 3  # rng stream of per-sample order (the planner uses 4 for step order)


@dataclass
class Grouping:
    """One epoch's batches before batch-order shuffling and rank splitting."""

    flat: np.ndarray  # (N',) int64 example indices, batch after batch
    begin: np.ndarray  # (M,) int64 batch m is flat[begin[m]:end[m]]
    end: np.ndarray  # (M,) int64
    real_tokens: np.ndarray  # (M,) int64 real (unpadded, after truncation) tokens per batch
    pad_lengths: np.ndarray  # (M,) int64 padded length T of each batch
    bucket: np.ndarray  # (M,) int64 bucket of each batch (for per-bucket statistics)
    boundaries: tuple[int, ...] | None  # the bucket edges used (None: no buckets)
    dropped: int = 0  # examples left out (overlong under "drop", or drop_last)
    truncated: int = 0  # examples longer than their batch's pad length (collate truncates)
    expected_repeat: float | None = None  # predicted repeat-pair fraction vs the next epoch
    notes: dict[str, object] = field(default_factory=dict)  # e.g. the K that auto chose


def rng_for(seed: int, *stream: int) -> np.random.Generator:
    """The generator of one stream: ``(seed, stream)`` per seed, ``(seed, epoch, stream)``
    per epoch. Independent streams keep a plan reproducible piece by piece."""
    return np.random.default_rng([int(seed), *stream])


def shuffled_by_group(group: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``(N,)`` int64: the indices of ``group`` (``(N,)`` non-negative ints) ordered by group,
    each group in a fresh random order.

    One ``np.sort`` of packed uint64 keys ``group | random bits | index`` (numpy's SIMD sort):
    at 10 million examples about half the time of a permutation, a stable radix argsort and
    their gathers. The random bits fill what the group and the index leave of 64 (28 at 10
    million examples and 4,000 groups); the rare ties among them keep index order. With fewer
    than 16 bits to spare, a permutation and a stable argsort instead."""
    n = group.size
    top = int(group.max()) if n else 0
    if top == 0:
        return rng.permutation(n)
    nbits, gbits = max(1, (n - 1).bit_length()), top.bit_length()
    spare = 64 - nbits - gbits
    if spare < 16:
        perm = rng.permutation(n)
        return perm[np.argsort(group[perm], kind="stable")]
    key = group.astype(np.uint64)
    key <<= np.uint64(64 - gbits)
    key |= rng.integers(0, 1 << spare, size=n, dtype=np.uint64) << np.uint64(nbits)
    key |= np.arange(n, dtype=np.uint64)
    key.sort()
    key &= np.uint64((1 << nbits) - 1)
    return key.view(np.int64)


def overlong_mask(lengths: np.ndarray, limit: int, policy: str, *, what: str) -> np.ndarray:
    """Bool ``(N,)``: which examples are longer than ``limit``. Under ``error`` raise a
    ``DataError`` naming how many and the longest; ``drop``/``truncate`` return the mask."""
    over = lengths > limit
    count = int(over.sum())
    if count and policy == "error":
        raise DataError(
            f"expected every length <= {limit} ({what}), got {count} longer sequence"
            f"{'s' if count > 1 else ''} (longest {int(lengths.max())}, first at example index"
            f" {int(np.flatnonzero(over)[0])}); use overlong='drop' or 'truncate'"
        )
    return over


def spread_cut_points(total: int, b: int) -> np.ndarray:
    """``(M,)`` int64 batch ends of ``total`` examples in ``M = max(1, total // b)`` consecutive
    batches: the remainder is spread over the last batches (one more example each, or near-equal
    sizes when ``M`` is below the remainder), so the mean batch is at least ``b`` when
    ``total >= b`` and no batch is short. The last end is ``total``."""
    m = max(1, total // b)
    w, tail = divmod(total, m)
    widths = np.full(m, w, dtype=np.int64)
    widths[m - tail :] += 1
    return np.cumsum(widths)


def shuffled_repeat(counts: np.ndarray, sizes: np.ndarray) -> float:
    """Expected repeat-pair fraction between two epochs of independent within-bucket shuffles:
    a pair of one bucket of ``n`` examples cut into batches of ``B`` meets again with probability
    ``(B-1)/(n-1)``, weighed by the bucket's pairs (about ``K (B-1) / N`` for ``K`` large buckets,
    whatever their sizes). Ignores batches that straddle two buckets. ``(K,)`` each."""
    n = np.asarray(counts, dtype=np.float64)
    b = np.minimum(np.asarray(sizes, dtype=np.float64), n)
    pairs = n * (b - 1) / 2  # batch-mate pairs in the bucket (full batches)
    again = np.where(n > 1, (b - 1) / np.maximum(n - 1, 1), 0.0)
    total = float(pairs.sum())
    return float((pairs * again).sum() / total) if total else 0.0


def bucketed(
    lengths: np.ndarray,
    edges: tuple[int, ...],
    config: BatchingConfig,
    seed: int,
    epoch: int,
    *,
    pad_to: str,
    exact: bool = False,
    limit_name: str = "the last boundary",
) -> Grouping:
    """The bucket engine shared by ``buckets``, ``pad-all``, ``per-length`` and ``random``.

    Bucket ``k`` holds ``edges[k-1] < L <= edges[k]``; inside a bucket the order is a fresh
    independent shuffle each epoch; buckets are laid end to end, shortest first, and cut into
    consecutive batches. A bucket's leftover opens the next bucket's first batch (padded to that
    bucket), so a few batches straddle two buckets. With one ``batch_size`` everywhere (no token
    budget, no per-bucket sizes, no ``drop_last``) the epoch has ``max(1, N // batch_size)``
    batches (:func:`spread_cut_points`); otherwise every batch holds its bucket's size and only
    the epoch's last can be smaller. ``exact`` (``per-length``): batches never straddle, each
    bucket ends in its own partial batch.
    """
    n = lengths.size
    bounds = np.asarray(edges, dtype=np.int64)
    last = int(bounds[-1])
    n_over = 0
    keep: np.ndarray | None = None  # None: every example is kept (the common, fast case)
    eff = lengths  # (N',) lengths as batched (truncated ones cut to the last edge)
    if int(lengths.max()) > last:
        over = overlong_mask(lengths, last, config.overlong, what=limit_name)
        n_over = int(over.sum())
        if config.overlong == "drop":
            keep = np.flatnonzero(~over)
            eff = eff[keep]
        else:
            eff = np.minimum(eff, last)
    if eff.size == 0:
        raise DataError(f"no example is <= the last boundary {last}; all {n} were dropped")
    k_count = bounds.size
    key_type = np.int16 if k_count < 2**15 else np.int32
    if last <= 4 * n + 1_000_000:
        table = np.searchsorted(bounds, np.arange(last + 1), side="left").astype(key_type)
        bid = table[eff]  # O(N) gather instead of an O(N log K) search
    else:
        bid = np.searchsorted(bounds, eff, side="left").astype(key_type)
    # Independent shuffles: bucket by bucket, each in a fresh random order.
    arranged = shuffled_by_group(bid, rng_for(seed, epoch, _ORDER))  # positions into eff
    counts = np.bincount(bid, minlength=k_count)
    sizes = bucket_batch_sizes(bounds, config)
    starts = np.concatenate([[0], np.cumsum(counts)])
    total = eff.size
    fixed = config.max_tokens is not None or config.bucket_batch_sizes is not None
    if exact:  # every bucket cut on its own; the last batch of each may be short
        spans = zip(starts[:-1].tolist(), starts[1:].tolist(), sizes.tolist(), strict=True)
        cuts = [np.minimum(np.arange(lo + b, hi + b, b), hi) for lo, hi, b in spans if hi > lo]
    elif fixed or config.drop_last:  # every batch at its bucket's size, leftovers carried up
        cuts, cursor = [], 0
        for k in range(k_count):
            size, hi = int(sizes[k]), int(starts[k + 1])
            full = (hi - cursor) // size
            cuts.append(cursor + size * np.arange(1, full + 1))
            cursor += full * size
        cuts.append(np.array([total]) if cursor < total else np.zeros(0, dtype=np.int64))
    else:
        cuts = [spread_cut_points(total, int(config.batch_size))]
    cut = np.concatenate(cuts).astype(np.int64)
    begin = np.concatenate([[0], cut[:-1]]).astype(np.int64)
    top = bid[arranged[cut - 1]].astype(np.int64)  # bucket of each batch's last = longest
    short = (cut - begin) < sizes[top]
    if not exact and not (fixed or config.drop_last):
        short[:] = False  # the spread cut has no short batch by construction
    batched = eff[arranged]  # (N',) lengths in batch order
    real = np.add.reduceat(batched, begin, dtype=np.int64)
    if pad_to == "boundary":
        pads = bounds[top]
    else:
        pads = np.maximum.reduceat(batched, begin).astype(np.int64)
    dropped = n_over if config.overlong == "drop" else 0
    truncated = np.zeros(begin.size, dtype=np.int64)  # per batch: examples cut to the pad
    if n_over and config.overlong == "truncate":
        truncated = np.add.reduceat((lengths > last)[arranged], begin, dtype=np.int64)
    if config.drop_last and short.any():
        dropped += int((cut - begin)[short].sum())
        begin, cut, top, pads, real, truncated = (
            x[~short] for x in (begin, cut, top, pads, real, truncated)
        )
    if cut.size == 0:
        raise DataError(
            f"drop_last left no batch: {total} examples, fewer than one batch of {int(sizes.min())}"
        )
    return Grouping(
        flat=arranged if keep is None else keep[arranged],
        begin=begin,
        end=cut,
        real_tokens=real,
        pad_lengths=np.asarray(pads, dtype=np.int64),
        bucket=top,
        boundaries=tuple(int(x) for x in bounds),
        dropped=dropped,
        truncated=int(truncated.sum()),
        expected_repeat=shuffled_repeat(counts, sizes),
    )
