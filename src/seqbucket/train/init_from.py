"""``--init-from RUN``: a new run whose model starts from another run's best weights.

This is fine-tuning (new data, same model), and it is how a finished cosine run is extended: a
cosine schedule ends at lr 0, so ``--resume`` with more epochs is refused (it would only train
at lr 0), while ``--init-from`` starts a new run, with its own warm-up and schedule, from the
old run's best weights. Nothing else is carried over: optimiser state, step counts and RNG
states start afresh.

What the weights were trained on is carried over with them, because the weights mean nothing
without it: the new run reads its data with the source run's vocabulary (token ids) and label
names (class ids), and scales features with the source run's standardiser. The new run's model
settings must build the same model (same kind, sizes, task, classes); a mismatch is a
``CheckpointError`` naming the first differing setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqbucket.errors import CheckpointError
from seqbucket.models import ModelConfig
from seqbucket.train.artifacts import DataMeta, load_weights
from seqbucket.train.checkpoint import load_checkpoint
from seqbucket.train.rundir import RunDir


@dataclass(frozen=True)
class InitSource:
    """The checkpoint a run starts from: where it is, its data metadata and its raw state."""

    run_dir: Path
    checkpoint: Path
    meta: DataMeta
    state: dict[str, Any]


def read_init_source(run_dir: str | Path) -> InitSource:
    """Read ``run_dir``'s ``best.pt`` (``last.pt`` when it has no best one).

    Raises:
        MissingFileError / CheckpointError: no such run, no checkpoint, or one without the
            metadata a model needs.
    """
    run = RunDir(Path(run_dir))
    run.require_exists()
    path = run.best if run.best.is_file() else run.last
    if not path.is_file():
        raise CheckpointError(
            f"expected a checkpoint in {run.checkpoints} for --init-from, got none"
        )
    state = load_checkpoint(path)
    try:
        meta = DataMeta.from_state(state["meta"])
        if not isinstance(state["model_config"], dict):
            raise TypeError("model_config is not a table")
    except (KeyError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"checkpoint {path} lacks its run metadata ({exc})") from None
    return InitSource(run.path, path, meta, state)


def init_weights(model: Any, model_config: ModelConfig, source: InitSource) -> None:
    """Copy ``source``'s weights into ``model`` (built from ``model_config``) in place.

    Raises:
        CheckpointError: the source's model differs; the message names the first setting."""
    theirs = source.state["model_config"]
    ours = model_config.to_dict()
    for key in sorted(set(theirs) | set(ours)):
        if theirs.get(key) != ours.get(key):
            raise CheckpointError(
                f"--init-from {source.run_dir}: its model has {key}={theirs.get(key)!r}, this "
                f"run's has {key}={ours.get(key)!r}; expected the same model settings"
            )
    load_weights(model, source.state, source.checkpoint)
