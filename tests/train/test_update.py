"""One optimiser update: clipping against torch's own, and the fp16 scaler's skipped step."""

from __future__ import annotations

import torch

from seqbucket.train.update import apply_update


def _model_and_loss(seed: int = 0, scale: float = 100.0):
    torch.manual_seed(seed)
    model = torch.nn.Linear(4, 3)
    x = torch.randn(8, 4)
    loss = (model(x) * scale).pow(2).mean()
    return model, loss


def test_clipped_step_equals_torch_clip_then_adamw():
    ours, loss = _model_and_loss()
    opt = torch.optim.AdamW(ours.parameters(), lr=0.1)
    assert apply_update(loss, opt, list(ours.parameters()), grad_clip=0.5)

    ref, loss_ref = _model_and_loss()
    opt_ref = torch.optim.AdamW(ref.parameters(), lr=0.1)
    loss_ref.backward()
    norm = torch.nn.utils.clip_grad_norm_(ref.parameters(), 0.5)
    assert norm > 0.5  # the clip had work to do
    opt_ref.step()
    for a, b in zip(ours.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_no_clip_leaves_the_gradient_alone():
    model, loss = _model_and_loss()
    opt = torch.optim.SGD(model.parameters(), lr=0.0)  # lr 0: only the gradients are read
    apply_update(loss, opt, list(model.parameters()), grad_clip=None)
    total = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in model.parameters()]))
    assert total > 0.5


def test_backward_false_uses_the_gradients_already_set():
    model, loss = _model_and_loss()
    loss.backward()  # as a replayed CUDA graph would have
    grads = [p.grad.clone() for p in model.parameters()]
    before = [p.detach().clone() for p in model.parameters()]
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    apply_update(loss, opt, list(model.parameters()), grad_clip=None, backward=False)
    for p, g, w in zip(model.parameters(), grads, before, strict=True):
        torch.testing.assert_close(p.detach(), w - g)  # one step, not a second backward


def test_scaler_skips_a_step_with_an_inf_gradient_and_reports_it():
    model, _ = _model_and_loss()
    before = [p.detach().clone() for p in model.parameters()]
    opt = torch.optim.AdamW(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**4)
    bad = model(torch.full((2, 4), float("inf"))).sum()
    assert not apply_update(bad, opt, list(model.parameters()), grad_clip=1.0, scaler=scaler)
    for p, w in zip(model.parameters(), before, strict=True):
        assert torch.equal(p.detach(), w)
    model2, good = _model_and_loss()
    opt2 = torch.optim.AdamW(model2.parameters(), lr=0.1)
    scaler2 = torch.amp.GradScaler("cpu", init_scale=2.0**4)
    assert apply_update(good, opt2, list(model2.parameters()), grad_clip=1.0, scaler=scaler2)
