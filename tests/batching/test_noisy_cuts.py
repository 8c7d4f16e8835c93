"""auto's cuts: the dynamic programme is exact, every cut covers the order once, and a budget
batch holds as many as fit."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from seqbucket.batching.noisy import budget_cut_points, optimal_cut_points, stretch_starts


def _brute(seq: np.ndarray, b: int) -> int:
    # Every way to cut seq into m = max(1, n // b) consecutive batches of the allowed sizes.
    n, m = seq.size, max(1, seq.size // b)
    lo, hi = max(1, int(b / 4)), max(int(1.25 * b), -(-n // m))
    best = None
    for inner in itertools.combinations(range(1, n), m - 1):
        ends = (*inner, n)
        sizes = np.diff((0, *ends))
        if sizes.min() < lo or sizes.max() > hi:
            continue
        cost = sum(int(s) * int(seq[e - s : e].max()) for s, e in zip(sizes, ends, strict=True))
        best = cost if best is None else min(best, cost)
    assert best is not None
    return best


@given(st.lists(st.integers(1, 30), min_size=1, max_size=12).map(np.array), st.integers(1, 6))
def test_optimal_cuts_match_brute_force(seq, b):
    ends = optimal_cut_points(seq, b)
    assert ends.size == max(1, seq.size // b) and ends[-1] == seq.size
    sizes = np.diff(np.concatenate([[0], ends]))
    cost = sum(int(s) * int(seq[e - s : e].max()) for s, e in zip(sizes, ends, strict=True))
    assert cost == _brute(seq, b)


@given(
    st.integers(1, 50).flatmap(  # short lengths too: batches wider than the first window
        lambda top: st.lists(st.integers(1, top), min_size=1, max_size=200).map(np.array)
    ),
    st.integers(50, 400),
    st.sampled_from([1, 4, 8]),
)
@example(np.ones(300, dtype=np.int64), 200, 1)  # batches far wider than the first window
@example(np.r_[np.ones(90, dtype=np.int64), np.full(9, 40)], 120, 1)
@example(np.arange(1, 200) % 37 + 1, 100, 1)  # many stretches of mixed lengths
def test_budget_cuts_fit_and_cover(seq, max_tokens, multiple_of):
    for batches in (256, 2, 1):  # one stretch (small data), then several cut side by side
        ends = budget_cut_points(seq, max_tokens, multiple_of, batches)
        begin = np.concatenate([[0], ends[:-1]])
        assert ends[-1] == seq.size and (ends > begin).all()
        edges = set(stretch_starts(seq, max_tokens, batches).tolist())
        assert edges <= {0, *ends.tolist()}  # no batch straddles two stretches
        for a, z in zip(begin, ends, strict=True):
            assert (z - a) * seq[a:z].max() <= max_tokens
            if multiple_of == 1 and z < seq.size and z not in edges:  # one more would not fit
                assert (z - a + 1) * seq[a : z + 1].max() > max_tokens


def test_stretches_share_the_tokens():
    seq = np.random.default_rng(0).integers(1, 100, 50_000)
    starts = stretch_starts(seq, 1_000, 20)
    tokens = np.add.reduceat(seq, starts)
    assert starts[0] == 0 and (np.diff(starts) > 0).all()
    assert starts.size == seq.sum() // 20_000  # about 20 budgets each
    assert tokens.max() - tokens.min() <= 2 * seq.max()
