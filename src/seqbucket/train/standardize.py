"""Per-channel feature standardisation, fitted on the training split and stored in checkpoints.

Applied to a collated batch (after padding), so the data package stays untouched. Padded steps
are set back to zero afterwards: the encoder ignores them anyway (exact masking), and zeros keep
the padded tensor identical to what collate produced there.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch

from seqbucket.data import SequenceDataset
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
    def fit(cls, steps: np.ndarray | Iterable[np.ndarray]) -> Standardizer:
        """Statistics over every real step: ``steps`` is a ``(total, F)`` array of them (a
        dataset's ``values``: its real steps back to back, no padding) or an iterable of
        ``(T, F)`` sequences, which are concatenated.

        Two passes in float64 (the mean, then the spread around it): the one-pass
        ``E[x^2] - E[x]^2`` cancels catastrophically once the mean dwarfs the spread (mean 1e4,
        std 1e-3 came out 10% low; mean 1e8 lost the spread entirely).
        """
        if isinstance(steps, np.ndarray):
            values = steps
        else:
            parts = [np.asarray(x) for x in steps]
            if not parts:
                raise DataError("expected at least one training sequence to standardise, got none")
            values = np.concatenate(parts)
        if values.ndim != 2 or values.shape[0] == 0:
            raise DataError(
                f"expected a (steps, features) array with at least one step to standardise, "
                f"got shape {values.shape}"
            )
        mean = values.mean(axis=0, dtype=np.float64)  # (F,)
        std = values.std(axis=0, dtype=np.float64)  # (F,), around the float64 mean
        return cls(torch.from_numpy(mean), torch.from_numpy(std))

    def to(self, device: torch.device | str) -> Standardizer:
        """This standardiser with ``mean``/``std`` on ``device``: move it once, before a loop,
        rather than copying both tensors on every batch."""
        moved = Standardizer.__new__(Standardizer)
        moved.mean = self.mean.to(device)
        moved.std = self.std.to(device)
        return moved

    def __call__(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``x``: ``(B, T, F)`` float; ``mask``: ``(B, T)`` bool. Returns a new ``(B, T, F)``.

        ``mean``/``std`` should already be on ``x``'s device (see :meth:`to`); if they are not,
        they are copied for this call (correct, only slower)."""
        mean = self.mean.to(x.device)  # no copy when already there
        std = self.std.to(x.device)
        return ((x - mean) / std) * mask.unsqueeze(-1).to(x.dtype)

    def apply_to(self, ds: SequenceDataset) -> SequenceDataset:
        """``ds`` with every real step standardised, once, so that a loop over its batches does
        no per-batch standardisation (padding, which ``collate`` writes as 0 afterwards, stays
        0; the real steps get exactly the float32 values :meth:`__call__` gives them)."""
        mean = self.mean.detach().cpu().numpy()  # (F,) float32
        std = self.std.detach().cpu().numpy()
        # float32 subtract and divide are correctly rounded in numpy as in torch: same values.
        scaled = (ds.values - mean) / std  # (total, F) float32
        return SequenceDataset(
            scaled,
            ds.offsets,
            ds.targets,
            ds.task,
            name=ds.name,
            vocab=ds.vocab,
            label_names=ds.label_names,
            overlong_report=ds.overlong_report,
        )

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"mean": self.mean.detach().cpu().clone(), "std": self.std.detach().cpu().clone()}

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor]) -> Standardizer:
        return cls(state["mean"], state["std"])
