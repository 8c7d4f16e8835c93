"""Batching: lengths -> batch plans (numpy only; torch only in ``BucketBatchSampler``).

Public API: ``BatchingConfig``, ``parse_batching``, ``plan``, ``BatchPlan``,
``repeat_pair_fraction``, ``repeat_over_gaps``, ``BucketBatchSampler``, the boundary functions
and the strategy registry. Only ``sampler.py`` imports torch; every other module is numpy over
length arrays.
"""

from __future__ import annotations

from seqbucket.batching.boundaries import (
    equal_token_boundaries,
    optimal_boundaries,
    padded_tokens,
    quantile_boundaries,
)
from seqbucket.batching.budget import budget_batch_sizes
from seqbucket.batching.config import DEFAULT_RANDOMNESS, STRATEGIES, BatchingConfig, parse_batching
from seqbucket.batching.pairs import repeat_pair_fraction
from seqbucket.batching.planner import BatchPlan, plan, repeat_over_gaps
from seqbucket.batching.strategies import STRATEGY_REGISTRY


def __getattr__(name: str) -> object:
    # The sampler is the one torch import: load it on first use, so that planning from numpy
    # (any framework, or `seqbucket plan`) never pays for importing torch.
    if name == "BucketBatchSampler":
        from seqbucket.batching.sampler import BucketBatchSampler

        return BucketBatchSampler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_RANDOMNESS",
    "STRATEGIES",
    "STRATEGY_REGISTRY",
    "BatchPlan",
    "BatchingConfig",
    "BucketBatchSampler",
    "budget_batch_sizes",
    "equal_token_boundaries",
    "optimal_boundaries",
    "padded_tokens",
    "parse_batching",
    "plan",
    "quantile_boundaries",
    "repeat_over_gaps",
    "repeat_pair_fraction",
]
