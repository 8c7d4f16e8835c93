"""Measuring a sampler on the padding/randomness plane, the same way for ours and the peers'.

``padding`` is padded tokens / real tokens - 1 with each batch padded to ``pad_lengths`` (or to
its maximum), averaged over the epochs of a run; ``repeat`` is the *maximum* over gaps ``1..gaps``
of the repeat-pair fraction between epoch 0 and epoch ``g`` (same seed), ``repeat_mean`` its mean;
``mean_batch`` is examples / batches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from seqbucket.batching import BatchingConfig, plan
from seqbucket.batching.pairs import repeat_pair_fraction_batches

Batches = list[np.ndarray]
PeerSampler = Callable[[np.ndarray, int, int, int], Batches]


@dataclass(frozen=True)
class Point:
    """One sampler setting measured on one length distribution."""

    padding: float  # padded / real - 1, mean over the run's epochs
    repeat: float  # repeat-pair fraction, max over gaps 1..10 (epoch 0 vs epoch g)
    repeat_mean: float  # the same, mean over the gaps
    mean_batch: float  # examples per batch


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
    gaps: int = 10,
) -> Point:
    """Measure a sampler given as ``epoch -> (batches, pad lengths or None for batch max)``
    over a run of ``gaps + 1`` epochs."""
    epochs = [epoch_batches(e) for e in range(gaps + 1)]
    reps = [repeat_pair_fraction_batches(epochs[0][0], epochs[g][0]) for g in range(1, gaps + 1)]
    return Point(
        padding=float(np.mean([padding_overhead(lengths, b, p) for b, p in epochs])),
        repeat=float(np.max(reps)),
        repeat_mean=float(np.mean(reps)),
        mean_batch=float(lengths.size / np.mean([len(b) for b, _ in epochs])),
    )


def measure_config(
    lengths: np.ndarray, config: BatchingConfig, *, seed: int = 0, gaps: int = 10
) -> Point:
    """:func:`measure` for a seqbucket plan."""

    def one(epoch: int) -> tuple[Batches, np.ndarray]:
        p = plan(lengths, config, seed=seed, epoch=epoch)
        return p.batches, p.pad_lengths

    return measure(lengths, one, gaps=gaps)


def measure_peer(
    lengths: np.ndarray, sampler: PeerSampler, batch_size: int = 32, *, seed: int = 0
) -> Point:
    """:func:`measure` for a peer sampler ``(lengths, batch_size, seed, epoch) -> batches``
    (``bench.live_peers``, or the fallbacks of ``bench.peers``), padded to each batch's max."""
    return measure(lengths, lambda e: (sampler(lengths, batch_size, seed, e), None))


def dominates(ours: list[Point], peer: Point, slack: float = 1.10) -> Point | None:
    """The lowest-padding point of ``ours`` with padding <= the peer's, repeat <= ``slack`` x the
    peer's (one measurement's noise) and a mean batch >= the peer's, or None."""
    ok = [
        p
        for p in ours
        if p.padding <= peer.padding
        and p.repeat <= slack * peer.repeat
        and p.mean_batch >= peer.mean_batch
    ]
    return min(ok, key=lambda p: p.padding) if ok else None
