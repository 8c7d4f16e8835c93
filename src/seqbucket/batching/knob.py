"""The randomness knob: how ``auto`` picks its number of buckets and its cut.

Every candidate (``K`` buckets with DP-optimal boundaries, cut ``carry`` or ``even``) is scored
from bucket counts alone by two predictions: the repeat-pair fraction between consecutive epochs
(``cutting.expected_repeat_cut``, within ~10% of measured) and the padded tokens with batches
padded to their boundary. The knob keeps the least padding whose predicted repeat is at most
``1 - randomness``.
"""

from __future__ import annotations

import hashlib

import numpy as np

from seqbucket.batching import boundaries as bnd
from seqbucket.batching.budget import bucket_batch_sizes
from seqbucket.batching.config import BatchingConfig
from seqbucket.batching.cutting import carry_padded_tokens, even_batch_counts, expected_repeat_cut
from seqbucket.batching.shuffle import expected_repeat

_DP_CELLS = 3_000_000  # K x D budget of the knob's DP scan
_CACHE: dict[tuple, tuple] = {}  # (lengths digest, settings) -> choice; plans stay pure
_CACHE_SIZE = 8


def cached_choice(
    lengths: np.ndarray, config: BatchingConfig
) -> tuple[tuple[int, ...], str, list[tuple[int, str, float, float]]]:
    """:func:`choose_num_buckets`, remembered for the last few (lengths, settings): the choice
    does not depend on the epoch, so replanning an epoch is O(N) (one hash of the lengths)."""
    digest = hashlib.blake2b(np.ascontiguousarray(lengths).view(np.uint8), digest_size=16)
    key = (
        digest.hexdigest(),
        lengths.size,
        config.batch_size,
        config.max_tokens,
        config.multiple_of,
        config.num_buckets,
        config.randomness,
        config.batch_cut,
        config.max_buckets,
    )
    if key not in _CACHE:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = choose_num_buckets(lengths, config)
    return _CACHE[key]


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
    cuts = ("carry", "even") if config.batch_cut == "auto" else (config.batch_cut,)
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
            else:
                padded = carry_padded_tokens(per, bounds, sizes)
            r = expected_repeat_cut(per, sizes, m, expected_repeat)
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
