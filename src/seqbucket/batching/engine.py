"""The bucket engine: lengths + bucket edges -> one epoch's batches (a :class:`Grouping`).

Shared by the ``auto``, ``buckets``, ``pad-all``, ``per-length`` and ``random`` strategies; the
``noisy`` cut of ``auto`` (:func:`noisy_sorted`) sorts by a noisy length instead of bucketing.
Randomness: ``np.random.default_rng([seed, epoch, stream])`` per epoch and
``default_rng([seed, stream])`` for what is fixed per seed (the slots of ``shuffle.py``), so a plan
is a pure function of its arguments. ``O(N)`` plus ``O(K)`` Python steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from seqbucket.batching.boundaries import distinct_counts
from seqbucket.batching.budget import bucket_batch_sizes
from seqbucket.batching.config import BatchingConfig
from seqbucket.batching.cutting import (
    even_batch_counts,
    even_cut_points,
    expected_repeat_cut,
    noisy_repeat,
    spread_cut_points,
)
from seqbucket.batching.shuffle import bucket_positions, expected_repeat
from seqbucket.errors import DataError

_SLOTS, _OFFSETS, _NOISE = 1, 2, 5  # rng streams
ORDER_STREAM = 3  # rng stream of per-sample order (the planner uses 4 for step order)


@dataclass
class Grouping:
    """One epoch's batches before batch-order shuffling and rank splitting."""

    flat: np.ndarray  # (N',) int64 example indices, batch after batch
    begin: np.ndarray  # (M,) int64 batch m is flat[begin[m]:end[m]]
    end: np.ndarray  # (M,) int64
    real_tokens: np.ndarray  # (M,) int64 real (unpadded, after truncation) tokens per batch
    pad_lengths: np.ndarray  # (M,) int64 padded length T of each batch
    shape_class: np.ndarray  # (M,) int64 batches of one class may share a step across ranks
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


