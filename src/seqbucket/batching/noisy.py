"""``auto``: sort by a noisy log length, cut the order into batches; the noise meets the knob.

NOTE [auto rule]: each epoch, example ``i`` gets the key ``h(L_i) + w * u_i`` with ``u_i``
uniform on ``[0, 1)``, drawn fresh from ``(seed, epoch)`` (equal keys in random order), and the
sorted order is cut into batches. ``h`` places a length in ``[0, 1]``, in one of two spaces:
``"log"`` (log length, scaled to its range) or ``"rank"`` (the share of examples shorter, ties
sharing one value). Epochs are independent draws, so every gap between two epochs repeats the
same share of batch-mate pairs on average. ``w = 0`` is a sort by length with ties shuffled
(least padding); a wide ``w`` is a plain shuffle (``random``). For each space, the width is the
smallest of a fixed grid (0, then 1/256 to 8 in steps of ``2 ** (1/16)``) whose repeat-pair
fraction, *measured* on probe epochs (a fixed probe seed, epochs 0-2, all 3 pairs averaged), is
at most ``_AIM`` times ``1 - randomness``; of the two, the one whose probe epochs padded less is
kept. If no width meets the target, the plan is a plain shuffle. Log space suits skewed lengths
(PLAID), rank space even ones (uniform gesture lengths). Above ``_PROBE_MAX_N`` examples only log
space is tried (16-bit keys would lump ranks together), the probe runs on an evenly strided
subsample and its figure is scaled by ``subsample / N``: at a fixed width, twice the examples
give every batch twice the candidates, so half the repeats. (Lengths rarer than a batch repeat
regardless, so there the scaled figure reads low: 0.001 where 10 million lognormal lengths
measured 0.004 at ``w = 0``, both far under any target.)

Cuts (:func:`cut_points`): with one ``batch_size`` and at most ``_DP_MAX_N`` examples, the
``M = max(1, N // batch_size)`` batches of ``batch_size / 4`` to ``1.25 * batch_size`` examples
that minimise the padded tokens of the noisy order (an exact dynamic programme, so the mean batch
is at least ``batch_size``); beyond that, ``M`` consecutive batches of ``batch_size`` or one
more. Under a token budget, each batch takes as many examples as fit (greedy cuts, in stretches
of about 256 budgets cut side by side: :func:`budget_cut_points`); ``drop_last`` keeps batches of
exactly ``batch_size``.
"""

from __future__ import annotations

import math
import threading
import zlib
from collections import OrderedDict

import numpy as np

from seqbucket.batching.boundaries import distinct_counts
from seqbucket.batching.budget import budget_batch_sizes
from seqbucket.batching.config import BatchingConfig
from seqbucket.batching.engine import Grouping, rng_for, shuffled_by_group, spread_cut_points
from seqbucket.batching.pairs import repeat_pair_fraction_flat
from seqbucket.errors import DataError

_NOISE = 5  # rng stream of the noisy order
_PROBE_SEED = 7919  # the probe's seed: any fixed value, the epochs are independent draws
_PROBE_EPOCHS = 3
_PROBE_MAX_N = 100_000
_AIM = 0.9  # probe at 90% of the target: one gap's figure scatters a few % around the mean
_DP_MAX_N = 4096
_SHRINK, _GROW = 4, 1.25  # optimal cuts: batches of b / 4 to 1.25 b examples (measured best)
_STRETCH_BATCHES = 256  # budget cuts: stretches cut independently, ~256 batches each
_GRID = (0.0, *(2.0 ** (k / 16) / 256 for k in range(177)))  # widths 0, 1/256 .. 8

# (lengths digest, config) -> (space, width, probed repeat); the choice does not depend on the
# epoch.
_CACHE: OrderedDict[tuple, tuple[str, float, float]] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def positions(lengths: np.ndarray, space: str) -> np.ndarray:
    """``(N,)`` float32 ``h(L)`` in ``[0, 1]`` (NOTE [auto rule]): ``"log"``, log length scaled
    to its range; ``"rank"``, the mid-rank share of examples shorter. Computed once per distinct
    length (``O(N)`` with a dense length range)."""
    values, counts = distinct_counts(lengths)
    if space == "log":
        h = np.log(values / values[0])
    else:
        h = np.cumsum(counts) - counts / 2.0
        h -= h[0]
    h = (h / h[-1] if h[-1] > 0 else h).astype(np.float32)
    lo, hi = int(values[0]), int(values[-1])
    if hi - lo <= 4 * lengths.size + 1_000_000:
        table = np.zeros(hi - lo + 1, dtype=np.float32)
        table[values - lo] = h
        return table[lengths - lo]
    return h[np.searchsorted(values, lengths)]


