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
from seqbucket.batching.sampler import BucketBatchSampler
from seqbucket.batching.stats import repeat_pair_fraction
from seqbucket.batching.strategies import STRATEGY_REGISTRY

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
