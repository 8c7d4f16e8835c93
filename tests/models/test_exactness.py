"""Exactness of the shared encoders on padded batches (the issue's required tests).

Invariant: for random batches with random lengths, both padding sides, uni- and bidirectional,
1 to 3 layers and every cell kind, the fused encoder's outputs at real steps, its final states,
the loss and every parameter gradient equal those of running each sequence alone, unpadded
(B=1, T=length), within fp32 1e-5 absolute; the loop impl equals the fused one; and both equal
PyTorch's nn.RNN/GRU/LSTM run through pack_padded_sequence on the same (copied) weights.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqbucket._mask import lengths_to_mask
from seqbucket.models import ModelConfig, build_model, masked_loss

ATOL = 1e-5
F_IN, H, B, T = 3, 8, 5, 9
COMBOS = [
    (kind, padding, bidirectional, layers)
    for kind in ("rnn", "gru", "lstm")
    for padding in ("post", "pre")
    for bidirectional in (False, True)
    for layers in (1, 2, 3)
]


def _batch(seed: int, padding: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random x (B, T, F) with random padding values, lengths (one of them T, one of them 1)."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, T + 1, (B,), generator=g)
    lengths[0], lengths[1] = T, 1
    lengths = lengths[torch.randperm(B, generator=g)]
    x = torch.randn(B, T, F_IN, generator=g)  # padding holds noise, not zeros: it must not matter
    mask = lengths_to_mask(lengths, T, padding)
    return x, lengths, mask


def _real(x: torch.Tensor, b: int, n: int, padding: str) -> torch.Tensor:
    """Row b's real steps (n, ...) for either padding side."""
    return x[b, :n] if padding == "post" else x[b, x.shape[1] - n :]


def _encoder(kind: str, bidirectional: bool, layers: int, impl: str = "fused"):
    torch.manual_seed(1234)
    config = ModelConfig(
        kind=kind, task="classify", input_size=F_IN, hidden_size=H, num_layers=layers,
        bidirectional=bidirectional, num_classes=2, impl=impl,
    )  # fmt: skip
    return build_model(config).encoder


def _probe_loss(outputs: torch.Tensor, final: torch.Tensor, seed: int) -> torch.Tensor:
    """A loss that touches every output step and the final state through fixed random weights;
    padded outputs are zero, so the batch loss is the sum of the per-sequence losses."""
    g = torch.Generator().manual_seed(seed)
    w_out = torch.randn(outputs.shape[-1], generator=g)
    w_fin = torch.randn(final.shape[-1], generator=g)
    return (torch.tanh(outputs) @ w_out).sum() + (torch.sin(final) @ w_fin).sum()


def _grads(module: nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.grad.clone() for n, p in module.named_parameters()}


def _run(encoder, x, lengths, padding, seed=7):
    encoder.zero_grad()
    outputs, final = encoder(x, lengths, padding)
    loss = _probe_loss(outputs, final, seed)
    loss.backward()
    return outputs.detach(), final.detach(), loss.detach(), _grads(encoder)


@pytest.mark.parametrize(("kind", "padding", "bidirectional", "layers"), COMBOS)
def test_fused_equals_each_sequence_alone(kind, padding, bidirectional, layers):
    x, lengths, mask = _batch(COMBOS.index((kind, padding, bidirectional, layers)), padding)
    enc = _encoder(kind, bidirectional, layers)
    outputs, final, loss, grads = _run(enc, x, lengths, padding)

    # Invariant: outputs are exactly zero at padded steps.
    assert torch.equal(outputs[~mask], torch.zeros_like(outputs[~mask]))
    total_loss = torch.zeros(())
    total_grads = {n: torch.zeros_like(g) for n, g in grads.items()}
    for b in range(B):
        n = int(lengths[b])
        xb = _real(x, b, n, padding).unsqueeze(0)  # (1, n, F): no padding at all
        out_b, fin_b, loss_b, grads_b = _run(enc, xb, torch.tensor([n]), "post")
        torch.testing.assert_close(_real(outputs, b, n, padding), out_b[0], atol=ATOL, rtol=0)
        torch.testing.assert_close(final[b], fin_b[0], atol=ATOL, rtol=0)
        total_loss += loss_b
        for name in total_grads:
            total_grads[name] += grads_b[name]
    torch.testing.assert_close(loss, total_loss, atol=ATOL, rtol=0)
    for name, g in grads.items():
        torch.testing.assert_close(g, total_grads[name], atol=ATOL, rtol=0, msg=name)


