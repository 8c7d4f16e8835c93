"""Batching: lengths -> batch plans (numpy only; torch only in ``BucketBatchSampler``).

Public API: ``BatchingConfig``, ``parse_batching``, ``plan``, ``BatchPlan``,
``repeat_pair_fraction``, ``BucketBatchSampler``, the boundary functions and the strategy
registry. Only ``sampler.py`` imports torch; every other module is numpy over length arrays.
"""

from __future__ import annotations

from seqbucket.batching.boundaries import (
    equal_token_boundaries,
    optimal_boundaries,
    padded_tokens,
    quantile_boundaries,
)
from seqbucket.batching.budget import budget_batch_sizes
from seqbucket.batching.config import STRATEGIES, BatchingConfig, parse_batching
from seqbucket.batching.knob import choose_num_buckets
from seqbucket.batching.planner import BatchPlan, plan
from seqbucket.batching.stats import repeat_pair_fraction
from seqbucket.batching.strategies import STRATEGY_REGISTRY


def __getattr__(name: str) -> object:
    # The sampler is the one torch import: load it on first use, so that planning from numpy
    # (any framework, or `seqbucket plan`) never pays for importing torch.
    if name == "BucketBatchSampler":
        from seqbucket.batching.sampler import BucketBatchSampler

        return BucketBatchSampler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "STRATEGIES",
    "STRATEGY_REGISTRY",
    "BatchPlan",
    "BatchingConfig",
    "BucketBatchSampler",
    "budget_batch_sizes",
    "choose_num_buckets",
    "equal_token_boundaries",
    "optimal_boundaries",
    "padded_tokens",
    "parse_batching",
    "plan",
    "quantile_boundaries",
    "repeat_pair_fraction",
]
