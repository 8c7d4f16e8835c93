"""What a checkpoint must hold to use a model later, and loading a finished run from its folder.

Both ``best.pt`` and ``last.pt`` carry the *inference state*: the resolved training config, the
model config, the weights, the label names, the vocabulary tokens, the feature standardisation and
the class ids seen in training. ``last.pt`` adds the training state (see ``trainer.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from seqbucket.data import SequenceDataset, Vocab
from seqbucket.errors import CheckpointError, ConfigError
from seqbucket.models import ModelConfig, build_model
from seqbucket.train.checkpoint import load_checkpoint
from seqbucket.train.config import TrainConfig
from seqbucket.train.rundir import RunDir
from seqbucket.train.standardize import Standardizer
from seqbucket.train.wiring import check_known_labels, load_data, pick_device


@dataclass(frozen=True)
class DataMeta:
    """What the model learned about its data, besides weights."""

    task: str
    label_names: list[str] | None  # class (tag) names in id order
    vocab: Vocab | None  # token vocabulary of id inputs
    standardizer: Standardizer | None  # per-channel feature scaling from the training split
    train_labels: np.ndarray  # int64 class ids present in the training split (empty if none)

    def to_state(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "label_names": self.label_names,
            "vocab_tokens": list(self.vocab.tokens) if self.vocab is not None else None,
            "standardizer": self.standardizer.state_dict() if self.standardizer else None,
            "train_labels": torch.from_numpy(self.train_labels.astype(np.int64)),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> DataMeta:
        tokens = state["vocab_tokens"]
        scaler = state["standardizer"]
        return cls(
            task=state["task"],
            label_names=state["label_names"],
            vocab=Vocab(tokens) if tokens is not None else None,
            standardizer=Standardizer.from_state_dict(scaler) if scaler is not None else None,
            train_labels=state["train_labels"].numpy(),
        )


def inference_state(
    config: TrainConfig, model_config: ModelConfig, model: torch.nn.Module, meta: DataMeta
) -> dict[str, Any]:
    """The part of a checkpoint that ``load_run`` needs (plain data and tensors only)."""
    return {
        "config": {k: v for k, v in config.to_dict().items() if v is not None},
        "model_config": model_config.to_dict(),
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "meta": meta.to_state(),
    }


def restore_model(state: dict[str, Any], path: Path, device: torch.device) -> torch.nn.Module:
    """Build the checkpoint's model and load its weights; a mismatch is a ``CheckpointError``."""
    try:
        model = build_model(ModelConfig.from_dict(state["model_config"]))
        model.load_state_dict(state["model"])
    except (KeyError, RuntimeError, ConfigError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"checkpoint {path} does not fit its model: {first[:200]}") from None
    return model.to(device)


@dataclass
class LoadedRun:
    """A finished run, ready to evaluate or predict."""

    run_dir: Path
    checkpoint: Path
    config: TrainConfig
    model: torch.nn.Module
    meta: DataMeta
    device: torch.device
    epoch: int

    @property
    def standardizer(self) -> Standardizer | None:
        return self.meta.standardizer

    def load_labelled(self, data: str, split: str = "test") -> SequenceDataset:
        """``data`` (embedded name -> ``split``; or a path) read with this run's labels and
        vocabulary, checked for the run's task and for labels unseen in training."""
        ds = load_data(data, split, vocab=self.meta.vocab, label_names=self.meta.label_names)
        if ds.task != self.meta.task:
            raise ConfigError(
                f"expected {self.meta.task!r} data for the model in {self.run_dir}, "
                f"got {ds.task!r} data in {data}"
            )
        if not ds.labelled:
            raise ConfigError(f"expected labelled data to evaluate, got no labels in {data}")
        check_known_labels(ds, self.meta.train_labels, data)
        return ds


def load_run(run_dir: str | Path, *, device: str = "auto") -> LoadedRun:
    """Load ``<run_dir>/checkpoints/best.pt`` (or ``last.pt`` if no epoch finished better)."""
    run = RunDir(Path(run_dir))
    run.require_exists()
    path = run.best if run.best.is_file() else run.last
    if not path.is_file():
        raise CheckpointError(f"expected a checkpoint in {run.checkpoints}, got none")
    state = load_checkpoint(path)
    try:
        config = TrainConfig.from_dict(state["config"], where=str(path))
        meta = DataMeta.from_state(state["meta"])
    except (KeyError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"checkpoint {path} lacks its run metadata ({exc})") from None
    dev = pick_device(device)
    model = restore_model(state, path, dev)
    model.eval()
    return LoadedRun(run.path, path, config, model, meta, dev, int(state.get("epoch", 0)))
