"""The decorrelated within-bucket shuffle and the two ways of cutting buckets into batches."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from seqbucket.batching import BatchingConfig, plan
from seqbucket.batching.cutting import (
    carry_padded_tokens,
    even_batch_counts,
    expected_repeat_cut,
    spread_cut_points,
    spread_padded_tokens,
)
from seqbucket.batching.shuffle import best_multiplier, bucket_positions, expected_repeat
from seqbucket.batching.stats import repeat_pair_fraction_batches


def one_bucket_epoch(n: int, b: int, epoch: int, seed: int = 0) -> list[np.ndarray]:
    slots = np.random.default_rng([seed, 1]).permutation(n)
    offset = int(np.random.default_rng([seed, epoch]).integers(n))
    pos = bucket_positions(n, b, slots, epoch, offset)
    order = np.empty(n, dtype=np.int64)
    order[pos] = np.arange(n)
    return [order[i : i + b] for i in range(0, n, b)]


def _some_nonempty(counts: list[int]) -> list[int]:
    # At least one non-empty bucket, by construction (a filter starves Hypothesis's health check).
    return counts if sum(counts) > 0 else [1, *counts[1:]]


@given(st.integers(1, 3000), st.integers(1, 64), st.integers(0, 50))
def test_positions_are_a_permutation_with_a_coprime_multiplier(n, b, epoch):
    a = best_multiplier(n, b)
    assert math.gcd(a, n) == 1 or n <= 2
    pos = bucket_positions(n, b, np.random.default_rng(0).permutation(n), epoch, n // 3)
    assert np.array_equal(np.sort(pos), np.arange(n))


@given(st.integers(2, 40), st.integers(0, 1000), st.integers(0, 30))
def test_big_buckets_never_repeat_a_pair_in_consecutive_epochs(b, extra, epoch):
    # Invariant: in a bucket of n >= 4 b^2 a multiplier a in [b, (n-b)/(b-1)] coprime with n
    # exists (several primes lie in that range), and it parts every pair of batch-mates.
    n = 4 * b * b + extra
    assert expected_repeat(n, b) == 0.0
    first, second = one_bucket_epoch(n, b, epoch), one_bucket_epoch(n, b, epoch + 1)
    assert repeat_pair_fraction_batches(first, second) == 0.0


def test_prediction_tracks_measurement_and_beats_independent_shuffles():
    for n, b in [(300, 32), (640, 32), (1000, 16), (150, 8)]:
        measured = np.mean(
            [
                repeat_pair_fraction_batches(
                    one_bucket_epoch(n, b, e), one_bucket_epoch(n, b, e + 1)
                )
                for e in range(8)
            ]
        )
        assert abs(measured - expected_repeat(n, b)) < 0.35 * expected_repeat(n, b) + 0.01
        assert measured < (b - 1) / (n - 1)  # an independent shuffle's expectation


@given(
    st.lists(st.integers(0, 400), min_size=1, max_size=30).map(_some_nonempty),
    st.integers(1, 64),
)
def test_even_cut_keeps_the_mean_batch_size(counts, b):
    counts = np.array(counts)
    m = even_batch_counts(counts, np.full(counts.size, b), budget=False, mean_size=b)
    nonempty = counts > 0
    assert np.all((m > 0) == nonempty)
    assert m.sum() == max(int(nonempty.sum()), int(counts.sum()) // b)
    if int(nonempty.sum()) <= int(counts.sum()) // b:
        assert counts.sum() / m.sum() >= b  # mean batch size >= batch_size


@given(
    st.lists(st.integers(0, 400), min_size=1, max_size=30).map(_some_nonempty),
    st.lists(st.integers(1, 50), min_size=30, max_size=30),
)
def test_even_cut_under_a_budget_never_exceeds_a_bucket_size(counts, sizes):
    counts = np.array(counts)
    sizes = np.array(sizes[: counts.size])
    m = even_batch_counts(counts, sizes, budget=True, mean_size=32)
    largest = -(-counts // np.maximum(m, 1))
    assert np.all(largest[counts > 0] <= sizes[counts > 0])


def test_carry_prediction_degenerates_correctly():
    # Tiny buckets that ride whole in one batch repeat for sure; one huge bucket never does.
    assert expected_repeat_cut(np.array([3, 4, 5]), np.full(3, 32), None, expected_repeat) == 1.0
    assert expected_repeat_cut(np.array([5000]), np.array([32]), None, expected_repeat) < 1e-6
    # Padding: leftovers of a bucket pad up to the next bucket's boundary.
    assert carry_padded_tokens(np.array([3, 2]), np.array([10, 20]), np.array([2, 2])) == (
        2 * 10 + 1 * 20 + 2 * 20
    )


@given(st.integers(1, 5000), st.integers(1, 64))
def test_spread_cut_has_no_short_batch(total, b):
    ends = spread_cut_points(total, b)
    widths = np.diff(ends, prepend=0)
    assert ends[-1] == total and widths.min() >= 1
    assert widths.max() - widths.min() <= 1
    if total >= b:
        assert widths.min() >= b and ends.size == total // b


@given(
    st.lists(st.integers(1, 60), min_size=1, max_size=300).map(np.array),
    st.integers(1, 40),
    st.integers(0, 3),
)
def test_spread_padding_prediction_is_exact(lengths, b, epoch):
    # The knob's O(K) padded-token count equals the plan's, batches padded to their boundary.
    edges = tuple(sorted({10, 25, int(lengths.max())}))
    c = BatchingConfig("buckets", b, boundaries=edges, pad_to="boundary")
    p = plan(lengths, c, epoch=epoch)
    per = np.bincount(np.searchsorted(np.array(edges), lengths), minlength=len(edges))
    assert spread_padded_tokens(per, np.array(edges), b) == p.stats["total"]["padded_tokens"]


def test_two_epochs_apart_stay_parted_too():
    # n = 1025, b = 32: the only multiplier that parts every batch-mate next epoch is 32, and
    # 32**2 = -1 (mod 1025) would rebuild each batch (reversed) two epochs on; it is refused.
    for n, b in [(1025, 32), (1008, 32), (4 * 32 * 32 + 1, 32), (640, 16)]:
        epochs = [one_bucket_epoch(n, b, e) for e in range(5)]
        skip = np.mean([repeat_pair_fraction_batches(epochs[e], epochs[e + 2]) for e in range(3)])
        assert skip < 0.05, (n, b, skip)
