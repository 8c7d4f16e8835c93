"""``MaskedBatchNorm``: batch normalisation over the real steps of a padded batch only.

NOTE [masked batch norm]: ``nn.BatchNorm1d`` on a padded ``(B, C, T)`` batch averages padded
steps into its statistics, so the amount of padding changes every output. Here the statistics
of a training step are those of ``nn.BatchNorm1d`` applied to the ``(N, C)`` matrix of the
batch's ``N`` real steps alone (biased variance to normalise, unbiased for the running
estimate, as PyTorch does): padding, its side and its amount never change an output, a loss,
a gradient or a running statistic. In evaluation mode the running statistics are used, so
every sequence's output equals its output alone. In training mode a sequence's output depends
on its batch-mates' real steps (that is what batch normalisation is), just as the batch's mean
loss does; never on padding.
"""

from __future__ import annotations

import torch
from torch import nn


class MaskedBatchNorm(nn.BatchNorm1d):
    """``norm(x, mask)``: ``x`` ``(B, T, C)``, ``mask`` ``(B, T, 1)`` float (1 on real steps);
    returns ``(B, T, C)``, zero at padded steps. Parameters, buffers and state dict are
    ``nn.BatchNorm1d(C)``'s (affine, running statistics, momentum 0.1)."""

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        if not self.training:
            mean, var = self.running_mean, self.running_var
        else:
            n = mask.sum()  # N: real steps in the batch
            mean = (x * mask).sum((0, 1)) / n  # (C,)
            centred = (x - mean) * mask
            var = (centred * centred).sum((0, 1)) / n  # (C,), biased: what normalises
            self._track(mean.detach(), var.detach(), n.detach())
        assert mean is not None and var is not None  # track_running_stats is on
        y = (x - mean) * torch.rsqrt(var + self.eps) * self.weight + self.bias
        return y * mask

    @torch.no_grad()
    def _track(self, mean: torch.Tensor, var: torch.Tensor, n: torch.Tensor) -> None:
        """The running statistics' update of ``nn.BatchNorm1d`` (exponential average with
        ``momentum``, unbiased variance)."""
        assert self.running_mean is not None and self.running_var is not None
        assert self.num_batches_tracked is not None
        momentum = 0.1 if self.momentum is None else self.momentum
        self.num_batches_tracked.add_(1)
        unbiased = var * n / torch.clamp(n - 1, min=1)
        self.running_mean.lerp_(mean, momentum)
        self.running_var.lerp_(unbiased, momentum)