def noisy_order(h: np.ndarray, width: float, rng: np.random.Generator) -> np.ndarray:
    """``(N,)`` int64: the examples sorted by ``h + width * u`` (``h``: :func:`positions`;
    equal keys in random order; ``width = inf``: a plain shuffle). The key is quantised to 16
    bits: positions within ``(1 + width) / 65535`` count as equal, and equal keys come out
    shuffled by :func:`~seqbucket.batching.engine.shuffled_by_group` (one packed sort)."""
    if math.isinf(width):
        return rng.permutation(h.size)
    scale = np.float32(65535.0 / (1.0 + width))
    key = h if width == 0 else h + rng.random(h.size, dtype=np.float32) * np.float32(width)
    return shuffled_by_group((key * scale).astype(np.uint16), rng)


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


def stretch_starts(seq: np.ndarray, max_tokens: int, batches: int = _STRETCH_BATCHES) -> np.ndarray:
    """``(S,)`` int64 first positions of the stretches that :func:`budget_cut_points` cuts
    independently: equal shares of ``seq``'s tokens, about ``batches`` budgets each (one stretch
    when ``seq`` holds fewer)."""
    tokens = np.cumsum(seq, dtype=np.int64)
    count = max(1, int(tokens[-1] // (max_tokens * batches)))
    edges = np.searchsorted(tokens, (tokens[-1] * np.arange(1, count)) // count, side="right")
    return np.unique(np.concatenate([[0], edges[edges < seq.size]])).astype(np.int64)


def budget_cut_points(
    seq: np.ndarray, max_tokens: int, multiple_of: int, batches: int = _STRETCH_BATCHES
) -> np.ndarray:
    """Ends of consecutive batches, each as long as ``size * max <= max_tokens`` allows (rounded
    down to a multiple of ``multiple_of`` where one fits); ``seq`` is ``(n,)`` in batch order.

    Greedy cuts are sequential, one batch after another, so a Python loop over the batches would
    cost ``O(M)`` numpy calls (0.6 s at 10 million lengths). Instead the order is split into
    stretches of about ``batches`` budgets (:func:`stretch_starts`), each cut greedily, all
    stretches a step at a time: ``O(batches)`` numpy passes over ragged windows, ``O(n)`` work in
    all. Only a stretch's last batch may hold fewer than fit (1 batch in ``batches``). Each window
    is the stretch's last batch size plus a quarter, doubled while all of it fits."""
    n = seq.size
    reach = max(1, max_tokens // max(1, int(seq.min())))  # no batch holds more
    at = stretch_starts(seq, max_tokens, batches)  # (R,) next start of each live stretch
    stop = np.append(at[1:], n)
    width = np.full(at.size, min(reach, 16), dtype=np.int64)
    lift = np.int64(int(seq.max()) + 1)  # row r's values + r * lift: one running max for all rows
    found = []
    while at.size:
        w = np.minimum(width, stop - at)  # (R,) window of each stretch, never past its end
        first = np.cumsum(w) - w  # where each row starts in the flat windows
        row = np.repeat(np.arange(at.size, dtype=np.int64), w)
        step = np.arange(row.size, dtype=np.int64) - first[row]  # 0 .. w-1 in each row
        top = np.maximum.accumulate(seq[at[row] + step] + row * lift) - row * lift
        fits = top * (step + 1) <= max_tokens  # a prefix of each row: the max only grows
        size = np.add.reduceat(fits, first, dtype=np.int64)
        more = (size == w) & (w == width) & (width < reach) & (at + w < stop)  # look further
        size = np.where(size >= multiple_of, size - size % multiple_of, size)
        size = np.where(more, 0, np.maximum(size, 1))  # 0 fit: over-budget, refused before
        at = at + size
        found.append(at[~more])
        width = np.minimum(reach, np.where(more, 2 * width, size + (size >> 2) + 16))
        live = at < stop
        at, stop, width = at[live], stop[live], width[live]
    return np.sort(np.concatenate(found))


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
    lengths: np.ndarray, config: BatchingConfig, seed: int, epoch: int, space: str, width: float
) -> Grouping:
    """One epoch of ``auto`` at noise ``width`` in ``space`` (NOTE [auto rule]); batches padded
    to their maximum."""
    order = noisy_order(positions(lengths, space), width, rng_for(seed, epoch, _NOISE))
    seq = lengths[order]  # (N,) lengths in batch order, gathered once
    ends = cut_points(seq, config)
    if ends.size == 0:
        raise DataError(
            f"drop_last left no batch: {lengths.size} examples, fewer than one batch of"
            f" {config.batch_size}"
        )
    begin = np.concatenate([[0], ends[:-1]]).astype(np.int64)
    batched = seq[: int(ends[-1])]
    zeros = np.zeros(begin.size, dtype=np.int64)
    return Grouping(
        flat=order.astype(np.int64, copy=False),
        begin=begin,
        end=ends,
        real_tokens=np.add.reduceat(batched, begin, dtype=np.int64),
        pad_lengths=np.maximum.reduceat(batched, begin).astype(np.int64),
        bucket=zeros.copy(),
        boundaries=None,
        dropped=int(lengths.size - ends[-1]),
    )


def probe(
    lengths: np.ndarray, config: BatchingConfig, space: str, width: float
) -> tuple[float, float]:
    """``(repeat, padded tokens)`` of probe epochs 0-2 at ``width`` in ``space``: the mean
    repeat-pair fraction over their 3 pairs (scaled to ``N`` when the probe subsamples, NOTE
    [auto rule]) and their mean padded tokens."""
    n = lengths.size
    scale = 1.0
    if n > _PROBE_MAX_N:
        lengths = lengths[np.linspace(0, n - 1, _PROBE_MAX_N).astype(np.int64)]
        scale = _PROBE_MAX_N / n
    epochs = [
        noisy_grouping(lengths, config, _PROBE_SEED, e, space, width) for e in range(_PROBE_EPOCHS)
    ]
    flat = [(g.flat[: int(g.end[-1])], g.end - g.begin) for g in epochs]  # batches: contiguous
    figures = [
        repeat_pair_fraction_flat(*flat[a], *flat[z])
        for a in range(_PROBE_EPOCHS)
        for z in range(a + 1, _PROBE_EPOCHS)
    ]
    padded = [float(np.dot(g.end - g.begin, g.pad_lengths)) for g in epochs]
    return scale * float(np.mean(figures)), float(np.mean(padded))


Choice = tuple[str, float, float]  # (space, width, probed repeat)


def choose_width(lengths: np.ndarray, config: BatchingConfig) -> Choice:
    """``(space, width, probed repeat)`` of NOTE [auto rule]: in each space, bisection over the
    grid (the repeat falls as the width grows); of the spaces that meet the target, the one whose
    probe padded less; ``("log", inf, ...)``, a plain shuffle, when none does."""
    target = _AIM * (1.0 - float(config.resolved_randomness))
    if lengths.max() == lengths.min() or target >= _AIM:  # one length, or randomness 0
        return "log", 0.0, probe(lengths, config, "log", 0.0)[0]
    best: tuple[float, Choice] | None = None  # (padded tokens, choice)
    for space in ("log", "rank") if lengths.size <= _PROBE_MAX_N else ("log",):
        lo, hi = 0, len(_GRID)  # answer in [lo, hi]; hi = len(_GRID) means "none"
        found = {0: probe(lengths, config, space, 0.0)}  # no noise often suffices on big data
        if found[0][0] <= target:
            hi = 0
        while lo < hi:
            mid = (lo + hi) // 2
            found[mid] = probe(lengths, config, space, _GRID[mid])
            if found[mid][0] <= target:
                hi = mid
            else:
                lo = mid + 1
        if lo < len(_GRID) and (best is None or found[lo][1] < best[0]):
            best = (found[lo][1], (space, _GRID[lo], found[lo][0]))
    if best is None:
        return "log", math.inf, probe(lengths, config, "log", math.inf)[0]
    return best[1]


def cached_width(lengths: np.ndarray, config: BatchingConfig) -> Choice:
    """:func:`choose_width`, remembered for the last 8 (lengths, config): replanning an epoch
    is then ``O(N)`` plus its cuts. Thread-safe (the lookup and the insert hold a lock)."""
    lengths = np.ascontiguousarray(lengths)
    raw = lengths.data  # the contiguous bytes, without a copy
    digest = (zlib.crc32(raw), zlib.adler32(raw))  # 64 bits, ~10x faster than a blake2b
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
    space, width, probed = cached_width(lengths, config)
    g = noisy_grouping(lengths, config, seed, epoch, space, width)
    g.expected_repeat = probed
    g.notes.update(
        noise_space=space, noise_width=width, randomness=float(config.resolved_randomness)
    )
    return g
