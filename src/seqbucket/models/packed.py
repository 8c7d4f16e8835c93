"""The classic reference (``impl="packed"``): ``pack_padded_sequence`` around the same
``nn.RNNBase`` module. Exact by construction, but measured 4 to 12 times slower than padded
batches on CPU (see ``docs/models.md``), so it is an option and a test reference only."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqbucket.models.reverse import from_post, to_post


def packed_encode(
    rnn: nn.RNNBase, x: torch.Tensor, lengths: torch.Tensor, padding: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Same contract as :func:`seqbucket.models.fused.fused_encode`, through PackedSequence."""
    T = x.shape[1]
    packed = pack_padded_sequence(
        to_post(x, lengths, padding), lengths, batch_first=True, enforce_sorted=False
    )
    out_packed, h_n = rnn(packed)
    if isinstance(h_n, tuple):  # LSTM: (h_n, c_n)
        h_n = h_n[0]
    out, _ = pad_packed_sequence(out_packed, batch_first=True, total_length=T)  # zeros at padding
    # h_n: (num_layers * D, B, H) in the batch's original order; the top layer is the last D rows.
    final = torch.cat(list(h_n[-2:]) if rnn.bidirectional else [h_n[-1]], dim=-1)
    return from_post(out, lengths, padding), final
