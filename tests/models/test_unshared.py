"""The unshared per-step baseline: its equations, its parameter growth, its length limit."""

from __future__ import annotations

import pytest
import torch

from seqbucket.errors import DataError
from seqbucket.models import ModelConfig, build_model, param_count


def _model(max_len: int, **kw):
    torch.manual_seed(0)
    fields = dict(kind="unshared", input_size=3, hidden_size=5, num_classes=2, max_len=max_len)
    return build_model(ModelConfig(**(fields | kw)))


def test_elman_step_uses_the_weights_of_its_own_position():
    # h_t = tanh(W_t x_t + b_ih_t + U_t h_{t-1} + b_hh_t), written out for one sequence.
    model = _model(6)
    rnn = model.encoder.rnn
    x = torch.randn(1, 4, 3)
    outputs, final = model.encoder(x, torch.tensor([4]))
    h = torch.zeros(5)
    for t in range(4):
        h = torch.tanh(
            rnn.weight_ih_l0[t] @ x[0, t]
            + rnn.bias_ih_l0[t]
            + rnn.weight_hh_l0[t] @ h
            + rnn.bias_hh_l0[t]
        )
        torch.testing.assert_close(outputs[0, t], h, atol=1e-6, rtol=0)
    torch.testing.assert_close(final[0], h, atol=1e-6, rtol=0)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("padding", ["post", "pre"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_unshared_padded_batch_equals_each_sequence_alone(cell, padding, bidirectional):
    # Invariant: positions count from each sequence's first real step on both padding sides, so
    # padding changes neither outputs, final states nor gradients.
    model = _model(10, unshared_cell=cell, bidirectional=bidirectional, num_layers=2)
    enc = model.encoder
    g = torch.Generator().manual_seed(1)
    lengths = torch.tensor([7, 1, 4, 5])
    x = torch.randn(4, 7, 3, generator=g)

    def real(t, b, n):
        return t[b, :n] if padding == "post" else t[b, t.shape[1] - n :]

    enc.zero_grad()
    outputs, final = enc(x, lengths, padding)
    (outputs.square().sum() + final.sum()).backward()
    grads = {n: p.grad.clone() for n, p in enc.named_parameters()}
    summed = {n: torch.zeros_like(v) for n, v in grads.items()}
    for b in range(4):
        n = int(lengths[b])
        enc.zero_grad()
        out_b, fin_b = enc(real(x, b, n).unsqueeze(0), torch.tensor([n]))
        (out_b.square().sum() + fin_b.sum()).backward()
        torch.testing.assert_close(real(outputs, b, n), out_b[0], atol=1e-5, rtol=0)
        torch.testing.assert_close(final[b], fin_b[0], atol=1e-5, rtol=0)
        for name, p in enc.named_parameters():
            summed[name] += p.grad
    for name, v in grads.items():
        torch.testing.assert_close(v, summed[name], atol=1e-5, rtol=0, msg=name)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_parameter_count_grows_linearly_with_max_len(cell):
    counts = [param_count(_model(n, unshared_cell=cell)) for n in (5, 20, 50, 100)]
    per_step = (counts[1] - counts[0]) / 15
    assert per_step > 0
    for n, c in zip((5, 20, 50, 100), counts, strict=True):
        assert c == counts[0] + per_step * (n - 5)
    gates = 4 if cell == "lstm" else 1
    assert per_step == gates * 5 * (3 + 5 + 2)  # G*H*(F + H + 2 biases) per step


def test_longer_than_max_len_is_a_clear_error():
    model = _model(4)
    with pytest.raises(DataError, match=r"example 1 has length 6 but max_len is 4"):
        model(torch.randn(2, 6, 3), torch.tensor([3, 6]))


def test_padded_beyond_max_len_is_fine_when_every_sequence_fits():
    model = _model(4)
    short = model(torch.randn(2, 4, 3), torch.tensor([3, 4]))
    assert short.shape == (2, 2)
    x = torch.randn(2, 4, 3)
    padded = torch.cat([x, torch.randn(2, 5, 3)], dim=1)  # T = 9 > max_len, real lengths <= 4
    lengths = torch.tensor([3, 4])
    torch.testing.assert_close(model(padded, lengths), model(x, lengths), atol=1e-6, rtol=0)
