"""``ema_decay``: the moving average of the weights against one computed by hand from every step's
weights, what validation and ``best.pt`` read, and exact resume with the average in ``last.pt``."""

from __future__ import annotations

import pytest
import torch
from torch.optim.optimizer import register_optimizer_step_post_hook

from seqbucket.errors import CheckpointError, ConfigError
from seqbucket.train import TrainConfig, load_checkpoint, train
from seqbucket.train.metrics import read_metrics


def _config(tmp_path, out: str, **changes) -> TrainConfig:
    base = TrainConfig(
        hidden_size=8,
        bidirectional=False,
        epochs=2,
        out=str(tmp_path / out),
        quiet=True,
        val_fraction=0.0,  # no validation: the last epoch is best.pt
    )
    return base.replace(**changes)


def _weights(path) -> dict[str, torch.Tensor]:
    return load_checkpoint(path)["model"]


@pytest.mark.slow
def test_best_pt_holds_the_moving_average_of_every_steps_weights(tmp_path):
    decay = 0.7
    snapshots: list[list[torch.Tensor]] = []

    def after_step(optimizer, args, kwargs):
        snapshots.append([p.detach().clone() for g in optimizer.param_groups for p in g["params"]])

    handle = register_optimizer_step_post_hook(after_step)
    try:
        train(_config(tmp_path, "ema", ema_decay=decay))
    finally:
        handle.remove()
    # The reference: avg = w_1, then avg = decay * avg + (1 - decay) * w_k after step k.
    expected = snapshots[0]
    for weights in snapshots[1:]:
        expected = [decay * a + (1 - decay) * w for a, w in zip(expected, weights, strict=True)]
    best = _weights(tmp_path / "ema" / "checkpoints" / "best.pt")
    last = load_checkpoint(tmp_path / "ema" / "checkpoints" / "last.pt")
    assert list(best) == list(last["model"])  # the same model, other weights
    trained = list(last["model"].values())
    averaged = list(best.values())
    assert len(snapshots) > 20 and len(averaged) == len(expected)
    for got, want, raw, final in zip(averaged, expected, trained, snapshots[-1], strict=True):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
        assert torch.equal(raw, final)  # last.pt keeps the trained weights
    assert any(not torch.equal(a, r) for a, r in zip(averaged, trained, strict=True))


@pytest.mark.slow
def test_decay_zero_is_the_same_run_as_no_average(tmp_path):
    # With decay 0 the average is the last step's weights: validation and best.pt must agree
    # with a run without averaging, so the average is what validation reads, after the step.
    plain = train(_config(tmp_path, "plain", val_fraction=0.2))
    zero = train(_config(tmp_path, "zero", val_fraction=0.2, ema_decay=0.0))
    keys = ("val_loss", "val_accuracy", "best")
    a = read_metrics(tmp_path / "plain" / "metrics.jsonl")
    b = read_metrics(tmp_path / "zero" / "metrics.jsonl")
    assert [{k: r[k] for k in keys} for r in a] == [{k: r[k] for k in keys} for r in b]
    scored = ("loss", "accuracy")
    assert [plain.test[k] for k in scored] == [zero.test[k] for k in scored]
    x = _weights(tmp_path / "plain" / "checkpoints" / "best.pt")
    y = _weights(tmp_path / "zero" / "checkpoints" / "best.pt")
    for key in x:
        assert torch.equal(x[key], y[key]), key


@pytest.mark.slow
def test_resume_mid_epoch_continues_the_same_average(tmp_path):
    # A constant rate: the schedule's length is fixed by the first run's limits
    full = train(_config(tmp_path, "full", ema_decay=0.9, schedule="constant"))
    per_epoch = full.steps // 2
    cut = _config(tmp_path, "cut", ema_decay=0.9, schedule="constant")
    train(cut.replace(max_steps=per_epoch + 3))
    train(cut, resume=True)
    for name in ("best.pt", "last.pt"):
        a = _weights(tmp_path / "full" / "checkpoints" / name)
        b = _weights(tmp_path / "cut" / "checkpoints" / name)
        for key in a:
            assert torch.equal(a[key], b[key]), (name, key)
    # The average is locked on resume: another decay would not continue the same run.
    with pytest.raises(CheckpointError, match=r"trained with ema_decay=0\.9, got ema_decay=0\.5"):
        train(cut.replace(ema_decay=0.5, epochs=3), resume=True)


@pytest.mark.parametrize("bad", [1.0, -0.1, 1.5])
def test_a_decay_outside_zero_to_one_is_refused(bad):
    with pytest.raises(ConfigError, match=rf"^expected ema_decay in \[0, 1\) or none, got {bad}"):
        TrainConfig(ema_decay=bad)
