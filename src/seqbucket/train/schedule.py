"""Learning-rate schedules: multipliers of the peak rate, for ``LambdaLR``.

The multiplier is a pure function of the step, so a resumed run gets the same rates as an
uninterrupted one, and the scheduler's state (its step count) is all a checkpoint needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

# One-cycle's shape, PyTorch's ``OneCycleLR`` defaults (Smith & Topin, 2019): the rate rises
# over the first ONECYCLE_RISE of the run from peak / ONECYCLE_START_DIV, then falls to
# peak / (ONECYCLE_START_DIV * ONECYCLE_FINAL_DIV), both halves along a cosine.
ONECYCLE_RISE = 0.3
ONECYCLE_START_DIV = 25.0
ONECYCLE_FINAL_DIV = 1e4


def _cosine(start: float, end: float, progress: float) -> float:
    """From ``start`` (progress 0) to ``end`` (progress 1) along half a cosine."""
    return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * min(max(progress, 0.0), 1.0)))


def _onecycle(step: int, total_steps: int) -> float:
    """PyTorch ``OneCycleLR``'s multiplier (``anneal_strategy="cos"``, three_phase off) before
    optimiser step ``step`` of ``total_steps``; constant at its floor past the end."""
    rise_end = float(ONECYCLE_RISE * total_steps) - 1  # OneCycleLR's first phase end step
    start, floor = 1.0 / ONECYCLE_START_DIV, 1.0 / (ONECYCLE_START_DIV * ONECYCLE_FINAL_DIV)
    if step <= rise_end:
        return _cosine(start, 1.0, step / rise_end if rise_end > 0 else 1.0)
    fall = float(total_steps - 1) - rise_end
    return _cosine(1.0, floor, (step - rise_end) / fall if fall > 0 else 1.0)


def lr_multiplier(step: int, *, schedule: str, warmup_steps: int, total_steps: int) -> float:
    """Multiplier of the peak lr before optimiser step ``step`` (0-based).

    ``cosine``/``constant``: linear warm-up from ``1 / (warmup_steps + 1)`` to 1 over
    ``warmup_steps`` steps, then constant or a cosine decay that reaches 0 at ``total_steps``.
    ``onecycle``: its own warm-up (the first 30% of the run, ``warmup_steps`` unused), then a
    cosine decay to 1/250,000 of the peak (see ``ONECYCLE_*``).
    """
    if schedule == "onecycle":
        return _onecycle(step, total_steps)
    if step < warmup_steps:
        return (step + 1) / (warmup_steps + 1)
    if schedule == "constant":
        return 1.0
    span = max(total_steps - warmup_steps, 1)
    progress = min((step - warmup_steps) / span, 1.0)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def schedule_length(epochs: int | None, steps_per_epoch: int, max_steps: int | None) -> int:
    """The schedule's length in steps: the sooner of ``epochs`` whole epochs and ``max_steps``
    (at least one of them is set; ``TrainConfig`` checks)."""
    by_epochs = epochs * steps_per_epoch if epochs else None
    return min(s for s in (by_epochs, max_steps) if s is not None)


def build_scheduler(
    optimizer: torch.optim.Optimizer, *, schedule: str, warmup_steps: int, total_steps: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """A ``LambdaLR`` over :func:`lr_multiplier`. Its ``state_dict`` holds plain numbers only,
    since the lambda is a closure (LambdaLR saves the state of callable objects, not functions)."""
    fn: Callable[[int], float] = lambda step: lr_multiplier(  # noqa: E731
        step, schedule=schedule, warmup_steps=warmup_steps, total_steps=total_steps
    )
    return torch.optim.lr_scheduler.LambdaLR(optimizer, fn)
