"""``SequenceModel`` (encoder + task head) and ``build_model``."""

from __future__ import annotations

import torch
from torch import nn

from seqbucket.models.config import ModelConfig
from seqbucket.models.encoder import Encoder
from seqbucket.models.heads import TaskHead


class SequenceModel(nn.Module):
    """A recurrent model for one task on variable-length, padded batches.

    ``model(x, lengths, padding="post")`` returns logits: ``(B, C)`` classify, ``(B, T, C)``
    tag and lm (C = vocab_size for lm), ``(B,)`` regress. Inputs are checked first (see
    ``validate.py``); padding never changes a result (NOTE [exact masking without packing]).
    ``model.encoder(x, lengths, padding=...)`` gives ``(outputs, final)`` directly.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.head = TaskHead(config.task, self.encoder.output_size, config.output_size)

    def forward(
        self, x: torch.Tensor, lengths: torch.Tensor, *, padding: str = "post"
    ) -> torch.Tensor:
        outputs, final = self.encoder(x, lengths, padding)  # (B, T, H*D), (B, H*D)
        return self.head(outputs, final)


def build_model(config: ModelConfig) -> SequenceModel:
    """The model ``config`` describes, freshly initialised (seed with ``torch.manual_seed``)."""
    return SequenceModel(config)
