"""``auto``: sort by a noisy log length, cut the order into batches; the noise meets the knob.

NOTE [auto rule]: each epoch, example ``i`` gets the key ``log L_i + w * u_i`` with ``u_i``
uniform on ``[0, 1)``, drawn fresh from ``(seed, epoch)`` (equal keys in random order), and the
sorted order is cut into batches. Epochs are independent draws, so every gap between two epochs
repeats the same share of batch-mate pairs on average. ``w = 0`` is a sort by length with ties
shuffled (least padding); a wide ``w`` is a plain shuffle (``random``). The width ``w`` is the
smallest of a fixed grid (0, then ``span / 256`` to ``8 * span`` in steps of ``2 ** (1/16)``,
``span = log(max L / min L)``) whose repeat-pair fraction, *measured* on probe epochs (a fixed
probe seed, epochs 0-2, all 3 pairs averaged), is at most ``_AIM`` times ``1 - randomness``. If
none is, the plan is a plain shuffle. Above ``_PROBE_MAX_N`` examples the probe runs on an
evenly strided subsample and its figure is scaled by ``subsample / N``: at a fixed width, twice
the examples give every batch twice the candidates, so half the repeats. (Lengths rarer than a
batch repeat regardless, so there the scaled figure reads low: 0.001 where 10 million lognormal
lengths measured 0.004 at ``w = 0``, both far under any target.)

Cuts (:func:`cut_points`): with one ``batch_size`` and at most ``_DP_MAX_N`` examples, the
``M = max(1, N // batch_size)`` batches of ``batch_size / 4`` to ``1.25 * batch_size`` examples
that minimise the padded tokens of the noisy order (an exact dynamic programme, so the mean batch
is at least ``batch_size``); beyond that, ``M`` consecutive batches of ``batch_size`` or one
more. Under a token budget, each batch takes as many examples as fit; ``drop_last`` keeps
batches of exactly ``batch_size``.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict

import numpy as np

from seqbucket.batching.budget import budget_batch_sizes
from seqbucket.batching.config import BatchingConfig
from seqbucket.batching.engine import Grouping, rng_for, spread_cut_points
from seqbucket.batching.pairs import repeat_pair_fraction_batches
from seqbucket.errors import DataError

_NOISE = 5  # rng stream of the noisy order
_PROBE_SEED = 7919  # the probe's seed: any fixed value, the epochs are independent draws
_PROBE_EPOCHS = 3
_PROBE_MAX_N = 100_000
_AIM = 0.9  # probe at 90% of the target: one gap's figure scatters a few % around the mean
_DP_MAX_N = 4096
_SHRINK, _GROW = 4, 1.25  # optimal cuts: batches of b / 4 to 1.25 b examples (measured best)
_GRID = (0.0, *(2.0 ** (k / 16) / 256 for k in range(177)))  # times span: 1/256 .. 8

# (lengths digest, config) -> (width, probed repeat); the choice does not depend on the epoch.
_CACHE: OrderedDict[tuple, tuple[float, float]] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def noisy_order(lengths: np.ndarray, width: float, rng: np.random.Generator) -> np.ndarray:
    """``(N,)`` int64: the examples sorted by ``log L + width * u`` (equal keys in random order;
    ``width = inf``: a plain shuffle). The key is quantised to 16 bits for an ``O(N)`` radix sort:
    lengths within ``(span + width) / 65535`` in log length (0.02% for a 10,000x range) count as
    equal. The log is taken once per length value where the range allows a table."""
    perm = rng.permutation(lengths.size)
    if math.isinf(width):
        return perm
    lo, hi = int(lengths.min()), int(lengths.max())
    span = math.log(hi / lo)
    scale = 65535.0 / (span + width) if span + width > 0 else 0.0
    if hi <= 4 * lengths.size + 1_000_000:  # a table over the length range
        table = np.log(np.arange(lo, hi + 1, dtype=np.float64) / lo) * scale
        logs = table.astype(np.float32)[lengths[perm] - lo]
    else:
        logs = (np.log(lengths[perm] / lo) * scale).astype(np.float32)
    if width > 0:
        logs += rng.random(lengths.size, dtype=np.float32) * np.float32(width * scale)
    key = np.minimum(logs, 65535.0).astype(np.uint16)
    return perm[np.argsort(key, kind="stable")]


def optimal_cut_points(seq: np.ndarray, b: int) -> np.ndarray:
    """Ends of the ``M = max(1, n // b)`` consecutive batches of ``b / 4 .. 1.25 b`` examples of
    ``seq`` (``(n,)`` lengths in batch order) that minimise ``sum(batch size * batch max)``.

    Dynamic programme over ``M`` layers: ``f_m(j) = min_s f_{m-1}(j - s) + s * max(seq[j-s:j])``,
    one ``(S, n)`` numpy pass per layer (``S = b`` sizes), ``O(n^2)`` in all. Returns ``(M,)``
    int64.
    """
    n = seq.size
    m = max(1, n // b)
    if m == 1:
        return np.array([n], dtype=np.int64)
    # b / 4 .. 1.25 b, widened to ceil(n / m) when fewer than 4 batches could not hold n
    sizes = np.arange(max(1, int(b / _SHRINK)), max(int(_GROW * b), -(-n // m)) + 1)  # (S,)
    j = np.arange(n + 1)
    start = j[None, :] - sizes[:, None]  # (S, n+1) where a batch of each size ending at j begins
    ok = start >= 0
    start = np.where(ok, start, 0)
    # cost[k, j]: a batch of sizes[k] ending at j, padded to its maximum
    win = np.zeros((sizes.size, n + 1))
    top = np.full(n, -np.inf)
    grow = np.lib.stride_tricks.sliding_window_view(seq.astype(np.float64), int(sizes[0]))
    top[: grow.shape[0]] = grow.max(axis=1)  # top[i] = max seq[i : i + s] for the current s
    for k, s in enumerate(sizes.tolist()):
        if k:
            top[: n - s + 1] = np.maximum(top[: n - s + 1], seq[s - 1 :])
        win[k, s:] = s * top[: n - s + 1]
    win[~ok] = np.inf
    f = np.full(n + 1, np.inf)
    f[0] = 0.0
    arg = np.empty((m, n + 1), dtype=np.int64)
    for layer in range(m):
        vals = f[start] + win  # (S, n+1)
        arg[layer] = vals.argmin(axis=0)
        f = vals[arg[layer], j]
    ends = np.empty(m, dtype=np.int64)
    at = n
    for layer in range(m - 1, -1, -1):
        ends[layer] = at
        at -= int(sizes[arg[layer, at]])
    return ends


def budget_cut_points(seq: np.ndarray, max_tokens: int, multiple_of: int) -> np.ndarray:
    """Ends of consecutive batches, each as long as ``size * max <= max_tokens`` allows (rounded
    down to a multiple of ``multiple_of`` where one fits); ``seq`` is ``(n,)`` in batch order."""
    n, at, ends = seq.size, 0, []
    reach = max(1, max_tokens // max(1, int(seq.min())))
    while at < n:
        top = np.maximum.accumulate(seq[at : at + reach])
        fits = int(np.searchsorted(np.arange(1, top.size + 1) * top > max_tokens, True))
        size = max(1, fits)
        if size >= multiple_of:
            size -= size % multiple_of
        at += size
        ends.append(at)
    return np.asarray(ends, dtype=np.int64)


def cut_points(seq: np.ndarray, config: BatchingConfig) -> np.ndarray:
    """The batch ends of NOTE [auto rule] for ``seq``, ``(n,)`` lengths in batch order."""
    b = int(config.batch_size)
    if config.max_tokens is not None:
        budget_batch_sizes(seq.max(keepdims=True), int(config.max_tokens))  # refuses a budget < max
        return budget_cut_points(seq, int(config.max_tokens), int(config.multiple_of))
    if config.drop_last:
        return np.arange(b, seq.size + 1, b, dtype=np.int64)
    if seq.size <= _DP_MAX_N:
        return optimal_cut_points(seq, b)
    return spread_cut_points(seq.size, b)


def noisy_grouping(
    lengths: np.ndarray, config: BatchingConfig, seed: int, epoch: int, width: float
) -> Grouping:
    """One epoch of ``auto`` at noise ``width`` (NOTE [auto rule]); batches padded to their
    maximum, one shape class (ranks share a step by similar pad length)."""
    order = noisy_order(lengths, width, rng_for(seed, epoch, _NOISE))
    ends = cut_points(lengths[order], config)
    if ends.size == 0:
        raise DataError(
            f"drop_last left no batch: {lengths.size} examples, fewer than one batch of"
            f" {config.batch_size}"
        )
    begin = np.concatenate([[0], ends[:-1]]).astype(np.int64)
    batched = lengths[order[: int(ends[-1])]]
    zeros = np.zeros(begin.size, dtype=np.int64)
    return Grouping(
        flat=order.astype(np.int64),
        begin=begin,
        end=ends,
        real_tokens=np.add.reduceat(batched, begin, dtype=np.int64),
        pad_lengths=np.maximum.reduceat(batched, begin).astype(np.int64),
        shape_class=zeros,
        bucket=zeros.copy(),
        boundaries=None,
        dropped=int(lengths.size - ends[-1]),
    )


def probe_repeat(lengths: np.ndarray, config: BatchingConfig, width: float) -> float:
    """Mean repeat-pair fraction over the 3 pairs of probe epochs 0-2 at ``width``, scaled to
    ``N`` when the probe subsamples (NOTE [auto rule])."""
    n = lengths.size
    scale = 1.0
    if n > _PROBE_MAX_N:
        lengths = lengths[np.linspace(0, n - 1, _PROBE_MAX_N).astype(np.int64)]
        scale = _PROBE_MAX_N / n
    epochs = [noisy_grouping(lengths, config, _PROBE_SEED, e, width) for e in range(_PROBE_EPOCHS)]
    batches = [[g.flat[a:z] for a, z in zip(g.begin, g.end, strict=True)] for g in epochs]
    figures = [
        repeat_pair_fraction_batches(batches[a], batches[z])
        for a in range(_PROBE_EPOCHS)
        for z in range(a + 1, _PROBE_EPOCHS)
    ]
    return scale * float(np.mean(figures))


def choose_width(lengths: np.ndarray, config: BatchingConfig) -> tuple[float, float]:
    """``(width, probed repeat)`` of NOTE [auto rule]: bisection over the grid (the repeat falls
    as the width grows); ``(inf, probe of a plain shuffle)`` when no width meets the target."""
    target = _AIM * (1.0 - float(config.resolved_randomness))
    span = float(np.log(lengths.max() / lengths.min()))
    if span == 0.0 or target >= _AIM:  # one length, or randomness 0: sorted, ties shuffled
        return 0.0, probe_repeat(lengths, config, 0.0)
    grid = [span * g for g in _GRID]
    lo, hi = 0, len(grid)  # answer in [lo, hi]; hi = len(grid) means "none"
    found: dict[int, float] = {}
    while lo < hi:
        mid = (lo + hi) // 2
        found[mid] = probe_repeat(lengths, config, grid[mid])
        if found[mid] <= target:
            hi = mid
        else:
            lo = mid + 1
    if lo == len(grid):
        return math.inf, probe_repeat(lengths, config, math.inf)
    return grid[lo], found[lo]


def cached_width(lengths: np.ndarray, config: BatchingConfig) -> tuple[float, float]:
    """:func:`choose_width`, remembered for the last 8 (lengths, config): replanning an epoch
    is then ``O(N)`` plus its cuts. Thread-safe (the lookup and the insert hold a lock)."""
    lengths = np.ascontiguousarray(lengths)
    digest = hashlib.blake2b(lengths.view(np.uint8), digest_size=16).hexdigest()
    key = (digest, lengths.size, lengths.dtype.str, config)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    found = choose_width(lengths, config)
    with _CACHE_LOCK:
        _CACHE[key] = found
        while len(_CACHE) > 8:
            _CACHE.popitem(last=False)
    return found


def auto(lengths: np.ndarray, config: BatchingConfig, seed: int, epoch: int) -> Grouping:
    """The ``auto`` strategy: NOTE [auto rule]."""
    width, probed = cached_width(lengths, config)
    g = noisy_grouping(lengths, config, seed, epoch, width)
    g.expected_repeat = probed
    g.notes.update(noise_width=width, randomness=float(config.resolved_randomness))
    return g
