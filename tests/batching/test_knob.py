"""The knob's choice cache: equal to the uncached choice, under threads and evictions."""

from __future__ import annotations

import concurrent.futures
import sys

import numpy as np
import pytest

from seqbucket.batching import BatchingConfig, knob


@pytest.fixture
def fresh_cache():
    with knob._CACHE_LOCK:
        knob._CACHE.clear()
    yield
    with knob._CACHE_LOCK:
        knob._CACHE.clear()


def test_threads_hammering_the_cache_get_the_uncached_choices(fresh_cache, monkeypatch):
    rng = np.random.default_rng(3)
    data = [rng.integers(1, 60, 300), rng.integers(1, 200, 400)]
    configs = [
        BatchingConfig(batch_size=b, randomness=r, batch_cut=cut)
        for b in (8, 16)
        for r in (0.5, 0.9, 0.97)
        for cut in ("auto", "carry")
    ]  # 12 configs x 2 data sets: 24 keys for 3 slots, so threads evict each other's entries
    monkeypatch.setattr(knob, "_CACHE_SIZE", 3)
    expected = {
        (i, j): knob.choose(x, c) for i, x in enumerate(data) for j, c in enumerate(configs)
    }
    jobs = [key for key in expected for _ in range(4)]
    rng.shuffle(jobs)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: races show up
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            got = list(pool.map(lambda k: knob.cached_choice(data[k[0]], configs[k[1]]), jobs))
    finally:
        sys.setswitchinterval(interval)
    assert all(g == expected[k] for g, k in zip(got, jobs, strict=True))
    assert len(knob._CACHE) == 3


def test_every_setting_is_part_of_the_key(fresh_cache):
    # overlong was missing from the hand-written key: the whole frozen config is the key now.
    lengths = np.random.default_rng(4).integers(1, 50, 200)
    base = BatchingConfig(batch_size=8)
    variants = [
        base,
        base.replace(overlong="drop"),
        base.replace(multiple_of=8),
        base.replace(max_buckets=16),
        base.replace(pad_to="boundary"),
    ]
    for c in variants:
        assert knob.cached_choice(lengths, c) == knob.choose(lengths, c)
    assert len(knob._CACHE) == len(variants)
    assert knob.cached_choice(lengths.astype(np.int32), base) == knob.choose(lengths, base)
    assert len(knob._CACHE) == len(variants) + 1  # other bytes, other key
