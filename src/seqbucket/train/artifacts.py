"""What a checkpoint must hold to use a model later, and loading a finished run from its folder.

Both ``best.pt`` and ``last.pt`` carry the *inference state*: the resolved training config, the
model config, the weights, the label names, the vocabulary tokens, the feature standardisation and
the class ids seen in training. ``last.pt`` adds the training state (see ``trainer.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import torch

from seqbucket.data import SequenceDataset, Vocab
from seqbucket.errors import CheckpointError, ConfigError, DataError
from seqbucket.models import ModelConfig, build_model
from seqbucket.train.checkpoint import load_checkpoint
from seqbucket.train.config import TrainConfig
from seqbucket.train.rundir import RunDir
from seqbucket.train.standardize import Standardizer
from seqbucket.train.wiring import check_known_labels, file_format, load_data, pick_device


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
    except (KeyError, ConfigError, TypeError) as exc:
        _misfit(path, exc)
    load_weights(model, state, path)
    return model.to(device)


def load_weights(model: torch.nn.Module, state: dict[str, Any], path: Path | str) -> None:
    """Copy the checkpoint's weights (``state["model"]``) into ``model`` in place, on whatever
    device ``model`` is; missing, extra or misshapen tensors are a ``CheckpointError``."""
    try:
        model.load_state_dict(state["model"])
    except (KeyError, RuntimeError, TypeError) as exc:
        _misfit(path, exc)


def _misfit(path: Path | str, exc: Exception) -> NoReturn:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    raise CheckpointError(f"checkpoint {path} does not fit its model: {first[:200]}") from None


@dataclass
class LoadedRun:
    """A finished run, ready to evaluate or predict: ``seqbucket.load_run(path)``.

    ``model`` (eval mode, on ``device``), ``vocab``, ``standardizer`` and ``label_names`` are
    what training produced; ``predict`` and ``evaluate`` use them the way the CLI does.
    """

    run_dir: Path
    checkpoint: Path
    config: TrainConfig
    model: torch.nn.Module
    meta: DataMeta
    device: torch.device
    epoch: int
    model_config: ModelConfig

    @property
    def standardizer(self) -> Standardizer | None:
        """Per-channel feature scaling fitted on the training split (None: token inputs or
        ``standardize = false``)."""
        return self.meta.standardizer

    @property
    def vocab(self) -> Vocab | None:
        """The token vocabulary of a text model (None for feature series)."""
        return self.meta.vocab

    @property
    def label_names(self) -> list[str] | None:
        """Class (or tag) names in class-id order (None for lm and regress)."""
        return self.meta.label_names

    def predict(
        self, sequences: str | Path | Sequence[Any], split: str = "test", **options: Any
    ) -> list[dict[str, Any]]:
        """Predictions, one record per sequence, in order (fields: see ``train.predict``).

        ``sequences``: a list of strings (text model) or of ``(T, F)`` arrays (feature model),
        or a data file path or embedded name (then ``split`` and ``predict``'s ``options``
        ``id_column``/``echo_input`` apply)."""
        from seqbucket.train.inputs import dataset_from_sequences
        from seqbucket.train.predict import predict, predict_dataset

        if isinstance(sequences, (str, Path)):
            return predict(self, str(sequences), split, **options)
        if options:
            raise ConfigError(f"expected no options for in-memory sequences, got {sorted(options)}")
        ds = dataset_from_sequences(self, sequences)
        return predict_dataset(self, ds)

    def evaluate(self, data: str | Path | SequenceDataset, split: str = "test") -> dict[str, Any]:
        """Metrics on labelled ``data`` (an embedded name and its ``split``, a file, or a
        ``SequenceDataset`` read with this run's vocabulary and label names): the same numbers
        ``seqbucket evaluate`` prints (per-class ones for classifiers, perplexity for lm)."""
        from seqbucket.train.evaluate import evaluate, score_run

        if not isinstance(data, SequenceDataset):
            return evaluate(self, str(data), split)
        self.check_inputs(data, data.name)
        if data.task != self.meta.task or not data.labelled:
            raise ConfigError(
                f"expected labelled {self.meta.task!r} data for the model in {self.run_dir}, got "
                f"{'labelled' if data.labelled else 'unlabelled'} {data.task!r} data {data.name}"
            )
        check_known_labels(data, self.meta.train_labels, data.name)
        return {**score_run(self, data), "data": data.name}

    def read_input(
        self, data: str, split: str = "test", *, require_labels: bool = True
    ) -> SequenceDataset:
        """``data`` (embedded name -> ``split``; or a path) read with this run's reader options,
        labels and vocabulary, and checked against the model's inputs: token ids for a text
        model, ``F`` channels per step for a feature model (``DataError`` otherwise, before any
        tensor is built)."""
        expected = self._expected_inputs()
        if self.meta.vocab is not None and file_format(data) == ".ts":
            raise DataError(f"expected {expected}, got a .ts file of feature series: {data}")
        try:
            ds = load_data(
                data,
                split,
                config=self.config,
                vocab=self.meta.vocab,
                label_names=self.meta.label_names,
                require_labels=require_labels,
            )
        except DataError as exc:
            # The labels may fail first (another data set's classes, a text file's labels for a
            # feature model), while what matters is that the inputs do not fit: say that.
            try:
                probe = load_data(data, split, config=self.config, require_labels=False)
            except DataError:
                raise exc from None
            self.check_inputs(probe, data)
            raise
        self.check_inputs(ds, data)
        return ds

    def _expected_inputs(self) -> str:
        width = self.model_config.input_size
        where = f"as the model in {self.run_dir} was trained on"
        if width is None:
            return f"text (token ids) {where}"
        return f"{width} channel{'s' if width != 1 else ''} per step {where}"

    def check_inputs(self, ds: SequenceDataset, data: str) -> None:
        """``DataError`` unless ``ds`` holds the kind and width of inputs this model reads."""
        width = self.model_config.input_size
        if width is None and ds.num_features is not None:
            got = f"{ds.num_features} channel{'s' if ds.num_features != 1 else ''} per step"
        elif width is not None and ds.num_features is None:
            got = "text (token ids)"
        elif width is not None and ds.num_features != width:
            got = str(ds.num_features)
        else:
            return
        raise DataError(f"expected {self._expected_inputs()}, got {got} in {data}")

    def load_labelled(self, data: str, split: str = "test") -> SequenceDataset:
        """``read_input`` for scoring: labelled, of the run's task, and with no label unseen in
        training."""
        ds = self.read_input(data, split)
        if ds.task != self.meta.task:
            raise ConfigError(
                f"expected {self.meta.task!r} data for the model in {self.run_dir}, "
                f"got {ds.task!r} data in {data}"
            )
        if not ds.labelled:
            raise ConfigError(f"expected labelled data to evaluate, got no labels in {data}")
        check_known_labels(ds, self.meta.train_labels, data)
        return ds


def load_run(
    run_dir: str | Path, *, device: str = "auto", allow_incomplete: bool = False
) -> LoadedRun:
    """Load ``<run_dir>/checkpoints/best.pt``, or ``last.pt`` when there is no ``best.pt`` (the
    returned ``checkpoint`` says which; the CLI tells the user).

    A run whose training did not finish (marked ``INCOMPLETE``) raises ``CheckpointError``
    saying how to finish or remove it, unless ``allow_incomplete`` (training scores its own
    test split before it marks the run complete)."""
    run = RunDir(Path(run_dir))
    run.require_exists()
    if not allow_incomplete:
        run.require_complete()
    path = run.best if run.best.is_file() else run.last
    if not path.is_file():
        raise CheckpointError(f"expected a checkpoint in {run.checkpoints}, got none")
    state = load_checkpoint(path)
    try:
        config = TrainConfig.from_dict(state["config"], where=str(path))
        meta = DataMeta.from_state(state["meta"])
        mcfg = ModelConfig.from_dict(state["model_config"])
    except (KeyError, TypeError, AttributeError, ConfigError) as exc:
        raise CheckpointError(f"checkpoint {path} lacks its run metadata ({exc})") from None
    dev = pick_device(device)
    model = restore_model(state, path, dev)
    model.eval()
    return LoadedRun(run.path, path, config, model, meta, dev, int(state.get("epoch", 0)), mcfg)
