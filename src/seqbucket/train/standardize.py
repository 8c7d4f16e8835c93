"""Per-channel feature standardisation, fitted on the training split and stored in checkpoints.

Applied to a collated batch (after padding), so the data package stays untouched. Padded steps
are set back to zero afterwards: the encoder ignores them anyway (exact masking), and zeros keep
the padded tensor identical to what collate produced there.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch

from seqbucket.errors import DataError


class Standardizer:
    """``x -> (x - mean) / std`` per feature channel ``F``.

    Attributes:
        mean: ``(F,)`` float32 tensor.
        std: ``(F,)`` float32 tensor, floored at 1e-6 so a constant channel never divides by 0.
    """

    def __init__(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        self.mean = mean.to(torch.float32)
        self.std = std.to(torch.float32).clamp_min(1e-6)

    @classmethod
    def fit(cls, sequences: Iterable[np.ndarray]) -> Standardizer:
        """Statistics over every real step of ``sequences`` (each ``(T, F)``), in float64."""
        total = 0
        s1: np.ndarray | None = None
        s2: np.ndarray | None = None
        for x in sequences:
            x64 = np.asarray(x, dtype=np.float64)  # (T, F)
            s1 = x64.sum(axis=0) if s1 is None else s1 + x64.sum(axis=0)
            s2 = (x64**2).sum(axis=0) if s2 is None else s2 + (x64**2).sum(axis=0)
            total += x64.shape[0]
        if s1 is None or s2 is None or total == 0:
            raise DataError("expected at least one training sequence to standardise, got none")
        mean = s1 / total
        var = np.maximum(s2 / total - mean**2, 0.0)
        return cls(torch.from_numpy(mean), torch.from_numpy(np.sqrt(var)))

    def __call__(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``x``: ``(B, T, F)`` float; ``mask``: ``(B, T)`` bool. Returns a new ``(B, T, F)``."""
        mean = self.mean.to(x.device)
        std = self.std.to(x.device)
        return ((x - mean) / std) * mask.unsqueeze(-1).to(x.dtype)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"mean": self.mean.clone(), "std": self.std.clone()}

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor]) -> Standardizer:
        return cls(state["mean"], state["std"])
