"""Token budgets: the batch size of each bucket from a ``B * T`` budget."""

from __future__ import annotations

import numpy as np

from seqbucket.batching.config import BatchingConfig
from seqbucket.errors import ConfigError


def budget_batch_sizes(
    pad_lengths: np.ndarray, max_tokens: int, multiple_of: int = 1
) -> np.ndarray:
    """Batch size per bucket: ``floor(max_tokens / T_k)``, rounded down to a multiple of
    ``multiple_of`` when that leaves at least one multiple (else the plain floor).

    Args:
        pad_lengths: ``(K,)`` padded length ``T_k`` of each bucket (its largest possible shape).
        max_tokens: the budget ``B * T`` per batch; must be ``>= max(T_k)``.

    Returns:
        ``(K,)`` int64 batch sizes, each ``>= 1`` with ``B_k * T_k <= max_tokens``.
    """
    pads = np.asarray(pad_lengths, dtype=np.int64)
    top = int(pads.max())
    if max_tokens < top:
        raise ConfigError(
            f"max_tokens must be at least the longest padded length {top} (one sequence per"
            f" batch), got max_tokens={max_tokens}"
        )
    sizes = max_tokens // pads
    rounded = (sizes // multiple_of) * multiple_of
    return np.where(rounded >= 1, rounded, sizes).astype(np.int64)


def bucket_batch_sizes(pad_lengths: np.ndarray, config: BatchingConfig) -> np.ndarray:
    """The batch size of each bucket under ``config``: explicit per-bucket sizes, else the
    token budget, else ``batch_size`` everywhere. ``pad_lengths``: ``(K,)`` bucket pad lengths."""
    pads = np.asarray(pad_lengths, dtype=np.int64)
    if config.bucket_batch_sizes is not None and config.strategy == "buckets":
        return np.asarray(config.bucket_batch_sizes, dtype=np.int64)
    if config.max_tokens is not None:
        return budget_batch_sizes(pads, config.max_tokens, config.multiple_of)
    return np.full(pads.size, config.batch_size, dtype=np.int64)
