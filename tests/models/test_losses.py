"""masked_loss: the mean over real positions, identical whatever the batch was padded to."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from seqbucket._mask import lengths_to_mask
from seqbucket.errors import ConfigError, DataError
from seqbucket.models import ModelConfig, build_model, masked_loss


def test_tag_loss_is_the_mean_over_real_positions():
    logits = torch.randn(2, 4, 3)
    y = torch.tensor([[0, 1, 2, -100], [2, -100, -100, -100]])
    want = torch.stack(
        [F.cross_entropy(logits[0, t : t + 1], y[0, t : t + 1]) for t in range(3)]
        + [F.cross_entropy(logits[1, :1], y[1, :1])]
    ).mean()
    torch.testing.assert_close(masked_loss("tag", logits, y), want)


def test_classify_and_regress_losses():
    logits = torch.randn(4, 3)
    y = torch.tensor([0, 2, 1, 1])
    torch.testing.assert_close(masked_loss("classify", logits, y), F.cross_entropy(logits, y))
    pred, target = torch.randn(4), torch.randn(4)
    torch.testing.assert_close(masked_loss("regress", pred, target), ((pred - target) ** 2).mean())


@pytest.mark.parametrize(
    ("task", "kind", "bidirectional", "padding"),
    [
        ("classify", "lstm", True, "post"),
        ("classify", "gru", False, "pre"),
        ("tag", "lstm", True, "pre"),
        ("tag", "rnn", False, "post"),
        ("lm", "gru", False, "pre"),
        ("regress", "lstm", True, "post"),
        ("classify", "unshared", True, "pre"),
    ],
)
def test_loss_and_gradients_do_not_depend_on_the_padded_length(task, kind, bidirectional, padding):
    # Invariant: padding to the batch maximum (6), a bucket boundary (10) or the global maximum
    # (16) gives the same loss and the same gradients.
    torch.manual_seed(0)
    vocab = 9
    config = ModelConfig(
        kind=kind, task=task, hidden_size=8, bidirectional=bidirectional, num_layers=2,
        input_size=None if task == "lm" else 3, vocab_size=vocab if task == "lm" else None,
        embed_dim=4, num_classes=4, max_len=16,
    )  # fmt: skip
    model = build_model(config)
    lengths = torch.tensor([6, 2, 5, 1])
    g = torch.Generator().manual_seed(3)
    x_tight = (
        torch.randint(1, vocab, (4, 6), generator=g)
        if task == "lm"
        else torch.randn(4, 6, 3, generator=g)
    )
    y_steps = torch.randint(0, config.output_size, (4, 6), generator=g)
    y_seq = (
        torch.randint(0, 4, (4,), generator=g)
        if task == "classify"
        else torch.randn(4, generator=g)
    )

    def padded(t: torch.Tensor, total: int, fill: float) -> torch.Tensor:
        """Re-pad a post-padded-to-6 tensor to ``total`` steps on ``padding``'s side."""
        out = torch.full((t.shape[0], total, *t.shape[2:]), fill, dtype=t.dtype)
        for b, n in enumerate(lengths.tolist()):
            if padding == "post":
                out[b, :n] = t[b, :n]
            else:
                out[b, total - n :] = t[b, :n]
        return out

    results = []
    for total in (6, 10, 16):
        x = padded(x_tight, total, 0 if task == "lm" else 0.5)
        mask = lengths_to_mask(lengths, total, padding)
        y = (
            padded(y_steps, total, -100).masked_fill(~mask, -100)
            if task in ("tag", "lm")
            else y_seq
        )
        model.zero_grad()
        loss = masked_loss(task, model(x, lengths, padding=padding), y)
        loss.backward()
        results.append((loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters()}))
    for loss, grads in results[1:]:
        torch.testing.assert_close(loss, results[0][0], atol=1e-5, rtol=0)
        for name, v in grads.items():
            torch.testing.assert_close(v, results[0][1][name], atol=1e-5, rtol=0, msg=name)


@pytest.mark.parametrize(
    ("task", "logits", "y"),
    [
        ("classify", torch.randn(3, 2), torch.zeros(4, dtype=torch.long)),
        ("tag", torch.randn(3, 5, 2), torch.zeros(3, 4, dtype=torch.long)),
        ("regress", torch.randn(3, 1), torch.zeros(3)),
    ],
)
def test_shape_mismatch_is_a_data_error(task, logits, y):
    with pytest.raises(DataError, match=r"masked_loss\('.*'\): expected .* got logits"):
        masked_loss(task, logits, y)


def test_unknown_task_and_empty_targets():
    with pytest.raises(ConfigError, match="task must be one of"):
        masked_loss("rank", torch.randn(2, 2), torch.zeros(2, dtype=torch.long))
    with pytest.raises(DataError, match="every target"):
        masked_loss("tag", torch.randn(1, 2, 3), torch.full((1, 2), -100))
