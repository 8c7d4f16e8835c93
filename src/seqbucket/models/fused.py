"""The fast exact encoder: PyTorch's fused ``nn.RNN/GRU/LSTM`` kernels on padded batches,
made exact with index gathers and a mask instead of ``PackedSequence``.

NOTE [exact masking without packing]:

- Post padding, unidirectional: the recurrence is causal, so one call of the fused multi-layer
  module over the padded batch is already exact at every real step; what it computes in the
  padding never reaches a real step. The final state is the top layer's output gathered at
  ``lengths - 1``; outputs at padded steps are multiplied by the mask (zero, with zero gradient).
- Bidirectional: a backward direction run over the padded tensor would start inside the padding.
  So each layer runs its forward direction on ``x`` and its backward direction, as a forward
  kernel, on ``x`` reversed within each length (one gather), then reverses those outputs back.
  Padding stays at the end in both, so both are causal and exact. The two halves are concatenated
  and feed the next layer, as in ``nn.LSTM(bidirectional=True)``.
- Pre padding: each row is rolled left by ``T - length`` (one gather) to post padding, encoded,
  and the outputs rolled back.

Parameters stay in the ``nn.RNNBase`` module with its own names (``weight_ih_l0_reverse``...),
so state_dicts copy both ways with PyTorch's modules and between the three impls.
"""

from __future__ import annotations

import threading

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from seqbucket._mask import lengths_to_mask
from seqbucket.models.reverse import final_states, from_post, reverse_within_length, to_post

# Running one direction of one layer with the big module's weights. Measured (2 threads, LSTM
# H=128, B=32, T=300, forward+backward): torch.func.functional_call on a single-direction
# single-layer template 0.033-0.051 s, torch._VF.lstm 0.032-0.035 s, i.e. equal within noise;
# on a tiny batch the call overhead is ~120 us vs ~90 us. We choose functional_call: a public,
# stable API that goes through nn.LSTM.forward's own input checks, instead of the private _VF.
# The templates live on the "meta" device (no memory): every parameter is swapped in per call.
# functional_call swaps attributes on the template while it runs, so templates are per thread.
_templates = threading.local()


def _template(rnn: nn.RNNBase, input_size: int) -> nn.RNNBase:
    cache = getattr(_templates, "cache", None)
    if cache is None:
        cache = _templates.cache = {}
    key = (rnn.mode, input_size, rnn.hidden_size, getattr(rnn, "nonlinearity", None))
    if key not in cache:
        if rnn.mode == "LSTM":
            module: nn.RNNBase = nn.LSTM(
                input_size, rnn.hidden_size, batch_first=True, device="meta"
            )
        elif rnn.mode == "GRU":
            module = nn.GRU(input_size, rnn.hidden_size, batch_first=True, device="meta")
        else:
            module = nn.RNN(
                input_size,
                rnn.hidden_size,
                nonlinearity=rnn.nonlinearity,
                batch_first=True,
                device="meta",
            )
        cache[key] = module
    return cache[key]


def run_direction(rnn: nn.RNNBase, layer: int, reverse: bool, x: torch.Tensor) -> torch.Tensor:
    """Run layer ``layer``'s forward (``reverse=False``) or backward weights of ``rnn`` as a
    forward single-layer kernel over post-padded ``x`` ``(B, T, In)``; returns ``(B, T, H)``."""
    suffix = f"_l{layer}" + ("_reverse" if reverse else "")
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")  # seqbucket always builds with bias
    params = {f"{n}_l0": getattr(rnn, n + suffix) for n in names}
    out, _ = functional_call(_template(rnn, x.shape[-1]), params, (x,))
    return out


def fused_encode(
    rnn: nn.RNNBase, x: torch.Tensor, lengths: torch.Tensor, padding: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact encoder on a padded batch (see NOTE [exact masking without packing]).

    Args:
        rnn: a ``batch_first`` ``nn.RNN``/``nn.GRU``/``nn.LSTM`` holding the weights.
        x: ``(B, T, In)`` padded inputs.
        lengths: ``(B,)`` CPU int64, each in ``1..T``.
        padding: ``'post'`` or ``'pre'``.

    Returns:
        outputs ``(B, T, H*D)``, zero at padded steps, in ``padding``'s layout; and final
        ``(B, H*D)``: the top layer's forward state at each last real step, concatenated (when
        bidirectional) with its backward state at each first real step.
    """
    T = x.shape[1]  # x: (B, T, In)
    H = rnn.hidden_size
    x = to_post(x, lengths, padding)
    if not rnn.bidirectional:
        out, _ = rnn(x)  # (B, T, H): exact at real steps, since the recurrence is causal
    else:
        out = x
        for layer in range(rnn.num_layers):
            if layer > 0 and rnn.dropout > 0:
                out = F.dropout(out, rnn.dropout, rnn.training)  # nn.LSTM's between-layer dropout
            fwd = run_direction(rnn, layer, False, out)  # (B, T, H)
            bwd = reverse_within_length(
                run_direction(rnn, layer, True, reverse_within_length(out, lengths)), lengths
            )  # (B, T, H): step t holds the backward state having read t..len-1
            out = torch.cat([fwd, bwd], dim=-1)  # (B, T, 2H)
    # (B, H*D): forward state at each last real step; backward state at step 0, the first real
    # one. Gathered before the masking below (equal there: both steps are real), so a loss on the
    # final state alone (classify, regress) never back-propagates through the mask product.
    final = final_states(out, lengths, H)
    mask = lengths_to_mask(lengths, T, "post").to(out.device)  # (B, T)
    out = out * mask.unsqueeze(-1).to(out.dtype)  # zero (and zero gradient) at padded steps
    return from_post(out, lengths, padding), final
