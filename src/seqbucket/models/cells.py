"""One-step reference cells: Elman RNN, GRU and LSTM, with the gate equations written out.

Each ``*_step`` function advances one time step for a batch. It takes the input projection
``gi = W_ih x_t + b_ih`` (``(B, G*H)``, computed for all steps at once by the callers because it
does not depend on the state) and the previous state, and returns the next state. The gate order
and the parameter layout are PyTorch's, so weights copy both ways with ``nn.RNNCell``,
``nn.GRUCell``, ``nn.LSTMCell`` and with every layer/direction of ``nn.RNN/GRU/LSTM``:

- RNN  (G=1): ``W_ih`` is ``(H, F)``.
- GRU  (G=3): rows of ``W_ih``/``W_hh`` are the gates ``r, z, n``.
- LSTM (G=4): rows are the gates ``i, f, g, o``.

To unroll a cell over a sequence ``x`` of shape ``(T, B, F)``::

    cell = LSTMCell(F, H)
    state = cell.initial_state(B)
    for t in range(T):
        state = cell(x[t], state)
        h = state[0]  # (B, H)
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# State is a tuple: (h,) for RNN and GRU, (h, c) for LSTM; each (B, H).
State = tuple[torch.Tensor, ...]

GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def rnn_step(gi: torch.Tensor, state: State, w_hh: torch.Tensor, b_hh: torch.Tensor) -> State:
    """Elman step: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)``. ``gi``: (B, H)."""
    (h,) = state
    return (torch.tanh(gi + F.linear(h, w_hh, b_hh)),)


def gru_step(gi: torch.Tensor, state: State, w_hh: torch.Tensor, b_hh: torch.Tensor) -> State:
    """GRU step in PyTorch's form (the reset gate multiplies ``W_hn h + b_hn``). ``gi``: (B, 3H)."""
    (h,) = state
    gh = F.linear(h, w_hh, b_hh)  # (B, 3H)
    i_r, i_z, i_n = gi.chunk(3, dim=1)
    h_r, h_z, h_n = gh.chunk(3, dim=1)
    r = torch.sigmoid(i_r + h_r)  # reset gate
    z = torch.sigmoid(i_z + h_z)  # update gate
    n = torch.tanh(i_n + r * h_n)  # candidate: tanh(W_in x + b_in + r * (W_hn h + b_hn))
    return ((1 - z) * n + z * h,)


def lstm_step(gi: torch.Tensor, state: State, w_hh: torch.Tensor, b_hh: torch.Tensor) -> State:
    """LSTM step, gates in PyTorch's order ``i, f, g, o``. ``gi``: (B, 4H); state ``(h, c)``."""
    h, c = state
    gates = gi + F.linear(h, w_hh, b_hh)  # (B, 4H)
    g_i, g_f, g_g, g_o = gates.chunk(4, dim=1)
    i = torch.sigmoid(g_i)  # input gate
    f = torch.sigmoid(g_f)  # forget gate
    g = torch.tanh(g_g)  # candidate cell
    o = torch.sigmoid(g_o)  # output gate
    c = f * c + i * g
    h = o * torch.tanh(c)
    return (h, c)


STEPS = {"rnn": rnn_step, "gru": gru_step, "lstm": lstm_step}


def initial_state(kind: str, batch: int, hidden: int, like: torch.Tensor) -> State:
    """Zero state ``(h,)`` or ``(h, c)``, each ``(B, H)``, with ``like``'s dtype and device."""
    zeros = like.new_zeros(batch, hidden)
    return (zeros, zeros) if kind == "lstm" else (zeros,)


class _Cell(nn.Module):
    """A one-step cell with ``nn.*Cell`` parameter names: ``weight_ih (G*H, F)``,
    ``weight_hh (G*H, H)``, ``bias_ih (G*H,)``, ``bias_hh (G*H,)``, initialised like PyTorch
    (uniform in ``±1/sqrt(H)``)."""

    kind = "rnn"

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        rows = GATES[self.kind] * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(rows, input_size))
        self.weight_hh = nn.Parameter(torch.empty(rows, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(rows))
        self.bias_hh = nn.Parameter(torch.empty(rows))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def initial_state(self, batch: int) -> State:
        return initial_state(self.kind, batch, self.hidden_size, self.weight_hh)

    def forward(self, x: torch.Tensor, state: State | None = None) -> State:
        """``x``: (B, F); ``state``: zeros if None. Returns the next ``(h,)`` or ``(h, c)``."""
        if state is None:
            state = self.initial_state(x.shape[0])
        gi = F.linear(x, self.weight_ih, self.bias_ih)  # (B, G*H)
        return STEPS[self.kind](gi, state, self.weight_hh, self.bias_hh)


class RNNCell(_Cell):
    """Elman cell (tanh), parameter-compatible with ``nn.RNNCell``."""

    kind = "rnn"


class GRUCell(_Cell):
    """GRU cell, parameter-compatible with ``nn.GRUCell``."""

    kind = "gru"


class LSTMCell(_Cell):
    """LSTM cell, parameter-compatible with ``nn.LSTMCell``."""

    kind = "lstm"


CELLS: dict[str, type[_Cell]] = {"rnn": RNNCell, "gru": GRUCell, "lstm": LSTMCell}
