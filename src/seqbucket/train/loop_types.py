"""What the training loop reads, keeps and returns: its batch source, the running sums of an
epoch, its result, and which settings a resume must share with its checkpoint."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from seqbucket.train.config import READER_FIELDS

# Settings a resumed run must share with its checkpoint: they shape the model, the data order or
# the optimisation. The others (epochs, patience, output, logging) may change on resume.
RESUME_LOCKED = (
    "data",
    "task",
    "val_fraction",
    "standardize",
    *READER_FIELDS,  # they decide the examples and the vocabulary
    "model",
    "hidden_size",
    "num_layers",
    "bidirectional",
    "dropout",
    *("frontend", "frontend_channels", "frontend_layers", "frontend_kernel", "frontend_stride"),
    *("frontend_norm", "pooling", "series_norm", "head_dropout", "raw_channel"),
    "batching",
    "batch_size",
    "max_tokens",
    "lr",
    "weight_decay",
    "schedule",
    "warmup_steps",
    "grad_clip",
    "augment_crop",
    "ema_decay",
    "seed",
    "precision",  # autocast rounds differently: a resume in another precision is not exact
)


class BatchSource(Protocol):
    """What the loop reads batches from: ``BucketBatchSampler``, or a peer's batches
    (``seqbucket.bench``). ``iter_batches`` yields ``(step, indices, pad_to)`` from the current
    step on; ``pad_to`` None pads to the batch's longest member."""

    def set_epoch(self, epoch: int) -> None: ...
    def __len__(self) -> int: ...
    def iter_batches(self) -> Iterator[tuple[int, np.ndarray, int | None]]: ...
    def state_dict(self) -> dict[str, Any]: ...
    def load_state_dict(self, state: dict[str, Any]) -> None: ...


# What checkpoints written before these settings existed were trained with.
BEFORE_RESOLVED = {"frontend": "none", "pooling": "last"}


@dataclass
class EpochTotals:
    """Running sums of the epoch in progress (saved mid-epoch, so resumed metrics match too)."""

    loss_sum: float = 0.0  # sum over batches of loss * real target positions
    positions: int = 0  # real target positions (examples, or real steps for tag/lm)
    real_tokens: int = 0  # sum of true lengths
    padded_tokens: int = 0  # sum of B * T over batches
    seconds: float = 0.0  # time spent in training steps (evaluation excluded)


@dataclass
class FitResult:
    epochs: int  # epochs finished
    steps: int  # optimiser steps taken
    best: dict[str, Any] | None  # {"epoch", "score", "val"} of the best validation epoch
    stop_reason: str  # "epochs", "max_steps", "patience" or "interrupted"
    interrupted: bool = False
    records: list[dict[str, Any]] = field(default_factory=list)


def plain_state(value: Any) -> Any:
    """NumPy scalars and arrays -> Python numbers and lists, so ``weights_only`` loads them."""
    if isinstance(value, dict):
        return {k: plain_state(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(plain_state(v) for v in value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
