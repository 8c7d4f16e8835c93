"""The randomness knob: how ``auto`` picks its number of buckets and its cut.

Every bucket candidate (``K`` buckets with DP-optimal boundaries, cut ``carry`` or ``even``) is
scored from bucket counts alone by two predictions: the repeat-pair fraction between consecutive
epochs (``cutting.expected_repeat_cut``, within ~10% of measured) and the padded tokens with
batches padded to their boundary. The knob keeps the least padding whose predicted repeat is at
most ``1 - randomness``. The ``noisy`` cut (sort by length plus noise) is then held against that
winner at the least noise meeting the same target (``cutting.noisy_repeat``); both are planned
once and the one with fewer padded tokens is kept (:func:`choose`).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from seqbucket.batching import boundaries as bnd
from seqbucket.batching.budget import bucket_batch_sizes
from seqbucket.batching.config import BatchingConfig
from seqbucket.batching.cutting import (
    carry_padded_tokens,
    even_batch_counts,
    expected_repeat_cut,
    noisy_repeat,
    spread_padded_tokens,
)
from seqbucket.batching.engine import bucketed, noisy_sorted
from seqbucket.batching.shuffle import expected_repeat

_DP_CELLS = 3_000_000  # K x D budget of the knob's DP scan
# (lengths digest, size, dtype, config) -> choice, oldest first; plans stay pure. Threads (e.g.
# DataLoader workers planning in threads) share it: every access holds _CACHE_LOCK.
_CACHE: OrderedDict[tuple, Choice] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 8
_NOISY_MAX_N = 1_000_000  # the noisy cut is a candidate up to this many examples


@dataclass(frozen=True)
class Choice:
    """What ``auto`` plans with."""

    # Bucket edges (the ``noisy`` cut has one bucket: the longest length).
    boundaries: tuple[int, ...]
    # "carry", "even" (cutting.py) or "noisy" (engine.noisy_sorted).
    cut: str
    # The noise width of the ``noisy`` cut, in length units (0 for the bucket cuts).
    width: float
    # [(K, cut, predicted repeat, predicted padding overhead)] of the bucket candidates.
    curve: list[tuple[int, str, float, float]]


def cached_choice(lengths: np.ndarray, config: BatchingConfig) -> Choice:
    """:func:`choose`, remembered for the last few (lengths, settings): the choice does not
    depend on the epoch, so replanning an epoch is O(N) (one hash of the lengths).

    The key holds the whole frozen ``config`` (hashable), so no setting ``choose`` reads, now
    or later, can be left out of it. Thread-safe: the lookup and the insert hold a lock; the
    choice itself is computed outside it (two threads missing on one key both compute it, with
    equal results), and the caller gets the value computed or found, never a second lookup.
    """
    lengths = np.ascontiguousarray(lengths)
    digest = hashlib.blake2b(lengths.view(np.uint8).tobytes(), digest_size=16).hexdigest()
    key = (digest, lengths.size, lengths.dtype.str, config)
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)  # least recently used goes first
            return found
    choice = choose(lengths, config)
    with _CACHE_LOCK:
        _CACHE[key] = choice
        _CACHE.move_to_end(key)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return choice


def noisy_width(lengths: np.ndarray, config: BatchingConfig) -> float | None:
    """The least noise width whose predicted repeat (``cutting.noisy_repeat``) is at most
    ``1 - randomness`` (bisection: the prediction falls as the width grows), or None if even
    noise over the whole length range repeats more."""
    values, counts = bnd.distinct_counts(lengths)
    target = 1.0 - float(config.randomness)
    b = int(config.batch_size)
    lo, hi = 0.0, float(values[-1] - values[0] + 1)
    if noisy_repeat(values, counts, hi, b) > target + 1e-12:
        return None
    if noisy_repeat(values, counts, lo, b) <= target + 1e-12:
        return lo
    for _ in range(30):
        mid = (lo + hi) / 2
        if noisy_repeat(values, counts, mid, b) <= target + 1e-12:
            hi = mid
        else:
            lo = mid
        if hi - lo < 0.05 * max(hi, 1.0):
            break
    return hi


def choose(lengths: np.ndarray, config: BatchingConfig) -> Choice:
    """The buckets and cut ``auto`` plans with.

    The bucket candidates of :func:`choose_num_buckets`, and, where it applies (``batch_cut``
    "auto" or "noisy", ``pad_to="batch-max"``, no token budget, no ``drop_last``,
    ``num_buckets`` unset, at most ``_NOISY_MAX_N`` examples), the ``noisy`` cut at the least
    noise whose predicted repeat meets the same target (:func:`noisy_width`). Between the best
    bucket plan and the noisy one, both planned once (seed 0, epoch 0, ``O(N)`` each), the knob
    keeps the one with fewer padded tokens. Past ``_NOISY_MAX_N`` buckets of more than ``B**2``
    examples already part all batch-mates (``shuffle.py``), and planning time is kept for them.
    """
    edges, how, curve = choose_num_buckets(lengths, config)
    noisy_ok = (
        config.batch_cut in ("auto", "noisy")
        and config.pad_to == "batch-max"
        and config.max_tokens is None
        and not config.drop_last
        and config.num_buckets is None
        and lengths.size <= _NOISY_MAX_N
    )
    width = noisy_width(lengths, config) if noisy_ok else None
    if width is None:
        return Choice(edges, how, 0.0, curve)
    if config.batch_cut != "noisy":
        mine = bucketed(lengths, edges, config, 0, 0, pad_to=config.pad_to, how=how)
        other = noisy_sorted(lengths, config, 0, 0, width)
        cost_mine = int(np.dot(mine.end - mine.begin, mine.pad_lengths))
        cost_other = int(np.dot(other.end - other.begin, other.pad_lengths))
        if cost_mine <= cost_other:
            return Choice(edges, how, 0.0, curve)
    return Choice((int(lengths.max()),), "noisy", width, curve)


def choose_num_buckets(
    lengths: np.ndarray, config: BatchingConfig
) -> tuple[tuple[int, ...], str, list[tuple[int, str, float, float]]]:
    """The buckets and the cut ``auto`` uses.

    With ``num_buckets`` set: that many optimal buckets. Otherwise every ``K`` (1..64, then
    about 20 per doubling up to ``min(max_buckets, D)``) and every allowed cut (``batch_cut``) is
    a candidate, scored by two predictions computed from bucket counts alone (``O(K)`` each): the
    repeat-pair fraction (``shuffle.expected_repeat``, pair-weighted over buckets) and the padded
    tokens with batches padded to their bucket boundary (``cutting.carry_padded_tokens``, or the
    DP cost itself for ``even``). The choice is the least padding whose predicted repeat is at
    most ``1 - randomness`` (``K = 1`` if none is). When only ``K = 1`` qualifies, two-bucket
    splits that set apart a small tail of the longest sequences are tried as well: they pad less
    than one bucket at almost its randomness. The ``even`` cut is only a candidate while it
    keeps the mean batch size >= ``batch_size`` (at most ``N / batch_size`` buckets).

    Returns ``(boundaries, cut, [(K, cut, predicted repeat, predicted padding overhead)...])``.
    """
    values, counts = bnd.distinct_counts(lengths)
    cuts = ("carry", "even") if config.batch_cut in ("auto", "noisy") else (config.batch_cut,)
    if config.num_buckets is not None:
        k = min(config.num_buckets, values.size)
        return bnd.optimal_boundaries(lengths, k), cuts[0], []
    # Each DP layer costs O(D log D): with very many distinct lengths, fewer layers keep the
    # choice near a second (D = 100,000 distinct lengths: 30 layers).
    k_max = min(config.max_buckets, values.size, max(16, _DP_CELLS // values.size))
    # every K up to 64, then ~20 per doubling: the padding curve is flat out there
    ks = set(range(1, 65)) | set(np.geomspace(64, max(k_max, 64), 100).astype(int).tolist())
    cum = np.concatenate([[0], np.cumsum(counts)])
    real = int(np.dot(values, counts))
    target = 1.0 - float(config.randomness)
    budget = config.max_tokens is not None
    spread = not budget and not config.drop_last  # the uniform carry cut (cutting.py)
    best: list = []  # [(padded, edges, cut)] of the best feasible candidate so far
    curve: list[tuple[int, str, float, float]] = []

    def score(edges: tuple[int, ...]) -> float:
        """Predict both cuts for ``edges``; keep the best feasible; return the lowest repeat."""
        bounds = np.asarray(edges, dtype=np.int64)
        per = np.diff(cum[np.searchsorted(values, bounds, side="right")], prepend=0)
        sizes = bucket_batch_sizes(bounds, config)
        lowest = 1.0
        for how in cuts:
            m = None
            if how == "even":
                if not budget and len(edges) > max(1, lengths.size // config.batch_size):
                    continue
                m = even_batch_counts(per, sizes, budget=budget, mean_size=config.batch_size)
                padded = int(np.dot(per, bounds))
            elif spread:
                padded = spread_padded_tokens(per, bounds, config.batch_size)
            else:
                padded = carry_padded_tokens(per, bounds, sizes)
            r = expected_repeat_cut(per, sizes, m, expected_repeat, spread=spread and m is None)
            lowest = min(lowest, r)
            curve.append((len(edges), how, r, padded / real - 1.0))
            if r <= target + 1e-12 and (not best or padded < best[0][0]):
                best[:] = [(padded, edges, how)]
        return lowest

    over = 0  # consecutive candidates whose every cut repeats far above the target
    for k, _, args in bnd.iter_layers(values, counts):
        if k > k_max or over >= 8:
            break
        if k in ks:
            lowest = score(bnd.backtrack(values, args, k))
            over = over + 1 if lowest > 1.5 * target + 0.05 else 0
    if k_max >= 2 and (not best or len(best[0][1]) == 1):
        # Near full randomness even the best two buckets repeat too much: try a small "tail"
        # bucket of the longest sequences instead (up to 256 edges among the longer half).
        top = int(values[-1])
        upper = values[values.size // 2 : -1]
        picks = np.unique(np.linspace(0, upper.size - 1, min(256, upper.size)).astype(int))
        for edge in upper[picks].tolist() if upper.size else []:
            score((int(edge), top))
    if not best:
        return (int(values[-1]),), cuts[0], curve
    return best[0][1], best[0][2], curve
