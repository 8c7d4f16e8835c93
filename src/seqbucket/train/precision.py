"""Mixed precision: what ``TrainConfig.precision`` means on a device.

``fp32`` runs as before, and every exactness guarantee of the project is stated and tested in
fp32. ``bf16`` and ``fp16`` run the forward pass under ``torch.autocast``: matrix products (the
recurrent kernels, the heads) run in the low-precision type while the weights, the optimiser
state and the loss stay fp32. ``fp16`` has a narrow exponent range, so its gradients are scaled
by a ``GradScaler`` (unscaled before clipping; a step with inf/NaN gradients is skipped and the
scale lowered). ``bf16`` has fp32's range and needs no scaler.

NOTE [mixed precision tolerance]: padding still never changes a result *structurally* (the
mask and gathers are the same), but low-precision products round differently with the batch
shape, so padded and unpadded runs agree only to ``TOLERANCE[precision]``, not to fp32's 1e-5.
The bf16 figures are tested on the CPU (``tests/train/test_precision.py``); fp16 on CUDA by
``scripts/gpu_check.sh``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from seqbucket.errors import ConfigError
from seqbucket.train.config import PRECISIONS

# Autocast dtype of each low precision (fp32: no autocast).
_DTYPE = {"bf16": torch.bfloat16, "fp16": torch.float16}

# (atol, rtol) for logits of a mixed-precision run against the fp32 reference or against each
# sequence run alone; rtol also bounds the relative norm of the gradient error. bf16 keeps 8
# mantissa bits (rounding ~0.4%). Measured on CPU bf16 by benchmarks/mixed_precision_error.py
# (H=16, 1-2 layers, T<=30, rnn/gru/lstm, uni- and bidirectional, 3 seeds): logits within 0.0039
# absolute, gradients within 0.68% relative norm; 1e-2 and 2e-2 leave a margin of about 2.5x.
# fp16 keeps 11 bits, 8x finer than bf16; its figure is scaled from bf16's, not measured here
# (fp16 autocast needs CUDA; scripts/gpu_check.sh tests it on a GPU).
TOLERANCE: dict[str, tuple[float, float]] = {
    "fp32": (1e-5, 1e-5),
    "bf16": (1e-2, 2e-2),
    "fp16": (2e-3, 5e-3),
}
assert set(TOLERANCE) == set(PRECISIONS)


def check_precision(device: torch.device, precision: str) -> None:
    """``ConfigError`` unless ``precision`` can run on ``device``: fp16 autocast is for CUDA (on
    a CPU it is slow and unscaled half gradients underflow: use bf16 there), and bf16 on a GPU
    needs hardware support (Ampere or newer)."""
    if precision not in PRECISIONS:
        raise ConfigError(f"expected precision one of {PRECISIONS}, got {precision!r}")
    if precision == "fp16" and device.type != "cuda":
        raise ConfigError(
            f"expected a CUDA device for precision fp16, got {device.type}; use bf16 (or fp32) "
            "on a CPU"
        )
    if precision == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ConfigError(
            f"expected a GPU with bf16 support for precision bf16, got "
            f"{torch.cuda.get_device_name(device)}; use fp16"
        )


@contextlib.contextmanager
def autocast(device: torch.device, precision: str) -> Iterator[None]:
    """``torch.autocast`` for ``precision`` on ``device``'s type; a no-op for fp32."""
    if precision == "fp32":
        yield
        return
    with torch.autocast(device_type=device.type, dtype=_DTYPE[precision]):
        yield


def grad_scaler(device: torch.device, precision: str) -> torch.amp.GradScaler | None:
    """A ``GradScaler`` for fp16, None otherwise (bf16 and fp32 need none)."""
    if precision != "fp16":
        return None
    return torch.amp.GradScaler(device.type)
