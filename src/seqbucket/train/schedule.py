"""Learning-rate schedules: multipliers of the peak rate, for ``LambdaLR``.

The multiplier is a pure function of the step, so a resumed run gets the same rates as an
uninterrupted one, and the scheduler's state (its step count) is all a checkpoint needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch


def lr_multiplier(step: int, *, schedule: str, warmup_steps: int, total_steps: int) -> float:
    """Multiplier of the peak lr before optimiser step ``step`` (0-based).

    Linear warm-up from ``1 / (warmup_steps + 1)`` to 1 over ``warmup_steps`` steps, then constant
    or a cosine decay that reaches 0 at ``total_steps``.
    """
    if step < warmup_steps:
        return (step + 1) / (warmup_steps + 1)
    if schedule == "constant":
        return 1.0
    span = max(total_steps - warmup_steps, 1)
    progress = min((step - warmup_steps) / span, 1.0)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def build_scheduler(
    optimizer: torch.optim.Optimizer, *, schedule: str, warmup_steps: int, total_steps: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """A ``LambdaLR`` over :func:`lr_multiplier`. Its ``state_dict`` holds plain numbers only,
    since the lambda is a closure (LambdaLR saves the state of callable objects, not functions)."""
    fn: Callable[[int], float] = lambda step: lr_multiplier(  # noqa: E731
        step, schedule=schedule, warmup_steps=warmup_steps, total_steps=total_steps
    )
    return torch.optim.lr_scheduler.LambdaLR(optimizer, fn)
