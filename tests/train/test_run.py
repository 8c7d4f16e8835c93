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
