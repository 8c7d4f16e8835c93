"""What a resume must refuse or tell the user, as pure functions of the checkpoint and the new
run: the settings and the model it must share (:func:`check_same_run`), and the learning-rate
schedule's length, which is kept from the first run (:func:`kept_schedule_length`)."""

from __future__ import annotations

from typing import Any

from seqbucket.errors import CheckpointError, ConfigError
from seqbucket.models import ModelConfig
from seqbucket.train.config import TrainConfig
from seqbucket.train.loop_types import BEFORE_RESOLVED, RESUME_LOCKED


def check_same_run(
    state: dict[str, Any], config: TrainConfig, model_config: ModelConfig, path: str
) -> None:
    """``CheckpointError`` unless the checkpoint ``state`` (a ``last.pt``) was trained with the
    same ``RESUME_LOCKED`` settings as ``config`` and the same model as ``model_config``."""
    saved = state.get("config", {})
    current = config.to_dict()
    # A setting older checkpoints lack had its default, or (the data-dependent ones) the value
    # it always resolved to before it existed.
    defaults = TrainConfig().to_dict()
    if "frontend_channels" not in saved:  # always saved (an int) since the front end exists
        defaults.update(BEFORE_RESOLVED)
    for key in RESUME_LOCKED:
        was = saved.get(key, defaults[key])
        if was != current.get(key):
            raise CheckpointError(
                f"checkpoint {path} was trained with {key}={was!r}, got "
                f"{key}={current.get(key)!r}; resume with the same settings or start over "
                "with --force"
            )
    try:  # missing (newer) fields take their defaults, as when the checkpoint was written
        saved_model = ModelConfig.from_dict(state.get("model_config") or {}).to_dict()
    except (ConfigError, TypeError):
        saved_model = None
    if saved_model != model_config.to_dict():
        raise CheckpointError(f"checkpoint {path} holds a different model than this config")


def kept_schedule_length(saved: int, wanted: int, schedule: str, path: str) -> str | None:
    """A resume keeps the checkpoint's schedule length ``saved`` rather than the ``wanted`` one
    of the new epoch/step limits; returns the note to print, if any. Only the cosine and
    one-cycle curves depend on it (constant: no note). They reach lr ~0 at their end, so a
    limit past it would only train at lr 0: ``CheckpointError``, rather than silently wasted."""
    if wanted == saved or schedule == "constant":
        return None
    if wanted > saved:
        raise CheckpointError(
            f"checkpoint {path} has a {schedule} learning-rate schedule of {saved} steps, which "
            f"reaches lr 0 at its end; the new limits ask for {wanted} steps. Resume with the "
            "original --epochs/--max-steps, or start a new run from its weights with --init-from"
        )
    return (
        f"note: the learning-rate schedule keeps its original length of {saved} steps (the new "
        f"--epochs/--max-steps limit the run to {wanted} steps, so the rate stops short of 0)"
    )
