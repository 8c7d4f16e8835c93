"""An exponential moving average of the weights (``ema_decay``): PyTorch's own ``AveragedModel``.

After every optimiser step the average moves towards the weights just stepped:
``avg = decay * avg + (1 - decay) * weights`` (the first step copies them). With a decay
``d`` the average spans about ``1 / (1 - d)`` recent steps. Validation, the best epoch,
``best.pt`` and so the test score all read the average; training steps the raw weights, and
``last.pt`` keeps both, so a resume continues the same average. Buffers (batch-norm running
statistics) are averaged too, so the averaged model is a complete model of its own.

Why: on a small validation split the best epoch of the raw weights is picked partly by noise
(one PLAID validation series is 1.2 points); the average smooths the last few epochs' weights,
so the epoch picked is less of a lucky draw.
"""

from __future__ import annotations

import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


def averaged_model(model: torch.nn.Module, decay: float | None) -> AveragedModel | None:
    """A moving average of ``model``'s parameters and buffers with ``decay`` per step (in
    [0, 1)), on ``model``'s device; None when ``decay`` is None (no averaging)."""
    if decay is None:
        return None
    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)
