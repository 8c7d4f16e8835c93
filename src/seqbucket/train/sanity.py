"""Checks before training that turn a silent waste or a crash into one clear line.

- ``check_classes``: a classifier needs at least two classes (one class trains to a meaningless
  "accuracy 100%, loss 0").
- ``check_memory`` / ``build_model_or_explain``: a model whose weights, gradients and AdamW
  state cannot fit in memory is refused before it is allocated (``--hidden-size 100000000``
  would otherwise die in the allocator with a traceback, or be killed later by the OS).
- ``outlier_warnings``: one very long sequence among short ones makes its batch pad, and hold
  activations, for its whole length; say so before training and give the flags that cap it.

Memory figures are estimates (documented below), good to a small factor: enough to tell
"fits easily" from "cannot fit", which is all they are used for.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import torch

from seqbucket.data import SequenceDataset
from seqbucket.errors import ConfigError, DataError
from seqbucket.models import ModelConfig, build_model, param_count
from seqbucket.train.config import TrainConfig
from seqbucket.train.wiring import batching_config

# The longest sequence may be this many times the 99th percentile before it is an outlier.
OUTLIER_RATIO = 20
# Planned padding beyond this (padded / real - 1) is worth a warning, except for pad-all,
# which pads everything by definition.
EXTREME_PADDING = 1.0
# Warn when the largest batch's activations are estimated above this share of the memory.
MEMORY_WARN_SHARE = 0.5
# Float32 copies of each parameter during training: weights, gradients, AdamW's two moments.
_COPIES_PER_PARAM = 4
# Floats kept per step, hidden unit, layer and direction for backpropagation through time:
# the gate activations (up to 4) plus the hidden and cell states.
_SAVED_PER_UNIT = {"lstm": 6, "gru": 5, "rnn": 2, "unshared": 6}


def check_classes(ds: SequenceDataset, source: str) -> None:
    """``DataError`` unless a labelled classification set holds at least two classes."""
    if ds.task != "classify" or not ds.labelled:
        return
    present = np.unique(np.asarray(ds.targets))
    if len(present) < 2:
        names = ds.label_names or []
        only = names[int(present[0])] if len(present) and int(present[0]) < len(names) else "?"
        n = len(ds)
        raise DataError(
            f"{source}: expected at least 2 classes to train a classifier, got 1 ({only!r}, in "
            f"{n} example{'s' if n != 1 else ''}); check --label-column, or use --task regress "
            "for numbers"
        )


def check_fits_buckets(lengths: np.ndarray, config: TrainConfig) -> None:
    """``ConfigError`` when training sequences are longer than the last bucket edge of
    ``--batching buckets:...``, with the ``train`` flags that fix it (the batching planner's own
    error names Python keywords that ``train`` does not take)."""
    edges = batching_config(config).boundaries
    if edges is None or len(lengths) == 0:
        return
    longest = int(np.max(lengths))
    if longest <= edges[-1]:
        return
    over = int((np.asarray(lengths) > edges[-1]).sum())
    wider = ",".join(str(e) for e in (*edges, longest))
    raise ConfigError(
        f"--batching {config.batching}: {over} training sequence(s) are longer than the last "
        f"edge {edges[-1]} (longest {longest}); add an edge (--batching buckets:{wider}) or "
        f"cap the data with --max-length {edges[-1]} --overlong truncate (or drop)"
    )


def memory_bytes(device: torch.device | None = None) -> int | None:
    """Total memory of ``device`` (the GPU's, or the machine's RAM), or None when unknown."""
    if device is not None and device.type == "cuda":
        return int(torch.cuda.get_device_properties(device).total_memory)
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def _gib(n: float) -> str:
    return f"{n / 2**30:,.1f} GiB"


def model_params(mcfg: ModelConfig) -> int | None:
    """Parameter count of ``mcfg``'s model, built on the meta device (no memory allocated)."""
    try:
        with torch.device("meta"):
            return param_count(build_model(mcfg))
    except (RuntimeError, NotImplementedError, TypeError, ValueError):
        return None


