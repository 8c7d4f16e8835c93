"""Per-epoch metrics: one JSON object per line in ``<run>/metrics.jsonl``, optionally mirrored to
TensorBoard.

Each line holds: ``epoch`` (1-based, as the console prints it), ``step`` (optimiser steps so
far), ``train_loss``, ``val_loss``,
``val_accuracy`` (classify/tag/lm) or ``val_rmse`` (regress), ``val_macro_f1`` (classify/tag),
``val_perplexity`` (lm), ``lr``, ``tokens_per_s`` (real
tokens, padding excluded), ``padding_overhead`` (padded / real - 1), ``distinct_shapes`` (distinct
``(B, T)`` batch shapes trained on so far: each is one kernel configuration or compiled graph),
``peak_memory_mb``, ``seconds`` (wall time of the epoch) and ``train_seconds`` (its training
steps alone). A record with ``"partial": true``
is an epoch that ``max_steps`` stopped before its end: a resume that continues the epoch drops it
and logs the whole epoch in its place, so a curve holds each epoch once.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path
from typing import Any

import torch

from seqbucket.errors import ConfigError
from seqbucket.train.jsonfile import finite_or_none, to_json


def peak_memory_mb(device: torch.device) -> float:
    """Peak memory of this process: CUDA ``max_memory_allocated`` on a GPU, else peak RSS."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def read_metrics(path: str | Path, *, skip_torn_tail: bool = True) -> list[dict[str, Any]]:
    """All records of a ``metrics.jsonl``. ``skip_torn_tail``: a torn last line (a crash
    mid-write, which a resumed run rewrites) is skipped; otherwise (plots) it is an error too.

    Raises:
        ConfigError: a line that is not a JSON object with an integer ``epoch``, naming the file
            and line.
    """
    records = []
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if skip_torn_tail and number == len(lines):
                break
            record = None
        if not isinstance(record, dict) or not isinstance(record.get("epoch"), int):
            raise ConfigError(
                f"{path}, line {number}: expected a JSON object with an integer epoch, got "
                f"{line[:60]!r} (truncated or edited?)"
            )
        records.append(record)
    return records


class MetricsLogger:
    """Appends epoch records to ``metrics.jsonl``; mirrors numbers to TensorBoard when asked.

    ``keep_before_epoch`` (on resume) first drops records of epochs ``>= keep_before_epoch``
    (1-based, as in the records): they belong to the interrupted part that the resumed run trains
    again.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        tensorboard_dir: str | Path | None = None,
        keep_before_epoch: int | None = None,
    ) -> None:
        self.path = Path(path)
        if keep_before_epoch is not None and self.path.exists():
            kept = [r for r in read_metrics(self.path) if r.get("epoch", 0) < keep_before_epoch]
            self.path.write_text("".join(to_json(r) + "\n" for r in kept), encoding="utf-8")
        self._writer = None
        if tensorboard_dir is not None:
            try:
                from torch.utils.tensorboard import SummaryWriter  # lazy: an optional extra
            except ImportError as exc:
                raise ConfigError(
                    "expected the tensorboard package for --tensorboard "
                    "(pip install 'seqbucket[tensorboard]'), got none installed"
                ) from exc
            self._writer = SummaryWriter(log_dir=str(tensorboard_dir))

    def log(self, record: dict[str, Any]) -> None:
        clean = finite_or_none(record)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(to_json(clean) + "\n")
        if self._writer is not None:
            step = int(record.get("step", 0))
            for key, value in clean.items():
                if isinstance(value, (int, float)) and key not in ("epoch", "step"):
                    self._writer.add_scalar(key, value, step)
            self._writer.flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
