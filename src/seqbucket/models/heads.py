"""Task heads: one linear map from encoder states to the task's logits."""

from __future__ import annotations

import torch
from torch import nn

from seqbucket.errors import ConfigError
from seqbucket.models.config import TASKS


class TaskHead(nn.Module):
    """Reads the encoder's ``final`` ``(B, H*D)`` or ``outputs`` ``(B, T, H*D)``.

    - ``classify`` (many-to-one): ``(B, C)`` from the final state.
    - ``regress`` (many-to-one): ``(B,)`` from the final state.
    - ``tag`` (many-to-many) and ``lm`` (next token; C = vocab_size): ``(B, T, C)`` from every
      output. Logits at padded steps are the bias only; :func:`masked_loss` ignores them.
    """

    def __init__(self, task: str, in_features: int, out_features: int) -> None:
        super().__init__()
        if task not in TASKS:
            raise ConfigError(f"task must be one of {list(TASKS)}, got {task!r}")
        self.task = task
        self.proj = nn.Linear(in_features, out_features)

    def forward(self, outputs: torch.Tensor, final: torch.Tensor) -> torch.Tensor:
        if self.task in ("tag", "lm"):
            return self.proj(outputs)  # (B, T, C)
        logits = self.proj(final)  # (B, C)
        return logits.squeeze(-1) if self.task == "regress" else logits
