"""Within-bucket order that is random in each epoch and decorrelated between consecutive epochs.

A bucket holds ``n`` examples, cut into batches of ``B`` consecutive positions. A plain shuffle
each epoch puts a pair of batch-mates together again next epoch with probability
``(B-1)/(n-1)``. Here each example gets a *slot* ``s`` (a random permutation of ``0..n-1``, fixed
by the seed) and its position in epoch ``e`` is the affine map::

    p_e(s) = (a**e * s + c_e) mod n          a coprime with n, c_e random from (seed, epoch)

so ``p_{e+1} = a * (p_e - c_e) + c_{e+1} (mod n)``: two examples ``d`` positions apart in epoch
``e`` are ``a*d mod n`` apart in epoch ``e+1``. The multiplier ``a`` is chosen per ``(n, B)`` so
that batch-mates (``|d| < B``) land far apart next epoch (a rank-1 lattice rule, as in
quasi-Monte Carlo). In each epoch the order is still a uniformly random permutation (``s`` is), but
consecutive epochs are decorrelated by construction rather than by chance: the repeat-pair
fraction drops by about ``1/B`` below a plain shuffle, to 0 once ``n >= B**2``. The choice of
``a`` also weighs ``a**2`` (two epochs on), so epochs ``e`` and ``e+2`` repeat no more pairs than
``e`` and ``e+1`` do (measured in ``benchmarks/batching_frontier.py``, column "skip").
``O(n)`` per epoch, ``O(1)`` to jump to any epoch (``pow(a, e, n)``).

Reading the figure: because batch-mates are parted on purpose, the repeat-pair fraction between
*consecutive* epochs is lower than independent shuffles would give (``(B-1)/(n-1)``), and can be
exactly 0 while epochs further apart still share a few pairs. On PLAID at randomness 1.0 (one
bucket of 1,074, batches of 32) it measured 0.001 next epoch and 0.009 two epochs apart
(independent shuffles: ~0.029 for either). So 0 next epoch means "no pair meets again right
away", not "no pair ever meets again"; the "skip" column (epoch e vs e+2) shows the rest.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0
_SKIP_WEIGHT = 0.5


def _candidate_scores(n: int, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(candidates, expected repeated pairs per batch one epoch on, two epochs on)`` for
    multipliers coprime with ``n``."""
    small = np.arange(1, min(n, 2 * b + 2))
    spread = np.floor(n * np.mod(_GOLDEN * np.arange(1, 192), 1.0)).astype(np.int64)
    cands = np.unique(np.concatenate([small, spread, n // np.arange(1, 64) + 1]))
    cands = cands[(cands >= 1) & (cands < n)]
    cands = cands[np.gcd(cands, n) == 1]
    if cands.size == 0:
        cands = np.array([1], dtype=np.int64)
    # Next epoch (a) matters most; two epochs on (a**2) is weighed in too, so that the pairs
    # parted next epoch do not all meet again the epoch after.
    return cands, _repeated(cands, n, b), _repeated((cands * cands) % n, n, b)


def _repeated(mult: np.ndarray, n: int, b: int) -> np.ndarray:
    """``(C,)`` expected batch-mate pairs per batch that meet again after multiplying positions
    by each of ``mult`` (``(C,)``)."""
    d = np.arange(1, min(b, n))  # (b-1,) distances between batch-mates
    r = (mult[:, None] * d[None, :]) % n  # (C, b-1) distance in the later epoch
    r = np.minimum(r, n - r)
    # A pair at distance d shares a batch in (b - d) of b alignments; later, at distance r,
    # it shares one with probability max(0, b - r) / b (random offset c_e).
    return ((b - d)[None, :] * np.maximum(0, b - r)).sum(axis=1) / b


@lru_cache(maxsize=4096)
def _spread_multiplier(n: int, b: int) -> int:
    """A multiplier that parts every pair of batch-mates for good (``a*d mod n`` stays ``>= b``
    from 0 for ``0 < d < b``), or 0 if ``n`` is too small for one (roughly ``n < b**2``).

    The first such ``a`` (from ``b`` up, coprime with ``n``) whose square parts them too (two
    epochs on); else the best square of the first 64, unless that one repeats more (next epoch
    plus, at ``_SKIP_WEIGHT``, two on) than :func:`_choice`'s, in which case 0. Example:
    ``a = 32`` is the only parting multiplier for ``n = 1025, b = 32``, but
    ``a**2 = -1 (mod n)`` would rebuild epoch ``e``'s batches, reversed, at ``e + 2``."""
    top = (n - b) // max(b - 1, 1)
    if b <= 1 or top < b:
        return 0
    best, best_skip, tried = 0, np.inf, 0
    for a in range(b, top + 1):
        if math.gcd(a, n) != 1:
            continue
        skip = float(_repeated(np.array([a * a % n]), n, b)[0])
        if skip == 0.0:
            return a
        if skip < best_skip:
            best, best_skip = a, skip
        tried += 1
        if tried >= 64:
            break
    if not best:
        return 0
    other, other_next = _choice(n, b)
    other_skip = float(_repeated(np.array([other * other % n]), n, b)[0])
    if _SKIP_WEIGHT * best_skip > other_next + _SKIP_WEIGHT * other_skip:
        return 0  # every parting multiplier rebuilds the batches two epochs on: trade a little
    return best


@lru_cache(maxsize=4096)
def _choice(n: int, b: int) -> tuple[int, float]:
    """``(a, expected repeated pairs per batch next epoch)`` minimising next epoch's repeats
    plus, at weight ``_SKIP_WEIGHT``, those two epochs on."""
    cands, next_epoch, skip = _candidate_scores(n, b)
    i = int(np.argmin(next_epoch + _SKIP_WEIGHT * skip))
    return int(cands[i]), float(next_epoch[i])


@lru_cache(maxsize=4096)
def best_multiplier(n: int, b: int) -> int:
    """The multiplier ``a`` (coprime with ``n``) that keeps the fewest batch-mates together in
    the next epoch, for a bucket of ``n`` examples in batches of ``b``."""
    if n <= 2 or b <= 1:
        return 1
    fast = _spread_multiplier(n, b)
    if fast:
        return fast
    return _choice(n, b)[0]


@lru_cache(maxsize=4096)
def expected_repeat(n: int, b: int) -> float:
    """Predicted repeat-pair fraction between consecutive epochs for a bucket of ``n`` examples
    in batches of ``b`` under :func:`bucket_positions` (ignores pairs across bucket edges)."""
    b = min(b, n)
    if b <= 1:
        return 0.0
    if n <= b:
        return 1.0
    if n <= 2:
        return 1.0
    if _spread_multiplier(n, b):
        return 0.0
    pairs_per_batch = b * (b - 1) / 2
    return float(min(1.0, _choice(n, b)[1] / pairs_per_batch))


def bucket_positions(n: int, b: int, slots: np.ndarray, epoch: int, offset: int) -> np.ndarray:
    """Position of each of a bucket's ``n`` examples in ``epoch``.

    Args:
        n: bucket size.
        b: its batch size (chooses the multiplier).
        slots: ``(n,)`` the seed-fixed random permutation of ``0..n-1``.
        epoch: the epoch ``e >= 0``.
        offset: ``c_e`` in ``0..n-1``, drawn from (seed, epoch).

    Returns:
        ``(n,)`` int64 permutation of ``0..n-1``.
    """
    a = best_multiplier(n, b)
    scale = pow(a, int(epoch), n) if n > 1 else 0
    return (slots * scale + offset) % n
