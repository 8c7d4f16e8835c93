"""The reference cells equal PyTorch's cells, weights copy both ways, and unrolling a cell by
hand equals the loop encoder reading the same nn.LSTM weights."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from seqbucket.models import GRUCell, LSTMCell, ModelConfig, RNNCell, build_model

PAIRS = [(RNNCell, nn.RNNCell), (GRUCell, nn.GRUCell), (LSTMCell, nn.LSTMCell)]


@pytest.mark.parametrize(("ours", "theirs"), PAIRS)
@pytest.mark.parametrize("direction", ["ours->torch", "torch->ours"])
def test_cell_matches_pytorch_cell(ours, theirs, direction):
    torch.manual_seed(0)
    a, b = ours(5, 7), theirs(5, 7)
    assert a.state_dict().keys() == b.state_dict().keys()
    if direction == "ours->torch":
        b.load_state_dict(a.state_dict())
    else:
        a.load_state_dict(b.state_dict())
    x = torch.randn(6, 4, 5)  # (T, B, F)
    state = a.initial_state(4)
    h_ref = torch.zeros(4, 7)
    c_ref = torch.zeros(4, 7)
    for t in range(6):
        state = a(x[t], state)
        if theirs is nn.LSTMCell:
            h_ref, c_ref = b(x[t], (h_ref, c_ref))
            torch.testing.assert_close(state[1], c_ref, atol=1e-6, rtol=0)
        else:
            h_ref = b(x[t], h_ref)
        torch.testing.assert_close(state[0], h_ref, atol=1e-6, rtol=0)
    (state[0].sum() + h_ref.sum()).backward()
    for name, p in a.named_parameters():
        torch.testing.assert_close(p.grad, getattr(b, name).grad, atol=1e-5, rtol=0, msg=name)


@pytest.mark.parametrize("ours", [RNNCell, GRUCell, LSTMCell])
def test_cell_starts_from_zero_state(ours):
    cell = ours(3, 4)
    x = torch.randn(2, 3)
    for got, want in zip(cell(x), cell(x, cell.initial_state(2)), strict=True):
        assert torch.equal(got, want)


def test_unrolling_a_cell_equals_the_loop_model_on_one_sequence():
    # The model's layer-0 weights (nn.LSTM names) load into the one-step cell (nn.LSTMCell names).
    torch.manual_seed(3)
    config = ModelConfig(kind="lstm", input_size=3, hidden_size=6, num_classes=2, impl="loop")
    model = build_model(config)
    cell = LSTMCell(3, 6)
    cell.load_state_dict(
        {k.replace("_l0", ""): v for k, v in model.encoder.rnn.state_dict().items()}
    )
    x = torch.randn(1, 8, 3)
    outputs, final = model.encoder(x, torch.tensor([8]))
    state = cell.initial_state(1)
    for t in range(8):
        state = cell(x[:, t], state)
        torch.testing.assert_close(outputs[:, t], state[0], atol=1e-6, rtol=0)
    torch.testing.assert_close(final, state[0], atol=1e-6, rtol=0)
