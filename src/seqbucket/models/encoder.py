"""``Encoder``: optional token embedding + the recurrent layers, with the impl switch.

``encoder(x, lengths, padding=...)`` returns ``(outputs, final)``:
outputs ``(B, T, H*D)`` zero at padded steps (in the input's padding layout), and final
``(B, H*D)``: the top layer's state at each sequence's last real step, concatenated (when
bidirectional) with the backward state at each first real step. D = 2 if bidirectional else 1.
"""

from __future__ import annotations

import torch
from torch import nn

from seqbucket.errors import ConfigError
from seqbucket.models.config import ModelConfig
from seqbucket.models.fused import fused_encode
from seqbucket.models.loop import loop_encode
from seqbucket.models.packed import packed_encode
from seqbucket.models.unshared import UnsharedRNN
from seqbucket.models.validate import check_inputs

_SHARED = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
_IMPLS = {"fused": fused_encode, "loop": loop_encode, "packed": packed_encode}


class Encoder(nn.Module):
    """Embedding (token inputs only; ``padding_idx=0``) followed by the recurrent layers.

    For the shared kinds ``rnn`` holds an ``nn.RNN/GRU/LSTM`` (batch_first) whose parameters all
    three impls read, so ``impl`` can be switched on a trained model (``encoder.impl = "loop"``)
    and its state_dict copies to and from PyTorch's own modules. For ``unshared`` it holds an
    :class:`UnsharedRNN` (its own loop; ``impl`` does not apply).
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.impl = config.impl
        self.embedding = (
            nn.Embedding(config.vocab_size, config.embed_dim, padding_idx=0)
            if config.vocab_size is not None and config.input_size is None
            else None
        )
        width = config.encoder_input_size
        dropout = config.dropout  # ModelConfig refuses dropout > 0 with a single layer
        if config.kind == "unshared":
            self.rnn: nn.Module = UnsharedRNN(
                width,
                config.hidden_size,
                int(config.max_len or 0),
                cell=config.unshared_cell,
                num_layers=config.num_layers,
                bidirectional=config.bidirectional,
                dropout=dropout,
            )
        else:
            self.rnn = _SHARED[config.kind](
                width,
                config.hidden_size,
                num_layers=config.num_layers,
                batch_first=True,
                bidirectional=config.bidirectional,
                dropout=dropout,
            )

    @property
    def output_size(self) -> int:
        """H*D: width of each output step and of the final state."""
        return self.config.hidden_size * (2 if self.config.bidirectional else 1)

    def forward(
        self, x: torch.Tensor, lengths: torch.Tensor, padding: str = "post"
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``x``: ``(B, T, F)`` float or ``(B, T)`` int64 ids; ``lengths``: ``(B,)`` CPU int64."""
        weight = next(self.rnn.parameters())
        check_inputs(
            x,
            lengths,
            padding,
            input_size=self.config.input_size,
            vocab_size=self.config.vocab_size,
            dtype=weight.dtype,
            device=weight.device,
        )
        if self.embedding is not None:
            x = self.embedding(x)  # (B, T, E)
        if isinstance(self.rnn, UnsharedRNN):
            return self.rnn(x, lengths, padding)
        if self.impl not in _IMPLS:
            raise ConfigError(f"impl must be one of {list(_IMPLS)}, got {self.impl!r}")
        return _IMPLS[self.impl](self.rnn, x, lengths, padding)  # type: ignore[arg-type]
