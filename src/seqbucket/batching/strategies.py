"""The strategy registry: every strategy name a user can type maps to one function here.

Each function turns ``(lengths, config, seed, epoch)`` into a :class:`Grouping`: the epoch's batches
in a canonical order (the planner shuffles batch order and slices them across ranks) and their
padded lengths.

The bucketed strategies share the engine of ``engine.py``; ``auto`` sorts by a noisy length whose
noise the randomness knob sets (``noisy.py``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from seqbucket.batching import boundaries as bnd
from seqbucket.batching.config import BatchingConfig
from seqbucket.batching.engine import ORDER_STREAM, Grouping, bucketed, rng_for
from seqbucket.batching.noisy import auto


def buckets(lengths: np.ndarray, config: BatchingConfig, seed: int, epoch: int) -> Grouping:
    """User boundaries (TF ``bucket_by_sequence_length`` semantics, inclusive upper edges)."""
    assert config.boundaries is not None  # validated by BatchingConfig
    return bucketed(lengths, config.boundaries, config, seed, epoch, pad_to=config.pad_to)


def pad_all(lengths: np.ndarray, config: BatchingConfig, seed: int, epoch: int) -> Grouping:
    """One shape: everything padded to ``maxlen`` (or the longest sequence)."""
    top = int(config.maxlen) if config.maxlen is not None else int(lengths.max())
    return bucketed(lengths, (top,), config, seed, epoch, pad_to="boundary", limit_name="maxlen")


def per_length(lengths: np.ndarray, config: BatchingConfig, seed: int, epoch: int) -> Grouping:
    """Only equal lengths share a batch: one shape per distinct length, zero padding."""
    values, _ = bnd.distinct_counts(lengths)
    edges = tuple(int(v) for v in values)
    return bucketed(lengths, edges, config, seed, epoch, pad_to="boundary", exact=True)


def random(lengths: np.ndarray, config: BatchingConfig, seed: int, epoch: int) -> Grouping:
    """A plain shuffle cut into batches, each padded to its maximum (``DataLoader`` +
    ``pad_sequence``). A fresh independent shuffle each epoch."""
    top = int(lengths.max())
    g = bucketed(lengths, (top,), config, seed, epoch, pad_to="batch-max")
    g.boundaries = None
    return g


def per_sample(lengths: np.ndarray, config: BatchingConfig, seed: int, epoch: int) -> Grouping:
    """Batch size 1 (``batch_size`` is ignored): each sequence alone at its own length, no
    padding. Not for several ranks: a batch of one example has nothing to split."""
    order = rng_for(seed, epoch, ORDER_STREAM).permutation(lengths.size)
    return Grouping(
        flat=order,
        begin=np.arange(order.size),
        end=np.arange(1, order.size + 1),
        real_tokens=lengths[order].astype(np.int64),
        pad_lengths=lengths[order].astype(np.int64),
        bucket=np.zeros(order.size, dtype=np.int64),
        boundaries=None,
        expected_repeat=0.0,
    )


Strategy = Callable[[np.ndarray, BatchingConfig, int, int], Grouping]

STRATEGY_REGISTRY: dict[str, Strategy] = {
    "per-sample": per_sample,
    "per-length": per_length,
    "pad-all": pad_all,
    "random": random,
    "buckets": buckets,
    "auto": auto,
}
