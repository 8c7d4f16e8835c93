"""How a ``TrainConfig`` becomes the other packages' objects: the data set, the batching config
and sampler, the model config. Every call into ``seqbucket.data``, ``seqbucket.batching`` and
``seqbucket.models`` that depends on their exact signatures goes through here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from seqbucket.batching import BatchingConfig, parse_batching, plan
from seqbucket.batching.sampler import BucketBatchSampler
from seqbucket.data import Batch, SequenceDataset, Vocab, gather_batch, load_dataset
from seqbucket.errors import ConfigError, DataError
from seqbucket.models import ModelConfig
from seqbucket.train.config import TrainConfig

# Which TrainConfig reader fields each file format takes (load_dataset rejects the others).
# field -> reader keyword; "task" is handled apart (records only, classify/regress only).
_READER_KWARG = {"lm_mode": "mode"}
_RECORDS = (".csv", ".tsv", ".jsonl")
_OPTIONS_OF_FORMAT = {
    **{s: ("text_column", "label_column", "tokenizer", "min_freq", "max_size") for s in _RECORDS},
    ".txt": ("tokenizer", "min_freq", "max_size", "lm_mode", "chunk_size"),
}
_FLAG_OF = {"lm_mode": "--mode"}


def file_format(source: str) -> str | None:
    """The reader suffix of a path (``.csv``, ``.ts``...; ``x.csv.gz`` -> ``.csv``), or None for
    an embedded name."""
    if not is_path(source):
        return None
    suffixes = [s.lower() for s in Path(source).suffixes]
    if suffixes[-1:] == [".gz"] and len(suffixes) >= 2:
        return suffixes[-2]
    return suffixes[-1] if suffixes else None


def reader_options(config: TrainConfig, source: str, *, strict: bool = False) -> dict[str, Any]:
    """The reader keywords of ``config`` that apply to ``source``'s format.

    ``strict`` (the training data itself): an option set for a format that does not take it is a
    ``ConfigError`` rather than silently ignored. Test, evaluation and prediction inputs may be
    in another format than the training data, so there the options that do not apply are left
    out."""
    fmt = file_format(source)
    applies = _OPTIONS_OF_FORMAT.get(fmt or "", ())
    options: dict[str, Any] = {}
    for name in ("text_column", "label_column", "tokenizer", "min_freq", "max_size", "lm_mode",
                 "chunk_size"):  # fmt: skip
        value = getattr(config, name)
        if value is None:
            continue
        if name in applies:
            options[_READER_KWARG.get(name, name)] = value
        elif strict:
            flag = _FLAG_OF.get(name, "--" + name.replace("_", "-"))
            takes = [f for f, names in _OPTIONS_OF_FORMAT.items() if name in names]
            raise ConfigError(
                f"expected {'/'.join(takes)} data for {flag}, got "
                f"{fmt + ' file' if fmt else 'embedded data set'} {source}"
            )
    if fmt in _RECORDS and config.task in ("classify", "regress"):
        options["task"] = config.task  # the labels' kind: a reader cannot guess regression
    return options


def load_data(
    source: str,
    split: str = "train",
    *,
    config: TrainConfig | None = None,
    training: bool = False,
    vocab: Vocab | None = None,
    label_names: list[str] | None = None,
    require_labels: bool = True,
) -> SequenceDataset:
    """``load_dataset`` with ``config``'s reader options, and an empty result turned into a
    one-line ``DataError``. ``require_labels=False`` reads prediction inputs, whose labels may be
    absent.

    ``training``: this is the data trained on, so options that do not apply to its format are an
    error and ``max_length``/``overlong`` apply as set. Otherwise (test, evaluation, prediction)
    over-long sequences are only ever truncated (with ``overlong="truncate"``, as in training):
    every input gets a score or a prediction."""
    options: dict[str, Any] = {}
    limit: dict[str, Any] = {}
    if config is not None:
        options = reader_options(config, source, strict=training)
        if config.max_length is not None and (training or config.overlong == "truncate"):
            limit = {"max_length": config.max_length, "overlong": config.overlong}
    if not require_labels:
        options["require_labels"] = False  # load_dataset ignores it for .txt (lm targets)
    ds = load_dataset(source, split=split, vocab=vocab, label_names=label_names, **limit, **options)
    if len(ds) == 0:
        raise DataError(f"expected examples in {source} ({split} split), got an empty split")
    return ds


def settle_for_data(config: TrainConfig, full: SequenceDataset) -> TrainConfig:
    """``config`` with its data-dependent defaults settled for ``full``, the training data
    before the validation split (``TrainConfig.resolved_for``: the front end by its median
    length, the pooling, the direction, auto's randomness)."""
    median = float(np.median(full.lengths))
    return config.resolved_for(
        full.task, median_length=median, features=full.num_features is not None
    )


def is_path(source: str) -> bool:
    """Whether ``source`` names a file rather than an embedded data set."""
    return Path(source).exists() or Path(source).suffix != ""


def check_task(config: TrainConfig, ds: SequenceDataset) -> None:
    if config.task is not None and config.task != ds.task:
        raise ConfigError(
            f"expected {config.task!r} data for --task {config.task}, "
            f"got {ds.task!r} data in {config.data}"
        )


def check_known_labels(ds: SequenceDataset, train_labels: np.ndarray, where: str) -> None:
    """Every class id in ``ds`` must occur in the training data (``train_labels``), else the
    model was never trained on it and its accuracy there is meaningless."""
    if ds.task not in ("classify", "tag") or not ds.labelled:
        return
    targets = np.asarray(ds.targets)
    seen = np.unique(train_labels[train_labels >= 0])
    unseen = np.setdiff1d(np.unique(targets[targets >= 0]), seen)
    if len(unseen):
        names = ds.label_names or []
        shown = [names[i] if i < len(names) else str(i) for i in unseen[:5].tolist()]
        first = int(np.flatnonzero(np.isin(targets, unseen))[0])
        raise DataError(
            f"{where}: expected only labels seen in training, got {len(unseen)} unseen "
            f"({', '.join(shown)}), first at example {first}"
        )


def batching_config(config: TrainConfig) -> BatchingConfig:
    """The batching strategy of ``config.batching`` with the run's batch size, token budget and
    randomness (refused by ``BatchingConfig`` for a strategy other than auto)."""
    return parse_batching(
        config.batching,
        batch_size=config.batch_size,
        max_tokens=config.max_tokens,
        randomness=config.randomness,
    )


def make_sampler(
    lengths: np.ndarray, config: TrainConfig, *, rank: int = 0, world_size: int = 1
) -> BucketBatchSampler:
    """The run's plan; with several processes, rank ``rank``'s slices (NOTE [rank slices])."""
    return BucketBatchSampler(
        lengths, batching_config(config), seed=config.seed, rank=rank, world_size=world_size
    )


def eval_batching_config(lengths: np.ndarray, config: TrainConfig) -> BatchingConfig:
    """The run's batching, stretched so that every one of ``lengths`` fits: evaluation and
    prediction must score every input, and the limits that shaped training batches (the last
    bucket boundary, the token budget) say nothing about which inputs a model can read. The
    longest length becomes an extra last boundary when it exceeds the last one, and the token
    budget is raised to at least that length (one sequence per batch at worst)."""
    bcfg = batching_config(config)
    longest = int(np.max(lengths)) if len(lengths) else 0
    changes: dict[str, Any] = {}
    if bcfg.boundaries is not None and longest > bcfg.boundaries[-1]:
        changes["boundaries"] = (*bcfg.boundaries, longest)
        if bcfg.bucket_batch_sizes is not None:
            sizes = bcfg.bucket_batch_sizes
            changes["bucket_batch_sizes"] = (*sizes, sizes[-1])
    if bcfg.max_tokens is not None and bcfg.max_tokens < longest:
        changes["max_tokens"] = longest
    if bcfg.maxlen is not None and bcfg.maxlen < longest:
        changes["maxlen"] = longest
    if bcfg.drop_last:
        changes["drop_last"] = False
    return bcfg.replace(**changes) if changes else bcfg


def eval_batches(
    lengths: np.ndarray, config: TrainConfig
) -> Iterator[tuple[np.ndarray, int | None]]:
    """Batches for evaluation and prediction: the training strategy's plan (bucketed, so little
    padding), stretched to fit every length (``eval_batching_config``), epoch 0, every example
    exactly once. Yields ``(indices, pad_to)``."""
    batch_plan = plan(lengths, eval_batching_config(lengths, config), seed=config.seed, epoch=0)
    covered = sum(len(b) for b in batch_plan.batches)
    if covered != len(lengths):
        raise ConfigError(
            f"expected the {config.batching!r} plan to cover all {len(lengths)} examples for "
            f"evaluation, got {covered}"
        )
    for indices, pad_to in zip(batch_plan.batches, batch_plan.pad_lengths, strict=True):
        yield np.asarray(indices), int(pad_to)


def collate_batch(ds: SequenceDataset, indices: Any, pad_to: int | None) -> Batch:
    """``collate([ds[i] for i in indices], pad_to)``, gathered from ``ds``'s storage in a few
    vectorised calls (``data.gather_batch``): this runs every training step."""
    return gather_batch(ds, indices, pad_to)


def model_config(
    config: TrainConfig, ds: SequenceDataset, *, max_len: int | None = None
) -> ModelConfig:
    """The model for ``ds``'s task and inputs with the run's sizes. ``max_len`` (the unshared
    baseline's longest readable sequence) defaults to the longest sequence of ``ds``."""
    vocab_size = len(ds.vocab) if ds.vocab is not None and ds.num_features is None else None
    num_classes = None
    if ds.task in ("classify", "tag"):
        num_classes = len(ds.label_names or []) or int(np.asarray(ds.targets).max()) + 1
    return ModelConfig(
        kind=config.model,
        task=ds.task,
        input_size=ds.num_features,
        vocab_size=vocab_size,
        hidden_size=config.hidden_size,
        num_layers=config.num_layers,
        bidirectional=bool(config.bidirectional),
        dropout=config.dropout,
        num_classes=num_classes,
        max_len=(max_len or int(ds.lengths.max())) if config.model == "unshared" else None,
        impl=config.impl,
        # resolved_for settles frontend/pooling; "none"/"last" stand in for an unresolved config
        frontend=config.frontend or "none",
        frontend_channels=config.frontend_channels,
        frontend_layers=config.frontend_layers,
        frontend_kernel=config.frontend_kernel,
        frontend_stride=config.frontend_stride,
        frontend_norm=config.frontend_norm,
        head_dropout=config.head_dropout,
        pooling=config.pooling or "last",
        series_norm=config.series_norm,
        raw_channel=config.raw_channel,
    )


def pick_device(name: str) -> torch.device:
    """``auto``: the first CUDA device when present, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("expected a CUDA device for device='cuda', got none available")
    return torch.device(name)
