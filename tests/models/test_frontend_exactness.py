"""Exactness of the conv front end, per-series normalisation and mean-max pooling.

Invariant: for a padded batch (either padding side; padded to the batch maximum, to a bucket
boundary past it, or to a global maximum far past it; padding filled with noise), the logits,
the loss and every parameter gradient of a model with ``series_norm``, ``frontend="conv"`` and
``pooling="mean-max"`` equal those of running each sequence alone, unpadded, within fp32 1e-5.
The same holds without the front end (normalisation and pooling around a plain encoder). The
length arithmetic matches PyTorch's own ``Conv1d`` output sizes.

The front end's batch norm (NOTE [masked batch norm]): in training mode ``MaskedBatchNorm``
equals PyTorch's ``nn.BatchNorm1d`` applied to the batch's real steps alone (outputs, gradients,
running statistics), and a whole model with ``frontend_norm="batch"`` gives the same logits,
loss, gradients and running statistics however its batch is padded; in evaluation mode every
padded row gives the logits, loss and gradients of the row run alone.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from seqbucket.errors import ConfigError
from seqbucket.models import ModelConfig, build_model, masked_loss
from seqbucket.models.frontend import conv_lengths
from seqbucket.models.masked_norm import MaskedBatchNorm
from seqbucket.models.pooling import masked_mean_max, series_normalize

ATOL = 1e-5
F_IN, H, C = 2, 6, 5
# Lengths 1..23 cross every stride boundary of 3 stride-2 layers (and a 1-step sequence).
LENGTHS = [23, 1, 9, 16, 2, 12]
PAD_TO = {"batch-max": 23, "bucket": 32, "global-max": 57}


def _model(task: str, kind: str, bidirectional: bool, **extra: object) -> nn.Module:
    torch.manual_seed(3)
    config = ModelConfig(
        kind=kind, task=task, input_size=F_IN, hidden_size=H, bidirectional=bidirectional,
        num_classes=3 if task == "classify" else None, frontend="conv", frontend_channels=C,
        frontend_layers=3, frontend_kernel=5, frontend_stride=2, pooling="mean-max",
        series_norm=True,
    )  # fmt: skip
    config = ModelConfig.from_dict({**config.to_dict(), **extra})
    return build_model(config)


def _padded(lengths: list[int], total: int, padding: str, seed: int) -> tuple[torch.Tensor, ...]:
    """x (B, total, F) whose padded steps hold large noise, the rows alone, and lengths."""
    g = torch.Generator().manual_seed(seed)
    rows = [3.0 * torch.randn(n, F_IN, generator=g) + 5.0 for n in lengths]
    x = 100.0 * torch.randn(len(rows), total, F_IN, generator=g)
    for b, row in enumerate(rows):
        n = len(row)
        if padding == "post":
            x[b, :n] = row
        else:
            x[b, total - n :] = row
    return x, rows, torch.tensor(lengths)


def _grads(model: nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("pad_to", sorted(PAD_TO))
@pytest.mark.parametrize("padding", ["post", "pre"])
@pytest.mark.parametrize(
    ("task", "kind", "bidirectional", "series_norm", "frontend", "raw_channel"),
    [("classify", "gru", True, True, "conv", False),
     ("classify", "lstm", False, False, "conv", False),
     ("regress", "rnn", True, True, "conv", False),
     ("classify", "lstm", True, True, "none", False),
     ("classify", "gru", True, True, "conv", True),
     ("regress", "gru", False, True, "none", True)],
)  # fmt: skip
def test_padded_batch_equals_each_sequence_alone(
    pad_to, padding, task, kind, bidirectional, series_norm, frontend, raw_channel
):
    model = _model(
        task, kind, bidirectional, series_norm=series_norm, frontend=frontend,
        raw_channel=raw_channel,
    )  # fmt: skip
    x, rows, lengths = _padded(LENGTHS, PAD_TO[pad_to], padding, seed=len(pad_to))
    B = len(rows)
    g = torch.Generator().manual_seed(9)
    y = torch.randint(0, 3, (B,), generator=g) if task == "classify" else torch.randn(B)

    model.zero_grad()
    logits = model(x, lengths, padding=padding)
    loss = masked_loss(task, logits, y)
    loss.backward()
    grads = _grads(model)
    assert set(grads) == {n for n, _ in model.named_parameters()}  # every stage is exercised

    total = torch.zeros(())
    total_grads = {n: torch.zeros_like(v) for n, v in grads.items()}
    for b, row in enumerate(rows):
        model.zero_grad()
        alone = model(row.unsqueeze(0), torch.tensor([len(row)]))  # (1, ...) no padding at all
        torch.testing.assert_close(logits[b], alone[0], atol=ATOL, rtol=0)
        loss_b = masked_loss(task, alone, y[b : b + 1]) / B  # the batch loss is a mean over B
        loss_b.backward()
        total += loss_b.detach()
        for name, v in _grads(model).items():
            total_grads[name] += v
    torch.testing.assert_close(loss.detach(), total, atol=ATOL, rtol=0)
    for name, v in grads.items():
        torch.testing.assert_close(v, total_grads[name], atol=ATOL, rtol=0, msg=name)


@pytest.mark.parametrize("kernel", [1, 3, 5, 7])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_conv_lengths_match_pytorch_conv1d(kernel, stride):
    conv = nn.Conv1d(1, 1, kernel, stride=stride, padding=kernel // 2)
    lengths = torch.arange(1, 40)
    expected = [conv(torch.zeros(1, 1, int(n))).shape[-1] for n in lengths]
    assert conv_lengths(lengths, kernel, stride, kernel // 2).tolist() == expected


@pytest.mark.parametrize("padding", ["post", "pre"])
def test_series_normalize_and_pooling_match_per_sequence_reference(padding):
    x, rows, lengths = _padded([7, 1, 4], 9, padding, seed=1)
    normed, summary = series_normalize(x, lengths, padding)
    pooled = masked_mean_max(x, lengths, padding)
    for b, row in enumerate(rows):
        n = len(row)
        real = normed[b, :n] if padding == "post" else normed[b, 9 - n :]
        info = torch.finfo(row.dtype)  # the floor: 4 machine epsilons of the offset
        std = torch.sqrt(row.var(0, unbiased=False) + (4 * info.eps * row.mean(0)) ** 2 + info.tiny)
        torch.testing.assert_close(real, (row - row.mean(0)) / std, atol=ATOL, rtol=0)
        n_log = torch.log(torch.tensor([float(n)]))
        expected = torch.cat([torch.log(std), torch.asinh(row.mean(0)), n_log])
        torch.testing.assert_close(summary[b], expected, atol=ATOL, rtol=0)
        padded = normed[b, n:] if padding == "post" else normed[b, : 9 - n]
        assert not padded.any()  # padded steps are exactly zero
        torch.testing.assert_close(pooled[b], torch.cat([row.mean(0), row.amax(0)]))


@pytest.mark.parametrize("padding", ["post", "pre"])
def test_series_normalize_keeps_the_shape_of_a_low_amplitude_series(padding):
    # PLAID after feature standardisation: half the training series vary by 1e-12 to 1e-5
    # around an offset near -0.33. Their shapes must come out on the same scale as a loud
    # series' (an absolute floor, sqrt(var + 1e-5), shrank this one to about 0.02 of it).
    t = torch.linspace(0, 6.28, 50)
    shape = torch.stack([torch.sin(t), torch.sign(torch.sin(3 * t))], dim=-1)  # (50, 2)
    shape = (shape - shape.mean(0)) / shape.std(0, unbiased=False)
    for amplitude in (3.0, 1e-3, 3e-6):
        x = torch.zeros(2, 60, 2)
        row = amplitude * shape - 0.33
        if padding == "post":
            x[0, :50] = row
        else:
            x[0, 10:] = row
        lengths = torch.tensor([50, 60])
        normed, summary = series_normalize(x, lengths, padding)
        real = normed[0, :50] if padding == "post" else normed[0, 10:]
        torch.testing.assert_close(real, shape, atol=1e-2, rtol=0)
        torch.testing.assert_close(
            summary[0, :2], torch.log(torch.tensor([amplitude, amplitude])), atol=1e-2, rtol=0
        )


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("value", [0.0, 1e-30, -0.33, 0.1, 7.0, 1e6])
def test_series_normalize_maps_a_constant_series_to_zeros(dtype, value):
    # Exactly zero (not rounding left over from the mean) and a finite summary, at any offset.
    x = torch.full((1, 37, 1), value, dtype=dtype)
    normed, summary = series_normalize(x, torch.tensor([37]), "post")
    assert not normed.any()
    assert torch.isfinite(summary).all()


@settings(max_examples=20, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 20), min_size=1, max_size=5),
    extra=st.integers(0, 9),
    padding=st.sampled_from(["post", "pre"]),
    stride=st.integers(1, 3),
)
def test_any_batch_shape_gives_the_alone_logits(lengths, extra, padding, stride):
    # Invariant: however a batch is padded, each row's logits equal the row run alone.
    model = _model("classify", "gru", True, frontend_stride=stride)
    x, rows, n = _padded(lengths, max(lengths) + extra, padding, seed=sum(lengths))
    with torch.no_grad():
        logits = model(x, n, padding=padding)
        for b, row in enumerate(rows):
            alone = model(row.unsqueeze(0), torch.tensor([len(row)]))[0]
            torch.testing.assert_close(logits[b], alone, atol=ATOL, rtol=0)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"task": "tag"}, "frontend='conv' needs a task"),
        ({"frontend": "none", "task": "tag"}, "pooling='mean-max' needs a task"),
        ({"frontend_kernel": 4}, "frontend_kernel must be odd"),
        ({"frontend": "fft"}, "frontend must be one of"),
        ({"pooling": "attention"}, "pooling must be one of"),
        ({"input_size": None, "vocab_size": 9}, "needs float features"),
        ({"series_norm": False, "raw_channel": True}, "raw_channel=True needs series_norm"),
        ({"frontend_norm": "layer"}, "frontend_norm must be one of"),
        ({"head_dropout": 1.0}, "head_dropout must be in"),
    ],
)
def test_config_refuses_front_ends_that_cannot_be_exact(changes, words):
    base = ModelConfig(
        kind="gru", task="classify", input_size=F_IN, num_classes=3, frontend="conv",
        pooling="mean-max", series_norm=True,
    ).to_dict()  # fmt: skip
    with pytest.raises(ConfigError, match=words):
        ModelConfig.from_dict({**base, **changes})


# -- the front end's batch norm over real steps --------------------------------------------------
def _norm_model() -> nn.Module:
    model = _model("classify", "gru", True, frontend_norm="batch")
    with torch.no_grad():  # away from the identity, so a wrong statistic cannot hide
        for norm in model.frontend.norms:
            norm.weight.uniform_(0.5, 1.5)
            norm.bias.uniform_(-0.5, 0.5)
    return model


def _stats(model: nn.Module) -> list[torch.Tensor]:
    return [t.clone() for n in model.frontend.norms for t in (n.running_mean, n.running_var)]


@pytest.mark.parametrize("padding", ["post", "pre"])
def test_training_step_is_batchnorm1d_over_the_real_steps(padding):
    torch.manual_seed(0)
    norm, ref = MaskedBatchNorm(4), nn.BatchNorm1d(4)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.uniform_(-1, 1)
    ref.load_state_dict(norm.state_dict())
    lengths, T = [9, 1, 4], 12
    mask = torch.zeros(3, T, 1)
    for b, n in enumerate(lengths):
        mask[b, :n] = 1.0 if padding == "post" else 0.0
        mask[b, T - n :] = 1.0 if padding == "pre" else mask[b, T - n :]
    real_at = mask[..., 0] == 1  # (B, T)
    x = 50.0 * torch.randn(3, T, 4)  # the padding holds large noise
    x[real_at] = 3.0 * torch.randn(sum(lengths), 4) + 2.0
    x.requires_grad_(True)
    x_ref = x.detach()[real_at].clone().requires_grad_(True)  # (N, C): the real steps alone
    w = torch.randn(x_ref.shape)

    y = norm(x, mask)
    (y[real_at] * w).sum().backward()
    y_ref = ref(x_ref)
    (y_ref * w).sum().backward()

    assert not y[~real_at].any()  # padded steps come out exactly zero
    torch.testing.assert_close(y[real_at], y_ref, atol=ATOL, rtol=0)
    assert x.grad is not None and x_ref.grad is not None
    torch.testing.assert_close(x.grad[real_at], x_ref.grad, atol=ATOL, rtol=0)
    assert not x.grad[~real_at].any()
    for name in ("weight", "bias"):
        torch.testing.assert_close(
            getattr(norm, name).grad, getattr(ref, name).grad, atol=ATOL, rtol=0
        )
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        torch.testing.assert_close(getattr(norm, name), getattr(ref, name), atol=ATOL, rtol=0)


def test_training_mode_model_is_unchanged_by_any_padding():
    results = []
    for pad_to in sorted(PAD_TO):
        for padding in ("post", "pre"):
            model = _norm_model().train()
            # The same rows every time (they are drawn first); the padding noise differs.
            x, _, lengths = _padded(LENGTHS, PAD_TO[pad_to], padding, seed=5)
            y = torch.tensor([0, 1, 2, 0, 1, 2])
            logits = model(x, lengths, padding=padding)
            loss = masked_loss("classify", logits, y)
            loss.backward()
            results.append((logits.detach(), loss.detach(), _grads(model), _stats(model)))
    ref_logits, ref_loss, ref_grads, ref_stats = results[0]
    assert len(ref_grads) == len(list(_norm_model().parameters()))  # every stage exercised
    for logits, loss, grads, stats in results[1:]:
        torch.testing.assert_close(logits, ref_logits, atol=ATOL, rtol=0)
        torch.testing.assert_close(loss, ref_loss, atol=ATOL, rtol=0)
        for name, g in grads.items():
            torch.testing.assert_close(g, ref_grads[name], atol=ATOL, rtol=0, msg=name)
        for a, b in zip(stats, ref_stats, strict=True):
            torch.testing.assert_close(a, b, atol=ATOL, rtol=0)


@pytest.mark.parametrize("padding", ["post", "pre"])
def test_evaluation_mode_row_equals_the_row_alone(padding):
    model = _norm_model()
    x, rows, lengths = _padded(LENGTHS, PAD_TO["global-max"], padding, seed=4)
    with torch.no_grad():
        model(x, lengths, padding=padding)  # one training step's statistics: not the defaults
    assert all(float(n.num_batches_tracked) == 1 for n in model.frontend.norms)
    model.eval()
    y = torch.tensor([2, 0, 1, 1, 0, 2])
    B = len(rows)
    model.zero_grad()
    logits = model(x, lengths, padding=padding)
    loss = masked_loss("classify", logits, y)
    loss.backward()
    grads = _grads(model)
    total_grads = {n: torch.zeros_like(v) for n, v in grads.items()}
    for b, row in enumerate(rows):
        model.zero_grad()
        alone = model(row.unsqueeze(0), torch.tensor([len(row)]))
        torch.testing.assert_close(logits[b], alone[0], atol=ATOL, rtol=0)
        (masked_loss("classify", alone, y[b : b + 1]) / B).backward()
        for name, v in _grads(model).items():
            total_grads[name] += v
    for name, v in grads.items():
        torch.testing.assert_close(v, total_grads[name], atol=ATOL, rtol=0, msg=name)
    assert all(float(n.num_batches_tracked) == 1 for n in model.frontend.norms)  # eval: frozen
