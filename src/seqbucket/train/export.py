"""A trained run as one ONNX file that runs outside Python, for every batch size and length.

The exported graph takes ``(x, lengths)`` and returns the run's logits, for any batch size and
any padded length (both axes are dynamic). It holds, in order: the run's feature standardiser,
then the model's own stages: series normalisation, the conv front end, the token embedding,
the fused encoder with exact masking (NOTE [exact masking without packing] in
``models/fused.py``), pooling and the task head. It is *not* traced through
``PackedSequence``, whose data-dependent batch sizes per step are the known failure case of
exporters; the masked fused path has only gathers and a mask, which export with symbolic
shapes.

Every export checks itself: the written file is loaded back with onnxruntime and run on batches
of mixed lengths and two different shapes; each must match the eager model within
``TOLERANCE``, else nothing is left at the target path.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from seqbucket._mask import lengths_to_mask
from seqbucket.errors import CheckpointError, ConfigError, ExportCheckError
from seqbucket.models import SequenceModel
from seqbucket.models.fused import fused_encode
from seqbucket.train.artifacts import LoadedRun, load_run
from seqbucket.train.evaluate import forward
from seqbucket.train.rundir import RunDir

TOLERANCE = 1e-4  # max |exported - eager| over every logit of the check batches
FORMATS = ("onnx",)  # the formats `seqbucket export --format` accepts
# (B, lengths) of the check batches: two shapes, mixed lengths, the longest in each batch once
# Kinds whose time loop exports with a symbolic length (NOTE [recurrent export over any length])
EXPORTABLE_KINDS = ("lstm", "gru")
_WHY_NOT = {
    "rnn": "torch 2.13 has no while_loop decomposition for nn.RNN, so its export fixes the length",
    "unshared": "its per-step weights exist only up to its max_len",
}
_CHECK_LENGTHS = ((3, 9, 1, 5), (6, 23, 17, 2, 23, 11, 8))


class ExportableModel(nn.Module):
    """``(x, lengths) -> logits`` of a run: standardise, then every stage of the trained
    :class:`SequenceModel` (series normalisation, conv front end, pooling, summary, head: its
    own ``stages``), with the encoder's embedding and fused recurrence called directly.

    Args of ``forward``:
        x: ``(B, T, F)`` float32 raw features (standardised inside, as in training) or ``(B, T)``
            int64 token ids; post padding (NOTE [padding convention]).
        lengths: ``(B,)`` int64, each in ``1..T``.

    It reuses the trained modules (no copy of the weights) and skips the model's input checks,
    whose data-dependent branches cannot be traced: the exported file trusts its inputs.
    """

    mean: torch.Tensor  # (F,) buffers, present when the run standardises its features
    std: torch.Tensor

    def __init__(self, run: LoadedRun) -> None:
        super().__init__()
        model = run.model
        assert isinstance(model, SequenceModel)
        assert isinstance(model.encoder.rnn, nn.RNNBase)  # export_run refuses the unshared one
        self.model = model
        scaler = run.standardizer
        self.standardize = scaler is not None and run.model_config.input_size is not None
        if scaler is not None:
            self.register_buffer("mean", scaler.mean.clone())  # (F,)
            self.register_buffer("std", scaler.std.clone())  # (F,)

    def _encode(
        self, x: torch.Tensor, lengths: torch.Tensor, padding: str
    ) -> tuple[torch.Tensor, torch.Tensor]:
        encoder = self.model.encoder
        if encoder.embedding is not None:
            x = encoder.embedding(x)  # (B, T, E)
        rnn = encoder.rnn
        assert isinstance(rnn, nn.RNNBase)
        return fused_encode(rnn, x, lengths, padding)  # (B, T, H*D), (B, H*D)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        T = x.shape[1]
        if self.standardize:
            mask = lengths_to_mask(lengths, T, "post")  # (B, T)
            x = (x - self.mean) / self.std * mask.unsqueeze(-1).to(x.dtype)
        return self.model.stages(x, lengths, "post", self._encode)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    max_abs_diff: float  # worst |exported - eager| over the check batches
    checked: list[tuple[int, int]]  # (B, T) of each check batch


def export_run(
    run_dir: str | Path, fmt: str = "onnx", out: str | Path | None = None
) -> ExportResult:
    """Export ``<run_dir>/checkpoints/best.pt`` to ``out`` (default ``<run_dir>/model.<fmt>``)
    and check the written file against the eager model (see the module docstring).

    Raises:
        ConfigError: ``fmt`` is not one of ``FORMATS``; the model kind cannot be exported; the
            ONNX packages are not installed.
        CheckpointError: the run has no ``best.pt``.
        ExportCheckError: onnxruntime cannot run the exported file, or its outputs differ from
            eager by more than ``TOLERANCE`` (then nothing is written to ``out``).
    """
    if fmt not in FORMATS:
        raise ConfigError(f"expected an export format in {list(FORMATS)}, got {fmt!r}")
    run_path = RunDir(Path(run_dir))
    run_path.require_exists()
    if not run_path.best.is_file():
        raise CheckpointError(
            f"expected a best checkpoint to export at {run_path.best}, got none "
            "(a run writes best.pt after its first validated epoch)"
        )
    run = load_run(run_dir, device="cpu")
    if run.checkpoint != run_path.best:  # pragma: no cover - load_run prefers best.pt
        raise CheckpointError(f"expected {run_path.best} to be loaded, got {run.checkpoint}")
    if run.model_config.kind not in EXPORTABLE_KINDS:
        raise ConfigError(
            f"expected a model of kind {' or '.join(EXPORTABLE_KINDS)} to export, got "
            f"{run.model_config.kind!r} ({_WHY_NOT[run.model_config.kind]})"
        )
    _require_onnx()
    target = Path(out) if out is not None else run_path.path / f"model.{fmt}"
    wrapper = ExportableModel(run).eval()
    batches = [_check_batch(run, lengths, seed=i) for i, lengths in enumerate(_CHECK_LENGTHS)]
    with torch.no_grad():
        expected = [forward(run.model, b, run.standardizer).numpy() for b in batches]
    diffs: list[float] = []

    def export_and_check(tmp: Path) -> None:
        # The check runs on the temporary file: a failed one leaves any earlier export intact.
        try:
            with torch.no_grad():
                _export_onnx(wrapper, batches[-1], tmp)
        except Exception as exc:  # torch.export's own error types; a model it cannot trace
            while exc.__cause__ is not None:  # the exporter wraps the error that says why
                exc = exc.__cause__  # type: ignore[assignment]
            text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()  # the exporter's colours
            first = (text.splitlines() or [type(exc).__name__])[0][:200]
            raise ExportCheckError(
                f"expected torch.onnx.export to trace the {run.model_config.kind} model with a"
                f" dynamic batch and time axis, got: {first}; nothing was written to {target}"
            ) from None
        try:
            actual = [_run_onnx(tmp, b) for b in batches]
        except Exception as exc:  # onnxruntime raises its own types, none of them ours
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise ExportCheckError(
                f"expected onnxruntime to run the exported model on batches of mixed lengths, "
                f"got: {first}; nothing was written to {target}"
            ) from None
        diffs.extend(float(np.abs(a - e).max()) for a, e in zip(actual, expected, strict=True))
        if not max(diffs) <= TOLERANCE:  # NaN fails too
            raise ExportCheckError(
                f"expected the exported {fmt} model to match eager within {TOLERANCE}, got a "
                f"max difference of {max(diffs):.3g} on batches of mixed lengths; nothing was "
                f"written to {target}"
            )

    _atomic_write(target, export_and_check)
    diff = max(diffs)
    shapes = [(int(b.x.shape[0]), int(b.x.shape[1])) for b in batches]
    return ExportResult(target, fmt, diff, shapes)


def _check_batch(run: LoadedRun, lengths: tuple[int, ...], seed: int) -> Any:
    """A collated post-padded batch of random inputs with ``lengths`` (raw features, or token
    ids from 1, never the padding id 0)."""
    from seqbucket.data import Example, collate

    rng = np.random.default_rng(seed)
    width = run.model_config.input_size
    examples = []
    for n in lengths:
        if width is None:
            vocab = int(run.model_config.vocab_size or 2)
            x = rng.integers(1, max(vocab, 2), size=n).astype(np.int64)
        else:
            mean = run.standardizer.mean.numpy() if run.standardizer is not None else 0.0
            std = run.standardizer.std.numpy() if run.standardizer is not None else 1.0
            x = (mean + std * rng.standard_normal((n, width))).astype(np.float32)
        examples.append(Example(x, 0))
    return collate(examples)


def _example_inputs(batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
    return batch.x, batch.lengths


def _dynamic_shapes() -> dict[str, Any]:
    """Batch ``B`` and time ``T`` symbolic: one graph for every shape."""
    B = torch.export.Dim("batch", min=1)
    T = torch.export.Dim("time", min=1)
    return {"x": {0: B, 1: T}, "lengths": {0: B}}


@contextlib.contextmanager
def _time_loops() -> Iterator[None]:
    """Trace ``aten.lstm``/``aten.gru`` as a ``while_loop`` over a symbolic time axis.

    NOTE [recurrent export over any length]: export's default decomposition of ``aten.lstm``
    is a Python loop over the example's steps, which pins ``T`` to the example's length (an
    ``Eq(T, 23)`` guard). torch 2.13's ONNX exporter swaps in ``while_loop`` decompositions
    while capturing, but not while it re-decomposes the program afterwards, so any op that reads
    the RNN output's shape (our within-length reversal and final-state gathers do) keeps the
    example length and onnxruntime fails on other lengths ("invalid expand shape";
    pytorch/pytorch#193192 fixes it upstream). Holding the same registrations around the whole
    export keeps ``T`` symbolic everywhere."""
    from torch.export._patches import (
        register_gru_while_loop_decomposition,
        register_lstm_while_loop_decomposition,
    )

    with register_lstm_while_loop_decomposition(), register_gru_while_loop_decomposition():
        yield


def _export_onnx(wrapper: nn.Module, batch: Any, path: Path) -> None:
    """Trace ``wrapper`` on ``batch`` with both axes dynamic and write ONNX to ``path``."""
    registry = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registry.level
    registry.setLevel(logging.ERROR)  # "torchvision is not installed. Skipping ...", 4 lines
    # A model export cannot trace: its fake-tensor traceback, logged before export raises (the
    # caller turns the exception into one line).
    loggers = [logging.getLogger(f"torch.{name}") for name in ("_subclasses.fake_tensor", "export")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    with (
        _time_loops(),
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.ExitStack() as restore,
    ):
        restore.callback(registry.setLevel, level)
        for logger, before in zip(loggers, levels, strict=True):
            restore.callback(logger.setLevel, before)
        # torch's own notes while exporting (a FutureWarning inside the while_loop
        # decomposition, the exporter's progress lines) are not the user's concern
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper,
            _example_inputs(batch),
            str(path),
            input_names=["x", "lengths"],
            output_names=["logits"],
            dynamic_shapes=_dynamic_shapes(),
            dynamo=True,
            external_data=False,
            optimize=False,  # onnxruntime optimises the graph when it loads it anyway
        )


def _run_onnx(path: Path, batch: Any) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {"x": batch.x.numpy(), "lengths": batch.lengths.numpy()}
    return np.asarray(session.run(["logits"], feeds)[0])


def _require_onnx() -> None:
    missing = []
    for name in ("onnx", "onnxscript", "onnxruntime"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise ConfigError(
            f"expected {', '.join(missing)} to be installed for --format onnx, got none; "
            "pip install onnx onnxscript onnxruntime (or the dev extra)"
        )


def _atomic_write(target: Path, write: Callable[[Path], None]) -> None:
    """``write`` (and check) a temporary file next to ``target``, then rename it over
    ``target``: an export that fails or fails its check never leaves a torn or wrong file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=f".tmp{target.suffix}", dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
