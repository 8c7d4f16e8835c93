"""Trainer and evaluation in-process: batching never changes a metric; a full disk mid-run stops
with a one-line error and leaves the previous checkpoint loadable; a max_steps stop mid-epoch
resumes to the weights of an uninterrupted run; train and evaluate print the same test score."""

from __future__ import annotations

import errno
import os

import numpy as np
import pytest
import torch

from seqbucket.data import load_dataset
from seqbucket.errors import CheckpointError
from seqbucket.models import build_model
from seqbucket.train import (
    TrainConfig,
    artifacts,
    evaluate,
    evaluate_dataset,
    load_checkpoint,
    train,
)
from seqbucket.train import checkpoint as ckpt
from seqbucket.train.artifacts import DataMeta
from seqbucket.train.metrics import read_metrics
from seqbucket.train.rundir import RunDir
from seqbucket.train.standardize import Standardizer
from seqbucket.train.trainer import Trainer
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

    def end_then_interrupt(self, logger, **kwargs):
        record = real_end(self, logger, **kwargs)
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
    # It says how to get more epochs instead (README: extending a finished cosine run).
    with pytest.raises(CheckpointError, match=r"cosine learning-rate schedule of .*--init-from"):
        train(config("cut", 6), resume=True)


def _trainer(small, path) -> Trainer:
    config = TrainConfig(hidden_size=4, bidirectional=False, quiet=True, out=str(path))
    mcfg = model_config(config, small)
    meta = DataMeta(small.task, small.label_names, None, None, np.zeros(0, dtype=np.int64))
    cpu = torch.device("cpu")
    return Trainer(config, build_model(mcfg), mcfg, small, None, meta, RunDir(path), device=cpu)


def test_the_first_epoch_is_planned_once(small, tmp_path, monkeypatch):
    import seqbucket.batching.sampler as sampler_module
    import seqbucket.train.trainer as trainer_module

    calls = []

    def counting(real):
        def plan(*args, **kwargs):
            calls.append(kwargs.get("epoch"))
            return real(*args, **kwargs)

        return plan

    monkeypatch.setattr(sampler_module, "plan", counting(sampler_module.plan))
    if hasattr(trainer_module, "plan"):  # the trainer must not plan on its own
        monkeypatch.setattr(trainer_module, "plan", counting(trainer_module.plan))
    trainer = _trainer(small, tmp_path / "r")
    trainer.sampler.set_epoch(0)  # what the first epoch does
    assert trainer.steps_per_epoch == len(trainer.sampler) > 0
    assert calls == [0]


def test_loading_a_checkpoint_fills_the_model_in_place(small, tmp_path, monkeypatch):
    trainer = _trainer(small, tmp_path / "r")
    state = trainer.state_dict()
    torch.manual_seed(1)
    other = _trainer(small, tmp_path / "r")
    # Loading must not build a second model just to copy its weights.
    monkeypatch.setattr(artifacts, "build_model", lambda *a, **k: pytest.fail("built a model"))
    other.load_state_dict(state, "run/last.pt")
    for key, value in trainer.model.state_dict().items():
        assert torch.equal(other.model.state_dict()[key], value), key
    del state["model"][next(iter(state["model"]))]
    with pytest.raises(CheckpointError, match=r"^checkpoint run/last.pt does not fit its model"):
        other.load_state_dict(state, "run/last.pt")


def test_lost_cuda_random_states_are_a_note_on_resume(small, tmp_path):
    trainer = _trainer(small, tmp_path / "r")
    state = trainer.state_dict()
    here = torch.cuda.device_count() if torch.cuda.is_available() else 0
    state["rng"]["cuda"] = [torch.get_rng_state()] * (here + 1)  # another machine's devices
    trainer.load_state_dict(state, "last.pt")
    assert [n for n in trainer.notes if "CUDA random states" in n and "not restored" in n]


