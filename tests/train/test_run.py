"""Where the test data come from, and the data-dependent defaults settled per task."""

from __future__ import annotations

import pytest

from seqbucket.errors import ConfigError
from seqbucket.train.config import TrainConfig
from seqbucket.train.run import resolve_test_source as source_of


def test_embedded_sets_test_on_their_test_split_files_on_nothing(tmp_path):
    assert source_of(TrainConfig(data="plaid")) == ("plaid", "test")
    data = tmp_path / "train.ts"
    data.write_text("")
    assert source_of(TrainConfig(data=str(data))) is None


def test_test_flag_is_a_split_name_or_another_source(tmp_path):
    assert source_of(TrainConfig(data="plaid", test="train")) == ("plaid", "train")
    assert source_of(TrainConfig(data="plaid", test="japanese-vowels")) == (
        "japanese-vowels",
        "test",
    )
    data = tmp_path / "train.ts"
    data.write_text("")
    assert source_of(TrainConfig(data=str(data), test="x.ts")) == ("x.ts", "test")
    with pytest.raises(ConfigError, match="has no splits"):
        source_of(TrainConfig(data=str(data), test="test"))


def test_bidirectional_defaults_off_only_for_language_models():
    assert TrainConfig().resolved_for("classify").bidirectional is True
    assert TrainConfig().resolved_for("lm").bidirectional is False
    assert TrainConfig(bidirectional=False).resolved_for("classify").bidirectional is False


def test_front_end_defaults_to_conv_for_long_float_series_only():
    from seqbucket.train.config import LONG_MEDIAN_LENGTH as LONG
    from seqbucket.train.run import describe_frontend_choice

    # PLAID's median training length is 300; JapaneseVowels' is 15.
    long = TrainConfig().resolved_for("classify", median_length=300)
    assert (long.frontend, long.pooling) == ("conv", "mean-max")
    assert "conv front end" in describe_frontend_choice(long, 300)
    assert "300 is >= 128" in describe_frontend_choice(long, 300)
    short = TrainConfig().resolved_for("classify", median_length=15)
    assert (short.frontend, short.pooling) == ("none", "last")
    assert TrainConfig().resolved_for("classify", median_length=LONG).frontend == "conv"
    assert TrainConfig().resolved_for("classify", median_length=LONG - 1).frontend == "none"
    # Per-step tasks and token ids never get one; an explicit choice always wins.
    assert TrainConfig().resolved_for("tag", median_length=300).frontend == "none"
    assert TrainConfig().resolved_for("lm", median_length=300, features=False).frontend == "none"
    assert TrainConfig(frontend="none").resolved_for("classify", median_length=300).pooling == (
        "last"
    )
    kept = TrainConfig(frontend="conv", pooling="last").resolved_for("regress", median_length=9)
    assert (kept.frontend, kept.pooling) == ("conv", "last")


def test_front_end_settings_are_checked():
    with pytest.raises(ConfigError, match="frontend_kernel"):
        TrainConfig(frontend_kernel=4)
    with pytest.raises(ConfigError, match="frontend one of"):
        TrainConfig(frontend="fft")
    with pytest.raises(ConfigError, match="pooling one of"):
        TrainConfig(pooling="attention")
