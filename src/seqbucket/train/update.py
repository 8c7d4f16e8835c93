"""One optimiser update from a step's loss: backward, gradient clipping, the AdamW step, and
under fp16 the grad scaler that may skip it. It steps the objects it is handed and reads no
trainer state, so the trainer's step reads as gather, forward, update."""

from __future__ import annotations

import torch


def apply_update(
    loss: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    params: list[torch.nn.Parameter],
    *,
    grad_clip: float | None,
    scaler: torch.amp.GradScaler | None = None,
    backward: bool = True,
) -> bool:
    """Back-propagate ``loss`` (unless ``backward`` is False: a replayed CUDA graph already set
    ``.grad``), clip the gradients of ``params`` to a global norm of ``grad_clip`` (None: no
    clipping) and step ``optimizer``. Returns whether the weights were updated: always without a
    ``scaler``; with one (fp16), False when a gradient was inf or NaN and the scaler skipped the
    step (its scale then drops, which is how the skip is seen)."""
    if scaler is None:
        if backward:
            loss.backward()
        _clip(params, grad_clip)
        optimizer.step()
        return True
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)  # clip the true gradients, not scaled ones
    _clip(params, grad_clip)
    scale = scaler.get_scale()  # note: a CPU-GPU sync point, fp16 only
    scaler.step(optimizer)  # skipped when a gradient is inf/NaN
    scaler.update()
    return scaler.get_scale() >= scale  # it drops only on a skipped step


def _clip(params: list[torch.nn.Parameter], grad_clip: float | None) -> None:
    if grad_clip is not None:
        torch.nn.utils.clip_grad_norm_(params, grad_clip)
