"""``masked_loss``: losses that average over real positions only.

Padded steps carry ``ignore_index`` in ``y`` (as ``seqbucket.data.collate`` writes them) and so
add nothing to the sum nor to the count. The loss of a batch is therefore the same whether it
was padded to the batch maximum, to a bucket boundary or to the global maximum.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from seqbucket._tasks import IGNORE_INDEX, TASKS
from seqbucket.errors import ConfigError, DataError
from seqbucket.models.validate import inputs_trusted


def masked_loss(
    task: str, logits: torch.Tensor, y: torch.Tensor, *, ignore_index: int = IGNORE_INDEX
) -> torch.Tensor:
    """Scalar training loss for ``task``.

    Args:
        task: ``classify``: logits ``(B, C)``, y ``(B,)`` int64; cross-entropy, mean over B.
            ``tag``/``lm``: logits ``(B, T, C)``, y ``(B, T)`` int64 with ``ignore_index`` at
            padded steps; cross-entropy, mean over real positions.
            ``regress``: logits ``(B,)``, y ``(B,)`` float; squared error, mean over B.
        ignore_index: the target value of padded steps (tag/lm).
    """
    if task not in TASKS:
        raise ConfigError(f"masked_loss: task must be one of {list(TASKS)}, got {task!r}")
    if task == "regress":
        _expect(
            task, logits, y, logits.dim() == 1 and y.shape == logits.shape, "logits (B,), y (B,)"
        )
        return F.mse_loss(logits, y.to(logits.dtype))
    if task == "classify":
        ok = logits.dim() == 2 and y.shape == logits.shape[:1]
        _expect(task, logits, y, ok, "logits (B, C), y (B,)")
        return F.cross_entropy(logits, y)
    ok = logits.dim() == 3 and y.shape == logits.shape[:2]
    _expect(task, logits, y, ok, "logits (B, T, C), y (B, T)")
    if not inputs_trusted() and not bool((y != ignore_index).any()):  # a sync: not in a graph
        raise DataError(
            f"masked_loss: every target of this {task} batch is ignore_index={ignore_index}"
        )
    C = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, C), y.reshape(-1), ignore_index=ignore_index)


def _expect(task: str, logits: torch.Tensor, y: torch.Tensor, ok: bool, shapes: str) -> None:
    if not ok:
        raise DataError(
            f"masked_loss({task!r}): expected {shapes}, got logits {tuple(logits.shape)} "
            f"and y {tuple(y.shape)}"
        )
