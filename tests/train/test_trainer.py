"""Trainer and evaluation in-process: batching never changes a metric; a full disk mid-run stops
with a one-line error and leaves the previous checkpoint loadable."""

from __future__ import annotations

import errno
import os

import numpy as np
import pytest
import torch

from seqbucket.data import load_dataset
from seqbucket.errors import CheckpointError
from seqbucket.models import build_model
from seqbucket.train import TrainConfig, evaluate_dataset, load_checkpoint, train
from seqbucket.train import checkpoint as ckpt
from seqbucket.train.standardize import Standardizer
from seqbucket.train.wiring import model_config


@pytest.fixture(scope="module")
def small():
    ds = load_dataset("japanese-vowels", split="train")
    return ds.subset(np.arange(0, len(ds), 4))


def test_evaluation_does_not_depend_on_the_batching(small):
    # Invariant: loss and accuracy are means over real positions, so every strategy agrees.
    torch.manual_seed(0)
    base = TrainConfig(hidden_size=8, bidirectional=True)
    model = build_model(model_config(base, small))
    scaler = Standardizer.fit(small[i].x for i in range(len(small)))
    results = [
        evaluate_dataset(
            model,
            small,
            base.replace(batching=b, batch_size=bs),
            device=torch.device("cpu"),
            standardizer=scaler,
        )
        for b, bs in (("per-sample", 1), ("pad-all", 64), ("random", 7), ("auto", 16))
    ]
    for r in results[1:]:
        assert r["loss"] == pytest.approx(results[0]["loss"], abs=1e-5)
        assert r["accuracy"] == results[0]["accuracy"]


@pytest.mark.slow
def test_full_disk_mid_run_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    config = TrainConfig(
        data="japanese-vowels",
        hidden_size=4,
        bidirectional=False,
        max_steps=12,
        epochs=None,
        checkpoint_every=2,
        out=str(tmp_path / "r"),
        quiet=True,
    )
    real_fsync = os.fsync
    calls = {"n": 0}

    def fsync_until_full(fd):
        calls["n"] += 1
        if calls["n"] > 3:  # the first checkpoints succeed, then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(ckpt.os, "fsync", fsync_until_full)
    with pytest.raises(CheckpointError) as info:
        train(config)
    monkeypatch.undo()
    assert "No space left on device" in str(info.value) and "\n" not in str(info.value)
    last = tmp_path / "r" / "checkpoints" / "last.pt"
    assert load_checkpoint(last)["global_step"] > 0
    assert not [p for p in last.parent.iterdir() if p.suffix == ".tmp"]


@pytest.mark.slow
def test_resume_keeps_the_schedule_length_when_epochs_change(tmp_path, monkeypatch, capsys):
    import signal

    from seqbucket.train import Trainer, read_metrics

    def config(out: str, epochs: int) -> TrainConfig:
        return TrainConfig(
            hidden_size=4, bidirectional=False, epochs=epochs, out=str(tmp_path / out), quiet=True
        )

    train(config("full", 3))
    # The same run, stopped (Ctrl-C) right after its first epoch, then resumed for 2 epochs
    # instead of 3: its second epoch must still follow the 3-epoch cosine curve.
    real_end = Trainer._end_epoch

    def end_then_interrupt(self, logger):
        record = real_end(self, logger)
        os.kill(os.getpid(), signal.SIGINT)  # the trainer's handler only sets its stop flag
        return record

    monkeypatch.setattr(Trainer, "_end_epoch", end_then_interrupt)
    assert train(config("cut", 3)).interrupted
    monkeypatch.undo()
    capsys.readouterr()
    train(config("cut", 2), resume=True)
    err = capsys.readouterr().err
    steps = load_checkpoint(tmp_path / "full" / "checkpoints" / "last.pt")["total_steps"]
    assert f"keeps its original length of {steps} steps" in err
    full = read_metrics(tmp_path / "full" / "metrics.jsonl")
    cut = read_metrics(tmp_path / "cut" / "metrics.jsonl")
    assert [r["epoch"] for r in cut] == [1, 2]
    for a, b in zip(full[:2], cut, strict=True):
        assert (a["train_loss"], a["lr"], a["val_loss"]) == (
            b["train_loss"],
            b["lr"],
            b["val_loss"],
        )
    # Past the original length a cosine run would only train at lr 0: refused, not wasted.
    with pytest.raises(CheckpointError, match="cosine learning-rate schedule of"):
        train(config("cut", 6), resume=True)
