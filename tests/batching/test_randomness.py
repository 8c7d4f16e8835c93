"""Randomness over a whole run: every epoch gap repeats about as few pairs as the next epoch does,
and the knob's rule (NOTE [auto rule] in noisy.py) meets its target as measured."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seqbucket.batching import BatchingConfig, plan, repeat_over_gaps
from seqbucket.batching.engine import shuffled_repeat


def _gaps_even(lengths: np.ndarray, config: BatchingConfig, seed: int = 0) -> None:
    # Invariant: no gap 1..10 repeats more than 1.5x the mean over gaps + 0.01, i.e. no epoch
    # brings back an earlier epoch's batches (an affine shuffle did, every third epoch).
    figure = repeat_over_gaps(lengths, config, seed=seed)
    assert figure["max"] <= 1.5 * figure["mean"] + 0.01, figure["per_gap"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(1, 500), min_size=1, max_size=700).map(np.array),
    st.sampled_from([8, 16, 32, 64]),
    st.sampled_from(["auto", "random", "buckets"]),
    st.integers(0, 5),
)
def test_no_gap_repeats_much_more_than_the_mean(
    lengths: np.ndarray, batch_size: int, strategy: str, seed: int
) -> None:
    if strategy == "buckets":
        edges = tuple(sorted({int(np.median(lengths)), int(lengths.max())}))
        config = BatchingConfig(strategy, batch_size, boundaries=edges)
    else:
        config = BatchingConfig(strategy, batch_size)
    _gaps_even(lengths, config, seed)


@pytest.mark.parametrize("n", [1191, 1093])
@pytest.mark.parametrize("batch_size", [8, 16, 32, 64])
def test_adversarial_sizes_and_equal_lengths(n: int, batch_size: int) -> None:
    # N with small multiplicative orders (1191, 1093), where an affine map per epoch cycles.
    equal = np.full(n, 50)
    _gaps_even(equal, BatchingConfig(batch_size=batch_size, randomness=1.0))
    _gaps_even(equal, BatchingConfig(batch_size=batch_size))
    if batch_size == 32:
        _gaps_even(np.random.default_rng(n).integers(20, 400, n), BatchingConfig())


def test_equal_lengths_repeat_like_independent_shuffles() -> None:
    # 1,191 equal lengths at B = 32: an independent shuffle repeats (B-1)/(N-1) = 0.026 of pairs
    # at every gap (the affine shuffle repeated 0.515 at gap 3).
    figure = repeat_over_gaps(np.full(1191, 7), BatchingConfig(randomness=1.0))
    assert figure["max"] <= 0.045 and abs(figure["mean"] - 31 / 1190) <= 0.006


def test_the_rule_meets_its_target_as_measured(plaid_lengths: np.ndarray) -> None:
    # The knob's own figure (probe epochs of another seed) tracks the run's measured mean within
    # 15%, and the run's maximum over gaps 1..10 stays within 5% of the target 1 - randomness.
    cases = {
        "plaid": plaid_lengths,
        "gestures": np.random.default_rng(2024).integers(29, 362, 1000),
    }
    for name, lengths in cases.items():
        config = BatchingConfig(randomness=0.9)
        probed = plan(lengths, config).stats["total"]["expected_repeat"]
        figure = repeat_over_gaps(lengths, config, seed=3)
        assert abs(figure["mean"] - probed) <= 0.15 * probed, (name, figure, probed)
        assert figure["max"] <= 1.05 * 0.1, (name, figure)


def test_bucket_formula_is_about_k_b_over_n() -> None:
    # Independent shuffles inside K large buckets: a pair meets again with (B-1)/(n-1), about
    # K (B-1) / N in all, whatever the bucket sizes; measured over 10 gaps.
    lengths = np.concatenate([np.full(900, 10), np.full(300, 40), np.full(1800, 90)])
    config = BatchingConfig("buckets", 16, boundaries=(10, 40, 90))
    predicted = plan(lengths, config).stats["total"]["expected_repeat"]
    assert predicted == pytest.approx(shuffled_repeat(np.array([900, 300, 1800]), np.full(3, 16)))
    assert predicted == pytest.approx(3 * 15 / 3000, rel=0.02)
    measured = repeat_over_gaps(lengths, config)["mean"]
    assert measured == pytest.approx(predicted, rel=0.15)