@pytest.mark.parametrize(("kind", "padding", "bidirectional", "layers"), COMBOS)
def test_loop_and_fused_equal_pytorch_packed(kind, padding, bidirectional, layers):
    x, lengths, mask = _batch(100 + COMBOS.index((kind, padding, bidirectional, layers)), padding)
    fused = _run(_encoder(kind, bidirectional, layers, "fused"), x, lengths, padding)
    loop_enc = _encoder(kind, bidirectional, layers, "loop")
    loop = _run(loop_enc, x, lengths, padding)

    # Reference: a fresh PyTorch module loaded with the encoder's state_dict, run through
    # pack_padded_sequence (rows of a pre-padded batch are moved to post padding by hand).
    cls = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[kind]
    ref = cls(F_IN, H, num_layers=layers, batch_first=True, bidirectional=bidirectional)
    ref.load_state_dict(loop_enc.rnn.state_dict())
    rows = [_real(x, b, int(lengths[b]), padding) for b in range(B)]
    x_post = nn.utils.rnn.pad_sequence(rows, batch_first=True)
    packed = pack_padded_sequence(x_post, lengths, batch_first=True, enforce_sorted=False)
    out_p, h_n = ref(packed)
    out_p, _ = pad_packed_sequence(out_p, batch_first=True, total_length=T)
    h_n = h_n[0] if kind == "lstm" else h_n
    final_ref = torch.cat(list(h_n[-2:]) if bidirectional else [h_n[-1]], dim=-1)
    loss_ref = _probe_loss(out_p, final_ref, 7)
    loss_ref.backward()
    grads_ref = {f"rnn.{n}": p.grad for n, p in ref.named_parameters()}

    for name, got in (("fused", fused), ("loop", loop)):
        outputs, final, loss, grads = got
        for b in range(B):
            n = int(lengths[b])
            torch.testing.assert_close(
                _real(outputs, b, n, padding), out_p[b, :n], atol=ATOL, rtol=0, msg=name
            )
        assert torch.equal(outputs[~mask], torch.zeros_like(outputs[~mask]))
        torch.testing.assert_close(final, final_ref, atol=ATOL, rtol=0, msg=name)
        torch.testing.assert_close(loss, loss_ref.detach(), atol=ATOL, rtol=0, msg=name)
        for key, g in grads_ref.items():
            torch.testing.assert_close(grads[key], g, atol=ATOL, rtol=0, msg=f"{name} {key}")


@pytest.mark.parametrize("padding", ["post", "pre"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_impl_equals_fused(padding, bidirectional):
    x, lengths, _ = _batch(3, padding)
    fused = _run(_encoder("lstm", bidirectional, 2, "fused"), x, lengths, padding)
    packed = _run(_encoder("lstm", bidirectional, 2, "packed"), x, lengths, padding)
    for a, b in zip(fused[:3], packed[:3], strict=True):
        torch.testing.assert_close(a, b, atol=ATOL, rtol=0)
    for name, g in fused[3].items():
        torch.testing.assert_close(g, packed[3][name], atol=ATOL, rtol=0, msg=name)


@pytest.mark.parametrize(
    ("task", "kind", "bidirectional", "padding"),
    [
        ("classify", "lstm", True, "pre"),
        ("tag", "gru", True, "post"),
        ("regress", "rnn", False, "pre"),
        ("lm", "lstm", False, "post"),
    ],
)
def test_model_loss_and_gradients_equal_each_sequence_alone(task, kind, bidirectional, padding):
    # Invariant: masked_loss of the batch is the real-position-weighted mean of the losses of the
    # sequences run alone, and so are its gradients.
    torch.manual_seed(5)
    vocab = 11
    config = ModelConfig(
        kind=kind, task=task, hidden_size=H, num_layers=2, bidirectional=bidirectional,
        input_size=None if task == "lm" else F_IN, vocab_size=vocab if task == "lm" else None,
        embed_dim=4, num_classes=3,
    )  # fmt: skip
    model = build_model(config)
    x, lengths, mask = _batch(11, padding)
    g = torch.Generator().manual_seed(2)
    if task == "lm":
        x = torch.randint(1, vocab, (B, T), generator=g).masked_fill(~mask, 0)
    if task in ("tag", "lm"):
        y = torch.randint(0, config.output_size, (B, T), generator=g).masked_fill(~mask, -100)
        weights = lengths.double() / lengths.sum()  # each sequence's share of the real positions
    elif task == "classify":
        y = torch.randint(0, 3, (B,), generator=g)
        weights = torch.full((B,), 1.0 / B, dtype=torch.float64)
    else:
        y = torch.randn(B, generator=g)
        weights = torch.full((B,), 1.0 / B, dtype=torch.float64)

    model.zero_grad()
    loss = masked_loss(task, model(x, lengths, padding=padding), y)
    loss.backward()
    grads = _grads(model)

    total = torch.zeros((), dtype=torch.float64)
    total_grads = {n: torch.zeros_like(v) for n, v in grads.items()}
    for b in range(B):
        n = int(lengths[b])
        model.zero_grad()
        yb = _real(y, b, n, padding).unsqueeze(0) if task in ("tag", "lm") else y[b : b + 1]
        loss_b = masked_loss(
            task, model(_real(x, b, n, padding).unsqueeze(0), torch.tensor([n])), yb
        )
        loss_b.backward()
        total += weights[b] * loss_b.double()
        for name, v in _grads(model).items():
            total_grads[name] += float(weights[b]) * v
    torch.testing.assert_close(loss.double(), total, atol=ATOL, rtol=0)
    for name, v in grads.items():
        torch.testing.assert_close(v, total_grads[name], atol=ATOL, rtol=0, msg=name)


@settings(max_examples=25)
@given(
    kind=st.sampled_from(["rnn", "gru", "lstm"]),
    padding=st.sampled_from(["post", "pre"]),
    bidirectional=st.booleans(),
    layers=st.integers(1, 3),
    lengths=st.lists(st.integers(1, 8), min_size=1, max_size=6),
    extra=st.integers(0, 3),
)
def test_fused_equals_loop_on_any_batch(kind, padding, bidirectional, layers, lengths, extra):
    # Invariant: on any batch shape and lengths, padded by any amount, the two impls agree.
    n = torch.tensor(lengths)
    x = torch.randn(len(lengths), max(lengths) + extra, F_IN)
    fused_out, fused_final = _encoder(kind, bidirectional, layers, "fused")(x, n, padding)
    loop_out, loop_final = _encoder(kind, bidirectional, layers, "loop")(x, n, padding)
    torch.testing.assert_close(fused_out, loop_out, atol=ATOL, rtol=0)
    torch.testing.assert_close(fused_final, loop_final, atol=ATOL, rtol=0)