@pytest.mark.slow
def test_max_steps_mid_epoch_then_resume_matches_an_uninterrupted_run(tmp_path):
    def config(out: str, max_steps: int | None) -> TrainConfig:
        return TrainConfig(
            hidden_size=8,
            bidirectional=False,
            schedule="constant",
            epochs=2,
            max_steps=max_steps,
            out=str(tmp_path / out),
            quiet=True,
        )

    train(config("full", None))
    full = read_metrics(tmp_path / "full" / "metrics.jsonl")
    per_epoch = full[0]["step"]
    stop = per_epoch + per_epoch // 2  # halfway through the second epoch
    assert train(config("cut", stop)).stop_reason == "max_steps"
    last = tmp_path / "cut" / "checkpoints" / "last.pt"
    saved = load_checkpoint(last)
    assert (saved["epoch"], saved["step_in_epoch"]) == (1, stop - per_epoch)
    partial = read_metrics(tmp_path / "cut" / "metrics.jsonl")
    assert [(r["epoch"], r.get("partial", False)) for r in partial] == [(1, False), (2, True)]
    assert partial[-1]["step"] == stop

    train(config("cut", None), resume=True)
    a = load_checkpoint(tmp_path / "full" / "checkpoints" / "last.pt")["model"]
    b = load_checkpoint(last)["model"]
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    # The partial record is replaced by the whole epoch's: the curves are the same.
    cut = read_metrics(tmp_path / "cut" / "metrics.jsonl")
    same = ("epoch", "step", "train_loss", "val_loss", "val_accuracy", "lr", "best")
    assert [{k: r.get(k) for k in (*same, "partial")} for r in cut] == [
        {k: r.get(k) for k in (*same, "partial")} for r in full
    ]


@pytest.mark.slow
def test_train_and_evaluate_print_the_same_test_score(tmp_path, monkeypatch):
    import contextlib
    import importlib

    # Not `import seqbucket.train.evaluate`: the package re-exports a function of that name.
    ev = importlib.import_module("seqbucket.train.evaluate")

    # Both scores must come from one path: the checkpoint's config and standardiser, with
    # denormals flushed. Spy on that path and record what each test-set scoring ran with.
    flushing = []
    real_flush, real_evaluate = ev.flush_denormals, ev.evaluate_dataset

    @contextlib.contextmanager
    def flush():
        with real_flush():
            flushing.append(True)
            yield
            flushing.pop()

    scored = []

    def spy(model, ds, config, **kwargs):
        metrics = real_evaluate(model, ds, config, **kwargs)
        if ds.name.endswith("-test"):  # the test split, not the validation part of train
            scaler = kwargs["standardizer"]
            stats = (scaler.mean.tolist(), scaler.std.tolist())
            scored.append((bool(flushing), config, stats, metrics["loss"], metrics["accuracy"]))
        return metrics

    monkeypatch.setattr(ev, "flush_denormals", flush)
    monkeypatch.setattr(ev, "evaluate_dataset", spy)
    out = tmp_path / "r"
    config = TrainConfig(hidden_size=4, epochs=None, max_steps=6, out=str(out), quiet=True)
    result = train(config)
    assert result.test is not None
    again = evaluate(out, "japanese-vowels", "test")
    assert (again["loss"], again["accuracy"]) == (result.test["loss"], result.test["accuracy"])
    assert len(scored) == 2 and scored[0] == scored[1] and scored[0][0]


def test_checkpoints_from_before_the_front_end_still_resume(small, tmp_path):
    # A checkpoint written before frontend/pooling/series_norm existed lacks those keys; it was
    # a plain recurrent model, which is what they resolve to now for short series.
    config = TrainConfig(hidden_size=4, quiet=True, out=str(tmp_path)).resolved_for(
        "classify", median_length=15
    )
    mcfg = model_config(config, small)
    meta = DataMeta(small.task, small.label_names, None, None, np.zeros(0, dtype=np.int64))
    trainer = Trainer(
        config, build_model(mcfg), mcfg, small, None, meta, RunDir(tmp_path),
        device=torch.device("cpu"),
    )  # fmt: skip
    state = trainer.state_dict()
    new = ("frontend", "pooling", "series_norm", "frontend_channels", "frontend_layers")
    for key in (*new, "frontend_kernel", "frontend_stride"):
        del state["config"][key], state["model_config"][key]
    trainer.load_state_dict(state, "old.pt")  # no CheckpointError
    state["config"]["series_norm"] = True  # a real change of model is still refused
    with pytest.raises(CheckpointError, match="series_norm"):
        trainer.load_state_dict(state, "old.pt")
