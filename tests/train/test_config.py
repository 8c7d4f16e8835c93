"""TrainConfig: TOML round trip, flat and sectioned files, precedence, and one-line errors."""

from __future__ import annotations

import pytest

from seqbucket.errors import ConfigError, MissingFileError
from seqbucket.train.config import TrainConfig, resolve_config


def test_toml_round_trip_keeps_every_set_field(tmp_path):
    config = TrainConfig(data="plaid", hidden_size=7, bidirectional=True, max_tokens=512, lr=0.01)
    path = tmp_path / "c.toml"
    config.save_toml(path)
    assert TrainConfig.from_toml(path) == config
    text = path.read_text()
    # Sections, as documented; None fields left out (TOML has no null).
    assert "[model]" in text and 'kind = "lstm"' in text and "[batching]" in text
    assert "test" not in text.split("[data]")[1].split("[")[0]


def test_flat_and_sectioned_files_mean_the_same(tmp_path):
    flat = tmp_path / "flat.toml"
    flat.write_text('data = "plaid"\nmodel = "gru"\nhidden_size = 8\nbatching = "random"\n')
    nested = tmp_path / "nested.toml"
    nested.write_text(
        '[data]\ndata = "plaid"\n[model]\nkind = "gru"\nhidden_size = 8\n'
        '[batching]\nstrategy = "random"\n'
    )
    assert TrainConfig.from_toml(flat) == TrainConfig.from_toml(nested)
    assert TrainConfig.from_toml(flat).model == "gru"


def test_flags_override_the_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("hidden_size = 8\nlr = 0.5\n")
    config = resolve_config({"hidden_size": 16}, config_file=path)
    assert (config.hidden_size, config.lr) == (16, 0.5)


def test_resume_without_config_reads_the_runs_saved_config(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    TrainConfig(hidden_size=5, out=str(run)).save_toml(run / "config.toml")
    config = resolve_config({"out": str(run)}, resume=True)
    assert config.hidden_size == 5


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("hidden_sise = 3\n", "unknown setting 'hidden_sise'"),
        ("[model]\nwidth = 3\n", "unknown setting [model] 'width'"),
        ('hidden_size = "big"\n', "expected hidden_size to be int"),
        ("lr = -1.0\n", "expected lr finite and > 0"),
        ("model = 'transformer'\n", "expected model one of"),
        ("hidden_size = \n", "invalid TOML"),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path, text, needle):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_toml(path)
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(MissingFileError, match="does not exist"):
        TrainConfig.from_toml(tmp_path / "nope.toml")


def test_neither_epochs_nor_steps_is_an_error():
    with pytest.raises(ConfigError, match="epochs or max_steps"):
        TrainConfig(epochs=None, max_steps=None)


def test_default_run_dir_is_runs_slash_data_name():
    assert str(TrainConfig(data="japanese-vowels").run_dir) == "runs/japanese-vowels"
    assert str(TrainConfig(data="/x/y/PLAID_TRAIN.ts").run_dir) == "runs/PLAID_TRAIN"