def bucketed(
    lengths: np.ndarray,
    edges: tuple[int, ...],
    config: BatchingConfig,
    seed: int,
    epoch: int,
    *,
    pad_to: str,
    how: str = "carry",
    decorrelate: bool = True,
    limit_name: str = "the last boundary",
) -> Grouping:
    """The bucket engine shared by ``buckets``, ``auto``, ``pad-all`` and ``per-length``.

    Bucket ``k`` holds ``edges[k-1] < L <= edges[k]``; within a bucket the order is the
    decorrelated shuffle of ``shuffle.py``; buckets are laid end to end, shortest first, and cut
    into batches: ``how="carry"`` or ``"even"`` as in ``cutting.py``, or ``"exact"``
    (``per-length``): batches of the bucket's size, each bucket ending in a partial batch.
    """
    n = lengths.size
    bounds = np.asarray(edges, dtype=np.int64)
    last = int(bounds[-1])
    small = np.int32 if max(last, int(lengths.max())) < 2**31 else np.int64  # halves memory traffic
    n_over = 0
    keep: np.ndarray | None = None  # None: every example is kept (the common, fast case)
    eff = lengths.astype(small)  # (N',) lengths as batched (truncated ones cut to the last edge)
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
    counts = np.bincount(bid, minlength=k_count)
    by_bucket = np.argsort(bid, kind="stable")  # radix sort (O(N)) for int16 keys
    sizes = bucket_batch_sizes(bounds, config)
    starts = np.zeros(k_count + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    total = eff.size
    arranged = np.empty(total, dtype=np.int64)  # positions into eff, bucket by bucket
    slot_rng, off_rng = rng_for(seed, _SLOTS), rng_for(seed, epoch, _OFFSETS)
    budget = config.max_tokens is not None or (
        config.bucket_batch_sizes is not None and config.strategy == "buckets"
    )
    per_bucket = (
        even_batch_counts(counts, sizes, budget=budget, mean_size=config.batch_size)
        if how == "even"
        else None
    )
    # One batch size everywhere: spread the remainder over the last batches (cutting.py), so the
    # mean batch size stays >= batch_size; a budget (hard caps) or drop_last keeps fixed sizes.
    spread = how == "carry" and not budget and not config.drop_last
    cuts: list[np.ndarray] = []
    partial: list[np.ndarray] = []  # True where a cut closes a batch smaller than its bucket's
    cursor = 0
    for k in range(k_count):
        lo, hi, size = int(starts[k]), int(starts[k + 1]), int(sizes[k])
        m = hi - lo
        if per_bucket is not None and m:
            size = -(-m // int(per_bucket[k]))  # the bucket's largest batch, for decorrelation
        if m:
            if decorrelate:
                slots = slot_rng.permutation(m)
                pos = bucket_positions(m, size, slots, epoch, int(off_rng.integers(m)))
            else:
                pos = off_rng.permutation(m)
            arranged[lo + pos] = by_bucket[lo:hi]
        if per_bucket is not None:
            if m:
                cuts.append(even_cut_points(lo, m, int(per_bucket[k])))
                partial.append(np.zeros(int(per_bucket[k]), dtype=bool))
            cursor = hi
            continue
        if spread:
            continue
        if how == "exact":
            cursor = lo
        full = (hi - cursor) // size
        cuts.append(cursor + size * np.arange(1, full + 1))
        partial.append(np.zeros(full, dtype=bool))
        cursor += full * size
        if how == "exact" and cursor < hi:
            cuts.append(np.array([hi]))
            partial.append(np.ones(1, dtype=bool))
            cursor = hi
    if spread:
        cuts = [spread_cut_points(total, int(config.batch_size))]
        partial = [np.zeros(cuts[0].size, dtype=bool)]
    elif cursor < total:  # the epoch's last, smaller batch
        cuts.append(np.array([total]))
        partial.append(np.ones(1, dtype=bool))
    cut = np.concatenate(cuts).astype(np.int64)
    short = np.concatenate(partial)
    begin = np.concatenate([[0], cut[:-1]]).astype(np.int64)
    top = bid[arranged[cut - 1]].astype(np.int64)  # bucket of each batch's last = longest
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
    if decorrelate:
        expected = expected_repeat_cut(counts, sizes, per_bucket, expected_repeat, spread=spread)
    else:  # independent shuffles: (B-1)/(n-1) for batch-mates of one bucket
        expected = expected_repeat_cut(
            counts,
            sizes,
            per_bucket,
            lambda c, s: min(1.0, (s - 1) / max(c - 1, 1)),
            spread=spread,
        )
    return Grouping(
        flat=arranged if keep is None else keep[arranged],
        begin=begin,
        end=cut,
        real_tokens=real,
        pad_lengths=np.asarray(pads, dtype=np.int64),
        shape_class=top,
        bucket=top,
        boundaries=tuple(int(x) for x in bounds),
        dropped=dropped,
        truncated=int(truncated.sum()),
        expected_repeat=expected,
    )


def noisy_sorted(
    lengths: np.ndarray, config: BatchingConfig, seed: int, epoch: int, width: float
) -> Grouping:
    """The ``noisy`` cut: sort by ``L + floor(width * u)`` (``u`` uniform, fresh from (seed,
    epoch)), ties in random order, and cut consecutive batches of :func:`cutting.spread_widths`
    (no short batch), each padded to its maximum.

    A batch then gathers neighbours in length, and which neighbours changes every epoch: the
    noise moves the batch edges, as Hugging Face's megabatch sort does with random megabatches.
    ``O(N)`` (a radix sort of 16-bit keys) when ``max - min length + width < 65,536``; an
    ``O(N log N)`` sort otherwise. One shape class (ranks share a step by similar pad length).
    """
    n = lengths.size
    rng = rng_for(seed, epoch, _NOISE)
    perm = rng.permutation(n)  # random order among equal keys
    key = lengths[perm] - int(lengths.min())
    if width >= 1.0:
        key = key + np.floor(width * rng.random(n)).astype(np.int64)
    if int(key.max()) < 2**16:
        order = perm[np.argsort(key.astype(np.uint16), kind="stable")]  # radix sort, O(N)
    else:
        order = perm[np.argsort(key, kind="stable")]
    ends = spread_cut_points(n, int(config.batch_size))
    begin = np.concatenate([[0], ends[:-1]]).astype(np.int64)
    batched = lengths[order]
    pads = np.maximum.reduceat(batched, begin).astype(np.int64)
    zeros = np.zeros(begin.size, dtype=np.int64)
    values, counts = distinct_counts(lengths)
    return Grouping(
        flat=order.astype(np.int64),
        begin=begin,
        end=ends.astype(np.int64),
        real_tokens=np.add.reduceat(batched, begin, dtype=np.int64),
        pad_lengths=pads,
        shape_class=zeros,
        bucket=zeros.copy(),
        boundaries=(int(lengths.max()),),  # one bucket: everything, each batch at its maximum
        expected_repeat=noisy_repeat(values, counts, width, int(config.batch_size)),
    )
