"""The unshared baseline (``kind="unshared"``): the feed-forward network an RNN becomes when
each unrolled step keeps its own weights.

Step ``t`` (counted from each sequence's first real step, whichever padding side) applies its
own transition, e.g. for the Elman cell ``h_t = tanh(W_t x_t + U_t h_{t-1} + b_t)``. Weights are
stored stacked over steps, ``weight_ih_l{k} (max_len, G*H, In)``, so the parameter count grows
linearly with ``max_len`` and a sequence longer than ``max_len`` cannot be read (clear error).
The step equations are those of ``cells.py``; the state stops updating after each sequence's
length, and outputs at padded steps are zero, exactly as in the shared encoders.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from seqbucket._mask import lengths_to_mask
from seqbucket.errors import DataError
from seqbucket.models.cells import GATES, STEPS, initial_state
from seqbucket.models.reverse import from_post, reverse_within_length, to_post

_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


class UnsharedRNN(nn.Module):
    """Per-step weights for ``max_len`` steps; same call contract as the shared encoders.

    Parameters per layer ``k`` and direction (suffix ``_reverse`` for the backward one):
    ``weight_ih_l{k}`` ``(max_len, G*H, In)``, ``weight_hh_l{k}`` ``(max_len, G*H, H)``,
    ``bias_ih_l{k}``/``bias_hh_l{k}`` ``(max_len, G*H)``; G = 1 (rnn), 3 (gru), 4 (lstm).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        max_len: int,
        *,
        cell: str = "rnn",
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.cell = cell
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.max_len = max_len
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        rows = GATES[cell] * hidden_size
        directions = 2 if bidirectional else 1
        for layer in range(num_layers):
            width = input_size if layer == 0 else hidden_size * directions
            for suffix in ("", "_reverse")[:directions]:
                name = f"_l{layer}{suffix}"
                self.register_parameter(
                    "weight_ih" + name, nn.Parameter(torch.empty(max_len, rows, width))
                )
                self.register_parameter(
                    "weight_hh" + name, nn.Parameter(torch.empty(max_len, rows, hidden_size))
                )
                self.register_parameter("bias_ih" + name, nn.Parameter(torch.empty(max_len, rows)))
                self.register_parameter("bias_hh" + name, nn.Parameter(torch.empty(max_len, rows)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Uniform in ``±1/sqrt(H)`` per step, the init PyTorch gives each shared cell."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def _direction(
        self, x: torch.Tensor, mask: torch.Tensor, name: str
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the weights ``*{name}`` forward over post-padded ``x`` ``(B, T, In)``."""
        w_ih, w_hh, b_ih, b_hh = (getattr(self, n + name) for n in _NAMES)
        B, T, _ = x.shape  # batch, steps, input width
        # (B, T, G*H): each step's own input projection, all steps in one batched contraction.
        gi = torch.einsum("btf,tgf->btg", x, w_ih[:T]) + b_ih[:T]
        state = initial_state(self.cell, B, self.hidden_size, gi)
        step = STEPS[self.cell]
        outputs = []
        for t in range(T):
            real = mask[:, t].unsqueeze(1)  # (B, 1)
            new = step(gi[:, t], state, w_hh[t], b_hh[t])
            state = tuple(torch.where(real, n, s) for n, s in zip(new, state, strict=True))
            outputs.append(state[0] * real.to(gi.dtype))
        return torch.stack(outputs, dim=1), state[0]  # (B, T, H), (B, H)

    def forward(
        self, x: torch.Tensor, lengths: torch.Tensor, padding: str = "post"
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``x`` ``(B, T, In)``, ``lengths`` ``(B,)`` CPU int64. Returns outputs ``(B, T, H*D)``
        (zero at padding, in ``padding``'s layout) and final ``(B, H*D)`` as the shared encoders."""
        too_long = torch.nonzero(lengths > self.max_len)
        if too_long.numel():
            b = int(too_long[0, 0])
            raise DataError(
                f"unshared model: example {b} has length {int(lengths[b])} but max_len is "
                f"{self.max_len} (it has weights for steps 0..{self.max_len - 1} only)"
            )
        T = x.shape[1]  # x: (B, T, In)
        x = to_post(x, lengths, padding)
        steps = int(lengths.max())  # beyond the longest real step there is nothing to compute
        out = x[:, :steps]
        mask = lengths_to_mask(lengths, steps, "post").to(x.device)  # (B, steps)
        finals: list[torch.Tensor] = []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0:
                out = F.dropout(out, self.dropout, self.training)
            fwd, h_fwd = self._direction(out, mask, f"_l{layer}")
            halves, finals = [fwd], [h_fwd]
            if self.bidirectional:
                # Positions of the backward weights count from each sequence's last real step.
                rev, h_bwd = self._direction(
                    reverse_within_length(out, lengths), mask, f"_l{layer}_reverse"
                )
                halves.append(reverse_within_length(rev, lengths))
                finals.append(h_bwd)
            out = torch.cat(halves, dim=-1)  # (B, steps, H*D)
        out = F.pad(out, (0, 0, 0, T - steps))  # (B, T, H*D): zeros at the trailing padding
        return from_post(out, lengths, padding), torch.cat(finals, dim=-1)
