"""repeat_pair_fraction against a brute-force pair count; the report's contents."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from seqbucket.batching import BatchingConfig, plan, repeat_pair_fraction
from seqbucket.batching.pairs import repeat_pair_fraction_batches


def pairs(batches):
    return {frozenset(p) for b in batches for p in itertools.combinations(b.tolist(), 2)}


@given(st.integers(2, 60), st.integers(1, 8), st.integers(1, 8), st.integers(0, 99))
def test_repeat_fraction_matches_brute_force(n, ba, bb, seed):
    rng = np.random.default_rng(seed)
    a = np.array_split(rng.permutation(n), max(1, n // ba))
    b = np.array_split(rng.permutation(n), max(1, n // bb))
    pa = pairs(a)
    expected = len(pa & pairs(b)) / len(pa) if pa else 0.0
    assert repeat_pair_fraction_batches(a, b) == expected


def test_identical_plans_repeat_fully_and_random_ones_rarely():
    lengths = np.random.default_rng(0).integers(5, 50, 2000)
    c = BatchingConfig("random")
    a, b = plan(lengths, c, epoch=0), plan(lengths, c, epoch=1)
    assert repeat_pair_fraction(a, a) == 1.0
    assert repeat_pair_fraction(a, b) < 0.05  # (B-1)/(N-1) = 0.016 expected


def test_report_lists_buckets_and_totals():
    lengths = np.random.default_rng(0).integers(5, 50, 500)
    p = plan(lengths, BatchingConfig("buckets", 16, boundaries=(10, 20, 49), overlong="drop"))
    text = p.report()
    assert "total" in text and "dropped" in text and "truncated" in text
    per = p.stats["buckets"]
    assert [b["boundary"] for b in per] == [10, 20, 49]
    assert sum(b["real_tokens"] for b in per) == p.stats["total"]["real_tokens"]
    assert p.stats["total"]["dropped"] == int((lengths > 49).sum())
