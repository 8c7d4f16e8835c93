"""What a resume refuses or notes (train/resume_checks.py), checked directly on plain state."""

from __future__ import annotations

import pytest

from seqbucket.errors import CheckpointError
from seqbucket.models import ModelConfig
from seqbucket.train.config import TrainConfig
from seqbucket.train.resume_checks import check_same_run, kept_schedule_length


def _state(config: TrainConfig, model: ModelConfig) -> dict:
    return {"config": config.to_dict(), "model_config": model.to_dict()}


def test_the_same_settings_and_model_resume_and_a_locked_change_is_refused():
    config, model = TrainConfig(lr=0.01), ModelConfig(input_size=3, num_classes=4)
    check_same_run(_state(config, model), config, model, "last.pt")
    # epochs may change on resume; lr may not
    check_same_run(_state(config, model), config.replace(epochs=99), model, "last.pt")
    with pytest.raises(CheckpointError, match=r"^checkpoint last.pt was trained with lr=0.01, "):
        check_same_run(_state(config, model), config.replace(lr=0.02), model, "last.pt")
    other = ModelConfig(input_size=3, num_classes=5)
    with pytest.raises(CheckpointError, match="holds a different model"):
        check_same_run(_state(config, other), config, model, "last.pt")


def test_a_setting_an_old_checkpoint_lacks_counts_as_its_old_value():
    config, model = TrainConfig(), ModelConfig(input_size=3, num_classes=4)
    state = _state(config, model)
    del state["config"]["ema_decay"]  # written before the setting existed: its default, None
    check_same_run(state, config, model, "last.pt")
    with pytest.raises(CheckpointError, match=r"ema_decay=None, got ema_decay=0\.9"):
        check_same_run(state, config.replace(ema_decay=0.9), model, "last.pt")


def test_the_schedule_keeps_its_length_a_shorter_limit_is_a_note_a_longer_one_refused():
    assert kept_schedule_length(100, 100, "cosine", "p") is None
    assert kept_schedule_length(100, 300, "constant", "p") is None  # constant: no curve to keep
    note = kept_schedule_length(100, 60, "cosine", "p")
    assert note is not None and "keeps its original length of 100 steps" in note
    with pytest.raises(CheckpointError, match="cosine learning-rate schedule of 100 steps"):
        kept_schedule_length(100, 150, "cosine", "p")