def check_memory(
    mcfg: ModelConfig, config: TrainConfig, device: torch.device | None = None
) -> None:
    """``ConfigError`` when the model's training state (``_COPIES_PER_PARAM`` float32 copies of
    every parameter) exceeds the memory of ``device``."""
    total = memory_bytes(device)
    params = model_params(mcfg)
    if total is None or params is None:
        return
    need = params * 4 * _COPIES_PER_PARAM
    if need > total:
        raise ConfigError(
            f"expected a model that fits in memory, got {params:,} parameters (hidden_size "
            f"{config.hidden_size}, {config.num_layers} layer(s)), which need about "
            f"{_gib(need)} to train, against {_gib(total)} here; choose a smaller --hidden-size "
            "or --num-layers"
        )


def build_model_or_explain(mcfg: ModelConfig) -> torch.nn.Module:
    """``build_model``, with an allocator failure turned into a one-line ``ConfigError``."""
    try:
        return build_model(mcfg)
    except (MemoryError, RuntimeError) as exc:
        text = str(exc)
        if not isinstance(exc, MemoryError) and "alloc" not in text and "memory" not in text:
            raise
        raise ConfigError(
            f"could not allocate the model (hidden_size {mcfg.hidden_size}, {mcfg.num_layers} "
            "layer(s)): not enough memory; choose a smaller --hidden-size or --num-layers"
        ) from None


def activation_bytes(batch: int, steps: int, mcfg: ModelConfig) -> float:
    """Estimated bytes one training batch of ``batch`` x ``steps`` keeps for backward."""
    directions = 2 if mcfg.bidirectional else 1
    units = _SAVED_PER_UNIT.get(mcfg.kind, 6) * mcfg.hidden_size * mcfg.num_layers * directions
    return 4.0 * batch * steps * (units + mcfg.encoder_input_size)


def outlier_warnings(
    lengths: np.ndarray,
    batch_plan: Any,
    mcfg: ModelConfig,
    *,
    strategy: str = "",
    device: torch.device | None = None,
) -> list[str]:
    """Warnings (one line each) about outlier lengths, extreme planned padding and the
    estimated activation memory of the largest planned batch; empty when all is well."""
    lengths = np.asarray(lengths)
    if len(lengths) == 0:
        return []
    out: list[str] = []
    # "lower": an actual length, and below 100 examples the second longest, so that one
    # outlier never inflates the percentile it is compared with.
    p99 = float(np.percentile(lengths, 99, method="lower"))
    longest = int(lengths.max())
    cap = max(1, math.ceil(2 * p99))
    fix = f"cap it with --max-length {cap} --overlong truncate (or drop)"
    if longest > OUTLIER_RATIO * p99:
        over = int((lengths > cap).sum())
        out.append(
            f"warning: the longest training sequence has {longest:,} steps, "
            f"{longest / p99:,.0f}x the 99th percentile ({p99:g}); its batch pads to it and "
            f"holds activations for every step. {over} sequence(s) exceed {cap}: {fix}"
        )
    sizes = np.fromiter((len(b) for b in batch_plan.batches), dtype=np.int64)
    pads = np.asarray(batch_plan.pad_lengths, dtype=np.int64)
    if len(sizes):
        padded = float((sizes * pads).sum())
        real = float(sum(int(lengths[b].sum()) for b in batch_plan.batches))
        overhead = padded / max(real, 1.0) - 1
        if overhead > EXTREME_PADDING and strategy != "pad-all":
            other = "" if strategy == "auto" else "try --batching auto, or "
            out.append(
                f"warning: the batch plan pads {overhead:.0%} on top of the real steps; "
                f"{other}{fix}"
            )
        worst = int(np.argmax(sizes * pads))
        need = activation_bytes(int(sizes[worst]), int(pads[worst]), mcfg)
        total = memory_bytes(device)
        if total is not None and need > MEMORY_WARN_SHARE * total:
            out.append(
                f"warning: the largest batch ({int(sizes[worst])} x {int(pads[worst]):,} steps) "
                f"needs about {_gib(need)} of activations for backward, against {_gib(total)} "
                f"of memory here; {fix}, or lower --batch-size / set --max-tokens"
            )
    return out
