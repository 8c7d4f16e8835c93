"""Input checks that run before any compute, so bad input gets a one-line
:class:`~seqbucket.errors.SeqbucketError` saying what was expected, what arrived and where
(example index, step, feature), never a kernel crash deep inside a recurrent layer."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

import torch

from seqbucket._mask import PADDING_SIDES
from seqbucket.errors import ConfigError, DataError

# NOTE [trusted inputs]: inside ``trusted_inputs()`` the model skips its per-batch input checks
# and ``lengths`` may live on the data's device. A CUDA graph (train/cuda_graphs.py) can capture
# neither a check that reads a value (a CPU-GPU sync) nor masks built from CPU lengths (they
# would be frozen at capture), so its caller checks each batch eagerly, with ``check_inputs``,
# before copying it into the graph's static buffers.
_TRUSTED = contextvars.ContextVar("seqbucket_trusted_inputs", default=False)


@contextlib.contextmanager
def trusted_inputs() -> Iterator[None]:
    """Skip ``check_inputs`` (and ``masked_loss``'s all-ignored check) while inside: see NOTE
    [trusted inputs]. Only for callers that checked the same batch already."""
    token = _TRUSTED.set(True)
    try:
        yield
    finally:
        _TRUSTED.reset(token)


def inputs_trusted() -> bool:
    """Whether the caller is inside ``trusted_inputs()``."""
    return _TRUSTED.get()


def check_padding(padding: object) -> str:
    """Return ``padding`` if it is ``'post'`` or ``'pre'``; raise :class:`ConfigError` otherwise."""
    if padding not in PADDING_SIDES:
        raise ConfigError(f"padding must be one of {list(PADDING_SIDES)}, got {padding!r}")
    return str(padding)


def _where(index: torch.Tensor) -> str:
    """``'example b, step t[, feature f]'`` for the first offending position."""
    parts = ("example", "step", "feature")
    return ", ".join(f"{p} {int(i)}" for p, i in zip(parts, index.tolist(), strict=False))


def check_lengths(lengths: object, batch: int, total_length: int) -> None:
    """``lengths`` must be a CPU int64 ``(B,)`` tensor with every value in ``1..T``."""
    if not isinstance(lengths, torch.Tensor):
        raise DataError(
            f"lengths: expected a torch.Tensor of shape ({batch},), got {type(lengths).__name__}"
        )
    if lengths.dtype != torch.int64:
        raise DataError(f"lengths: expected dtype torch.int64, got {lengths.dtype}")
    if lengths.device.type != "cpu":
        raise DataError(
            f"lengths: expected a CPU tensor (as pack_padded_sequence), got device {lengths.device}"
        )
    if tuple(lengths.shape) != (batch,):
        raise DataError(
            f"lengths: expected shape ({batch},) (one per example), got {tuple(lengths.shape)}"
        )
    bad = torch.nonzero((lengths < 1) | (lengths > total_length))
    if bad.numel():
        b = int(bad[0, 0])
        raise DataError(
            f"lengths[{b}] = {int(lengths[b])}: expected 1 <= length <= T = {total_length} "
            f"(the padded length of x)"
        )


def check_inputs(
    x: object,
    lengths: object,
    padding: object,
    *,
    input_size: int | None,
    vocab_size: int | None,
    dtype: torch.dtype,
    device: torch.device,
) -> None:
    """Validate one batch for a model that reads ``input_size`` features or ``vocab_size`` ids.

    Args:
        x: ``(B, T, F)`` floating features of ``dtype`` or ``(B, T)`` integer token ids.
        lengths: ``(B,)`` CPU int64, each in ``1..T``.
        padding: ``'post'`` or ``'pre'``.
        dtype, device: the model's parameter dtype and device, which ``x`` must match.

    A no-op inside ``trusted_inputs()`` (NOTE [trusted inputs]).
    """
    if _TRUSTED.get():
        return
    check_padding(padding)
    if not isinstance(x, torch.Tensor):
        raise DataError(f"x: expected a torch.Tensor, got {type(x).__name__}")
    if x.device != device:
        raise DataError(f"x: expected a tensor on the model's device {device}, got {x.device}")
    if input_size is not None:
        if x.dim() != 3 or not x.is_floating_point():
            raise DataError(
                f"x: expected float features of shape (B, T, {input_size}), "
                f"got {x.dtype} {tuple(x.shape)}"
            )
        if x.shape[2] != input_size:
            raise DataError(
                f"x: expected {input_size} features per step, "
                f"got {x.shape[2]} (shape {tuple(x.shape)})"
            )
        if x.dtype != dtype:
            raise DataError(f"x: expected {dtype} features (the model's dtype), got {x.dtype}")
    else:
        if x.dim() != 2 or x.is_floating_point() or x.dtype == torch.bool or x.is_complex():
            raise DataError(
                f"x: expected integer token ids of shape (B, T), got {x.dtype} {tuple(x.shape)}"
            )
    if x.shape[0] < 1 or x.shape[1] < 1:
        raise DataError(
            f"x: expected at least one example and one step, got shape {tuple(x.shape)}"
        )
    check_lengths(lengths, x.shape[0], x.shape[1])
    if vocab_size is not None and input_size is None:
        bad = torch.nonzero((x < 0) | (x >= vocab_size))
        if bad.numel():
            raise DataError(
                f"token id {int(x[tuple(bad[0])])} at {_where(bad[0])} is outside the vocabulary "
                f"0..{vocab_size - 1}"
            )
    elif not bool(torch.isfinite(x).all()):
        # Checked over padding too: a NaN there would poison the masked outputs and gradients.
        bad = torch.nonzero(~torch.isfinite(x))
        raise DataError(
            f"x: expected finite features, got {float(x[tuple(bad[0])])} at {_where(bad[0])}"
        )
