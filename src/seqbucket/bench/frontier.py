"""Measuring a sampler on the padding/randomness plane.

``padding`` is padded tokens / real tokens - 1 with each batch padded to ``pad_lengths`` (or to its
maximum); ``repeat`` is the repeat-pair fraction between epoch ``e`` and ``e+1`` (same seed),
averaged over ``pairs`` consecutive pairs; ``mean_batch`` is examples / batches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from seqbucket.batching import BatchingConfig, plan
from seqbucket.batching.stats import repeat_pair_fraction_batches

Batches = list[np.ndarray]


@dataclass(frozen=True)
class Point:
    """One sampler setting measured on one length distribution."""

    padding: float  # padded / real - 1, mean over epochs
    repeat: float  # repeat-pair fraction, epoch e vs e+1, mean over pairs
    mean_batch: float  # examples per batch
    repeat_skip: float  # repeat-pair fraction epoch e vs e+2 (non-consecutive), for honesty


def padding_overhead(
    lengths: np.ndarray, batches: Batches, pads: np.ndarray | None = None
) -> float:
    maxes = np.array([lengths[b].max() for b in batches]) if pads is None else pads
    sizes = np.array([b.size for b in batches])
    real = sum(int(np.minimum(lengths[b], p).sum()) for b, p in zip(batches, maxes, strict=True))
    return float((sizes * maxes).sum() / real - 1.0)


def measure(
    lengths: np.ndarray,
    epoch_batches: Callable[[int], tuple[Batches, np.ndarray | None]],
    *,
    pairs: int = 4,
) -> Point:
    """Measure a sampler given as ``epoch -> (batches, pad lengths or None for batch max)``."""
    epochs = [epoch_batches(e) for e in range(pairs + 2)]
    pads = [padding_overhead(lengths, b, p) for b, p in epochs[:pairs]]
    reps = [repeat_pair_fraction_batches(epochs[e][0], epochs[e + 1][0]) for e in range(pairs)]
    skip = [repeat_pair_fraction_batches(epochs[e][0], epochs[e + 2][0]) for e in range(pairs)]
    sizes = [len(b) for b, _ in epochs[:pairs]]
    return Point(
        padding=float(np.mean(pads)),
        repeat=float(np.mean(reps)),
        mean_batch=float(lengths.size / np.mean(sizes)),
        repeat_skip=float(np.mean(skip)),
    )


def measure_config(
    lengths: np.ndarray, config: BatchingConfig, *, seed: int = 0, pairs: int = 4
) -> Point:
    """:func:`measure` for a seqbucket plan."""

    def one(epoch: int) -> tuple[Batches, np.ndarray]:
        p = plan(lengths, config, seed=seed, epoch=epoch)
        return p.batches, p.pad_lengths

    return measure(lengths, one, pairs=pairs)


def measure_peer(
    lengths: np.ndarray, sampler, batch_size: int = 32, *, seed: int = 0, pairs: int = 4
) -> Point:
    """:func:`measure` for one of ``bench.peers``."""
    return measure(lengths, lambda e: (sampler(lengths, batch_size, seed, e), None), pairs=pairs)


def dominates(
    ours: list[Point], padding: float, repeat: float, min_batch: float = 32.0
) -> Point | None:
    """The lowest-padding point of ``ours`` with repeat <= ``repeat`` and padding <= ``padding``
    (and mean batch >= ``min_batch``), or None."""
    ok = [
        p for p in ours if p.repeat <= repeat and p.padding <= padding and p.mean_batch >= min_batch
    ]
    return min(ok, key=lambda p: p.padding) if ok else None
