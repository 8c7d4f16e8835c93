"""Mixed precision: its own tolerance (NOTE [mixed precision tolerance] in train/precision.py),
tested on CPU bf16; the fp32 path stays bit-identical; fp16 is CUDA-only and tested there.

Invariant: under bf16 autocast a padded batch's logits equal those of each sequence run alone,
and the fp32 logits, within ``TOLERANCE["bf16"]``; gradients differ from fp32's by less than
its rtol in relative norm. Exactness itself (1e-5) is tested in fp32 in tests/models.
"""

from __future__ import annotations

import pytest
import torch

from seqbucket.errors import ConfigError
from seqbucket.models import ModelConfig, build_model, masked_loss
from seqbucket.train.precision import TOLERANCE, autocast, check_precision, grad_scaler

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py

CPU = torch.device("cpu")
B, T, F_IN = 5, 17, 3

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _case(kind: str, bidirectional: bool, seed: int = 0, device=CPU):
    torch.manual_seed(seed)
    config = ModelConfig(
        kind=kind, task="classify", input_size=F_IN, hidden_size=16, num_layers=2,
        bidirectional=bidirectional, num_classes=4,
    )  # fmt: skip
    model = build_model(config).to(device)
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, T + 1, (B,), generator=g)
    lengths[0], lengths[1] = T, 1
    x = torch.randn(B, T, F_IN, generator=g).to(device)  # padding holds noise: must not matter
    y = torch.randint(0, 4, (B,), generator=g).to(device)
    return model, x, lengths, y


def _grad_vector(model: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.grad.flatten() for p in model.parameters()])


def _check_against_fp32(kind, bidirectional, padding, precision, device):
    atol, rtol = TOLERANCE[precision]
    model, x, lengths, y = _case(kind, bidirectional, device=device)
    if padding == "pre":  # move each row's real steps to the end
        x = torch.stack([torch.roll(x[b], int(T - lengths[b]), dims=0) for b in range(B)])
    model.zero_grad()
    ref = model(x, lengths, padding=padding)  # (B, C) fp32
    masked_loss("classify", ref, y).backward()
    ref_grad = _grad_vector(model)
    model.zero_grad()
    with autocast(device, precision):
        low = model(x, lengths, padding=padding)
        alone = []
        for b in range(B):
            n = int(lengths[b])
            row = x[b : b + 1, :n] if padding == "post" else x[b : b + 1, T - n :]
            alone.append(model(row, lengths[b : b + 1]))
    assert low.dtype != torch.float32  # autocast really ran in low precision
    low = low.float()
    masked_loss("classify", low, y).backward()
    torch.testing.assert_close(low, ref.detach(), atol=atol, rtol=rtol)
    torch.testing.assert_close(low, torch.cat(alone).float(), atol=atol, rtol=rtol)
    grad = _grad_vector(model)
    assert torch.isfinite(grad).all()
    assert float((grad - ref_grad).norm() / ref_grad.norm()) < rtol


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("padding", ["post", "pre"])
def test_bf16_within_its_tolerance_of_fp32_and_of_each_sequence_alone(kind, bidirectional, padding):
    _check_against_fp32(kind, bidirectional, padding, "bf16", CPU)


def test_fp32_autocast_is_a_no_op():
    model, x, lengths, _ = _case("lstm", True)
    with torch.no_grad():
        plain = model(x, lengths)
        with autocast(CPU, "fp32"):
            same = model(x, lengths)
    assert torch.equal(plain, same)  # bit for bit: the exactness tests hold unchanged


def test_fp16_is_refused_on_cpu_and_only_fp16_scales_gradients():
    with pytest.raises(ConfigError, match="expected a CUDA device for precision fp16, got cpu"):
        check_precision(CPU, "fp16")
    check_precision(CPU, "bf16")
    assert grad_scaler(CPU, "bf16") is None and grad_scaler(CPU, "fp32") is None


@pytest.mark.cuda
@needs_cuda
@pytest.mark.parametrize("precision", ["fp16", "bf16"])
@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_cuda_mixed_precision_within_tolerance(kind, precision):
    device = torch.device("cuda")
    if precision == "bf16" and not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bf16")
    for bidirectional in (False, True):
        _check_against_fp32(kind, bidirectional, "post", precision, device)


@pytest.mark.cuda
@needs_cuda
def test_cuda_fp16_grad_scaler_skips_a_step_with_inf_gradients():
    device = torch.device("cuda")
    model, x, lengths, y = _case("lstm", False, device=device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scaler = grad_scaler(device, "fp16")
    assert scaler is not None
    before = [p.detach().clone() for p in model.parameters()]
    with autocast(device, "fp16"):
        logits = model(x, lengths)
    loss = masked_loss("classify", logits.float(), y) * float("inf")
    scaler.scale(loss).backward()
    scale = scaler.get_scale()
    scaler.step(optimizer)
    scaler.update()
    assert scaler.get_scale() < scale  # the scale dropped: the step was skipped...
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
