"""``ConvFrontEnd``: strided 1-D convolutions that shorten long, fast signals before the
recurrent layers, exact on padded batches.

NOTE [exact strided convolution]: a ``Conv1d`` with kernel ``k``, stride ``s`` and zero padding
``p = k // 2`` maps a sequence of ``L`` real steps to ``floor((L + 2p - k) / s) + 1`` steps
(:func:`conv_lengths`). Output step ``t`` reads inputs ``t*s - p .. t*s - p + k - 1``; for every
output step of a sequence alone, the inputs it reads past the sequence's end are the conv's own
zero padding. On a post-padded batch they are padded steps instead, so the front end zeroes
every padded step *before* each convolution: then each real output step sees exactly what it
sees alone. After each layer the outputs beyond the new lengths (which read only padding) are
zeroed again. Pre-padded batches are moved to post padding first (one gather), so the conv's
left zero padding lines up with each sequence's first real step.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

from seqbucket._mask import lengths_to_mask
from seqbucket.models.masked_norm import MaskedBatchNorm


def conv_lengths(lengths: torch.Tensor, kernel: int, stride: int, padding: int) -> torch.Tensor:
    """``(B,)`` output lengths of ``Conv1d(kernel, stride, padding)`` on ``(B,)`` input lengths:
    ``floor((L + 2*padding - kernel) / stride) + 1`` (PyTorch's conv arithmetic, dilation 1)."""
    return torch.div(lengths + 2 * padding - kernel, stride, rounding_mode="floor") + 1


class ConvFrontEnd(nn.Module):
    """``layers`` blocks of masked ``Conv1d(kernel, stride) [-> MaskedBatchNorm] -> GELU``.

    ``frontend(x, lengths)`` with ``x`` ``(B, T, F)`` post-padded and ``lengths`` ``(B,)`` CPU
    int64 returns ``(y, out_lengths)``: ``y`` ``(B, T', C)``, zero at padded steps, where
    ``T'`` and ``out_lengths`` follow :func:`conv_lengths` through every layer (about
    ``T / stride**layers``). ``norm="batch"`` puts a batch norm over real steps only after each
    convolution (NOTE [masked batch norm]); layer norm over each step's channels is not offered:
    it would erase the local amplitude that a waveform's shape is made of. See
    NOTE [exact strided convolution].
    """

    def __init__(
        self,
        in_features: int,
        channels: int,
        layers: int,
        kernel: int,
        stride: int,
        norm: str = "none",
    ) -> None:
        super().__init__()
        self.kernel, self.stride, self.padding = kernel, stride, kernel // 2
        widths = [in_features] + [channels] * layers
        self.convs = nn.ModuleList(
            nn.Conv1d(a, b, kernel, stride=stride, padding=self.padding)
            for a, b in itertools.pairwise(widths)
        )
        self.norms = nn.ModuleList(
            MaskedBatchNorm(channels) for _ in range(layers if norm == "batch" else 0)
        )

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for i, conv in enumerate(self.convs):
            mask = lengths_to_mask(lengths, x.shape[1]).to(x.device)  # (B, T)
            x = x * mask.unsqueeze(-1).to(x.dtype)  # padded steps must read as the conv's zeros
            x = conv(x.transpose(1, 2)).transpose(1, 2)  # (B, T', C)
            lengths = conv_lengths(lengths, self.kernel, self.stride, self.padding)
            if self.norms:
                real = lengths_to_mask(lengths, x.shape[1]).to(x.device, x.dtype).unsqueeze(-1)
                x = self.norms[i](x, real)
            x = nn.functional.gelu(x)
        mask = lengths_to_mask(lengths, x.shape[1]).to(x.device)
        return x * mask.unsqueeze(-1).to(x.dtype), lengths
