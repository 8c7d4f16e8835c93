"""Optimal boundaries: exact against brute force, never worse than the usual heuristics."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from seqbucket.batching.boundaries import (
    distinct_counts,
    equal_token_boundaries,
    optimal_boundaries,
    optimal_costs,
    padded_tokens,
    quantile_boundaries,
)

small_lengths = st.lists(st.integers(1, 40), min_size=1, max_size=30).map(np.array)


def brute_force(lengths: np.ndarray, k: int) -> int:
    values = np.unique(lengths)
    k = min(k, values.size)
    inner = values[:-1].tolist()
    return min(
        padded_tokens(lengths, (*subset, int(values[-1])))
        for subset in itertools.combinations(inner, k - 1)
    )


@given(small_lengths, st.integers(1, 6))
def test_dp_matches_brute_force(lengths, k):
    # Invariant: the DP optimum equals the minimum over every choice of k-1 inner boundaries.
    edges = optimal_boundaries(lengths, k)
    assert list(edges) == sorted(set(edges))
    assert edges[-1] == lengths.max()
    assert padded_tokens(lengths, edges) == brute_force(lengths, k)


@given(small_lengths, st.integers(1, 8))
def test_dp_beats_or_ties_quantile_and_equal_token(lengths, k):
    best = padded_tokens(lengths, optimal_boundaries(lengths, k))
    for other in (quantile_boundaries(lengths, k), equal_token_boundaries(lengths, k)):
        assert len(other) <= k
        assert best <= padded_tokens(lengths, other)


def test_costs_fall_with_more_buckets_and_reach_zero_waste():
    lengths = np.random.default_rng(0).integers(1, 300, 5000)
    values, counts = distinct_counts(lengths)
    costs, _ = optimal_costs(values, counts, values.size)
    assert np.all(np.diff(costs) <= 0)
    assert costs[-1] == lengths.sum()  # one bucket per distinct length: no padding at all
    assert costs[0] == lengths.size * lengths.max()


def test_dp_beats_quantiles_clearly_on_a_skewed_distribution():
    lengths = (np.random.default_rng(1).lognormal(4, 0.9, 4000)).astype(np.int64) + 1
    real = lengths.sum()
    dp = padded_tokens(lengths, optimal_boundaries(lengths, 8)) / real - 1
    q = padded_tokens(lengths, quantile_boundaries(lengths, 8)) / real - 1
    assert dp < 0.8 * q
