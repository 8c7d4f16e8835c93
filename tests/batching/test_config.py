"""Bad input gets one clear line: what was expected and what arrived."""

from __future__ import annotations

import numpy as np
import pytest

from seqbucket.batching import BatchingConfig, parse_batching, plan
from seqbucket.errors import ConfigError, DataError


def test_parse_specs():
    assert parse_batching("auto").strategy == "auto"
    c = parse_batching("buckets:5,20,50,100", batch_size=8, max_tokens=None)
    assert c.boundaries == (5, 20, 50, 100) and c.batch_size == 8
    for name in ("random", "pad-all", "per-length", "per-sample"):
        assert parse_batching(name).strategy == name
    assert parse_batching("buckets:5,9", boundaries=None, pad_to="boundary").pad_to == "boundary"


@pytest.mark.parametrize(
    ("spec", "overrides", "match"),
    [
        ("buckets:5,5,9", {}, r"strictly increasing, got duplicate 5,5"),
        ("buckets:9,5", {}, r"strictly increasing, got unsorted 9,5"),
        ("buckets:5,x", {}, r"integers .* got 'x'"),
        ("buckets", {}, r"buckets:L1,L2"),
        ("auto", {"batch_size": 0}, r"batch size must be at least 1, got 0"),
        ("sorted", {}, r"expected a strategy among .* got 'sorted'"),
        ("auto", {"randomness": 1.5}, r"randomness must lie in \[0, 1\], got 1.5"),
        ("random", {"max_tokens": 100}, r"max_tokens applies to strategy auto or buckets"),
        ("auto", {"colour": 1}, r"unknown batching settings \['colour'\]"),
    ],
)
def test_bad_settings(spec, overrides, match):
    with pytest.raises(ConfigError, match=match) as info:
        parse_batching(spec, **overrides)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("strategy", "setting"),
    [
        ("pad-all", {"pad_to": "boundary"}),
        ("random", {"pad_to": "boundary"}),
        ("per-length", {"pad_to": "boundary"}),
        ("random", {"randomness": 0.5}),
        ("buckets", {"randomness": 0.9, "boundaries": (5, 9)}),
        ("per-sample", {"drop_last": True}),
        ("auto", {"maxlen": 40}),
        ("auto", {"overlong": "drop"}),
        ("random", {"multiple_of": 8}),
        ("per-sample", {"max_tokens": 100}),
    ],
)
def test_a_setting_the_strategy_never_reads_is_refused_by_the_config(strategy, setting):
    # The rule lives in BatchingConfig itself, not only in a parser: the dataclass refuses it.
    with pytest.raises(ConfigError, match=f"{next(iter(setting))} applies to strategy") as info:
        BatchingConfig(strategy=strategy, **setting)
    assert "\n" not in str(info.value) and repr(strategy) in str(info.value)


def test_bad_lengths_name_the_index():
    with pytest.raises(DataError, match=r">= 1, got 0 at example index 2"):
        plan(np.array([3, 4, 0, 5]), BatchingConfig())
    with pytest.raises(DataError, match=r"got -1 at example index 0"):
        plan(np.array([-1, 4]), BatchingConfig())
    with pytest.raises(DataError, match="empty dataset"):
        plan(np.array([], dtype=np.int64), BatchingConfig())


def test_max_tokens_below_longest_sequence():
    c = parse_batching("auto", max_tokens=20)
    with pytest.raises(ConfigError, match=r"at least the longest padded length 29.*max_tokens=20"):
        plan(np.array([5, 29, 7]), c)


def test_overlong_error_says_how_many_and_the_longest():
    c = parse_batching("buckets:5,10")
    with pytest.raises(DataError, match=r"got 2 longer sequences \(longest 31, first at example"):
        plan(np.array([3, 12, 9, 31]), c)
