"""The readable reference encoder (``impl="loop"``): the one-step cells of ``cells.py`` in an
explicit Python loop over time, reading the weights of the same ``nn.RNNBase`` module the fused
encoder uses (so the two are interchangeable on one state_dict).

Exactness comes from the mask alone, for both padding sides and both directions: at a padded
step the state is carried unchanged (``where(mask, new, old)``) and the output is zero. A forward
pass therefore starts from the zero state at each sequence's first real step and ends holding the
state of its last real step; a backward pass (t = T-1 .. 0) does the same from the other end.
This is also how the model unrolls one sequence at a time (B=1, T=length: the mask is all True).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from seqbucket._mask import lengths_to_mask
from seqbucket.models.cells import STEPS, initial_state

_KIND = {"LSTM": "lstm", "GRU": "gru", "RNN_TANH": "rnn"}


def loop_direction(
    kind: str,
    x: torch.Tensor,
    mask: torch.Tensor,
    weights: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
    reverse: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One direction of one layer.

    Args:
        kind: ``'rnn'``, ``'gru'`` or ``'lstm'``.
        x: ``(B, T, In)`` inputs; mask: ``(B, T)`` bool, True on real steps (either side).
        weights: ``(w_ih, w_hh, b_ih, b_hh)`` in PyTorch's layout.
        reverse: walk t = T-1 .. 0 instead of 0 .. T-1.

    Returns:
        outputs ``(B, T, H)`` (zero at padded steps) and the last state ``h`` ``(B, H)``, which
        is the state at the last real step visited.
    """
    w_ih, w_hh, b_ih, b_hh = weights
    B, T, _ = x.shape
    H = w_hh.shape[1]
    gi = F.linear(x, w_ih, b_ih)  # (B, T, G*H): input projections do not depend on the state
    state = initial_state(kind, B, H, gi)
    step = STEPS[kind]
    outputs: list[torch.Tensor] = [gi.new_zeros(0)] * T
    for t in reversed(range(T)) if reverse else range(T):
        real = mask[:, t].unsqueeze(1)  # (B, 1)
        new = step(gi[:, t], state, w_hh, b_hh)
        state = tuple(torch.where(real, n, s) for n, s in zip(new, state, strict=True))
        outputs[t] = state[0] * real.to(gi.dtype)  # (B, H), zero at padded steps
    return torch.stack(outputs, dim=1), state[0]


def loop_encode(
    rnn: nn.RNNBase, x: torch.Tensor, lengths: torch.Tensor, padding: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Same contract as :func:`seqbucket.models.fused.fused_encode`, by the explicit loop."""
    kind = _KIND[rnn.mode]
    mask = lengths_to_mask(lengths, x.shape[1], padding).to(x.device)  # (B, T)
    out = x
    finals: list[torch.Tensor] = []
    for layer in range(rnn.num_layers):
        if layer > 0 and rnn.dropout > 0:
            out = F.dropout(out, rnn.dropout, rnn.training)
        halves, finals = [], []
        for reverse in (False, True) if rnn.bidirectional else (False,):
            suffix = f"_l{layer}" + ("_reverse" if reverse else "")
            weights = tuple(
                getattr(rnn, n + suffix) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
            )
            o, h = loop_direction(kind, out, mask, weights, reverse)  # type: ignore[arg-type]
            halves.append(o)
            finals.append(h)
        out = torch.cat(halves, dim=-1)  # (B, T, H*D)
    return out, torch.cat(finals, dim=-1)
