"""How a TrainConfig reaches the readers and the batch planner."""

from __future__ import annotations

import numpy as np
import pytest

from seqbucket.errors import ConfigError
from seqbucket.train import TrainConfig
from seqbucket.train.wiring import eval_batches, eval_batching_config, reader_options


def test_reader_options_go_only_to_formats_that_take_them():
    config = TrainConfig(text_column="t", tokenizer="word", lm_mode="chunk", task="regress")
    assert reader_options(config, "x.csv") == {
        "text_column": "t",
        "tokenizer": "word",
        "task": "regress",
    }
    assert reader_options(config, "x.txt.gz") == {"tokenizer": "word", "mode": "chunk"}
    assert reader_options(config, "x.ts") == {}
    assert reader_options(config, "japanese-vowels") == {}


def test_an_option_the_training_data_cannot_take_is_an_error():
    with pytest.raises(ConfigError, match=r"expected \.csv/.*--tokenizer, got \.ts file x\.ts"):
        reader_options(TrainConfig(tokenizer="word"), "x.ts", strict=True)
    with pytest.raises(ConfigError, match="--mode"):
        reader_options(TrainConfig(lm_mode="chunk"), "x.csv", strict=True)


@pytest.mark.parametrize(
    ("batching", "max_tokens"),
    [("buckets:10,20,30", None), ("auto", 32), ("per-length", 8), ("pad-all", 16)],
)
def test_evaluation_batches_fit_every_input(batching, max_tokens):
    # Lengths past the last training boundary and the token budget still get scored, once each.
    config = TrainConfig(batching=batching, max_tokens=max_tokens, batch_size=4)
    lengths = np.array([3, 45, 12, 25, 45, 7, 31, 9])
    batches = list(eval_batches(lengths, config))
    seen = np.sort(np.concatenate([indices for indices, _ in batches]))
    assert seen.tolist() == list(range(len(lengths)))
    for indices, pad_to in batches:
        assert pad_to >= lengths[indices].max()


def test_evaluation_batching_keeps_the_training_plan_when_everything_fits():
    config = TrainConfig(batching="buckets:10,20,30", max_tokens=64)
    bcfg = eval_batching_config(np.array([5, 30]), config)
    assert bcfg.boundaries == (10, 20, 30) and bcfg.max_tokens == 64
    stretched = eval_batching_config(np.array([5, 45]), config)
    assert stretched.boundaries == (10, 20, 30, 45) and stretched.max_tokens == 64
    assert eval_batching_config(np.array([100]), config).max_tokens == 100
