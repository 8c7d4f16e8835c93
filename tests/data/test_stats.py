"""Length summary and histogram behind `seqbucket inspect`."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from seqbucket.data import length_histogram, length_summary, load_dataset
from seqbucket.errors import DataError


def test_summary_by_hand():
    s = length_summary(np.array([1, 2, 3, 10]))
    assert (s.count, s.min, s.max, s.real_tokens, s.padded_tokens) == (4, 1, 10, 16, 40)
    assert s.median == 2.5 and s.p95 == pytest.approx(np.percentile([1, 2, 3, 10], 95))
    assert s.padding_per_real == pytest.approx(40 / 16 - 1)
    assert s.padding_fraction == pytest.approx(1 - 16 / 40)
    with pytest.raises(DataError, match="empty dataset"):
        length_summary(np.array([], dtype=np.int64))


def test_plaid_pads_about_three_tokens_per_real_token():
    # The figure: about 3.1 padding tokens per real token under pad-to-longest.
    assert length_summary(load_dataset("plaid", "all").lengths).padding_per_real == pytest.approx(
        3.13, abs=0.005
    )
    assert length_summary(load_dataset("plaid").lengths).padding_per_real == pytest.approx(
        3.15, abs=0.005
    )


def test_histogram_counts_every_length_once():
    lengths = np.random.default_rng(0).integers(5, 400, size=1000)
    text = length_histogram(lengths, bins=12)
    lines = text.splitlines()
    assert len(lines) <= 12
    counts = [int(line.split()[1]) for line in lines]
    assert sum(counts) == 1000
    lo_hi = [tuple(map(int, line.split()[0].split("-"))) for line in lines]
    assert lo_hi[0][0] == 5 and lo_hi[-1][1] >= 399
    # Consecutive bins meet without gaps or overlaps.
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(lo_hi))
    assert "#" * 50 in text  # the fullest bin gets the full bar
    assert length_histogram(np.array([7, 7])).strip().startswith("7-7")
