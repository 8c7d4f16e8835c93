"""Metrics JSONL (append, resume truncation, torn last line) and PNG report plots."""

from __future__ import annotations

import json

import pytest
import torch

from seqbucket.errors import CheckpointError
from seqbucket.train.metrics import MetricsLogger, peak_memory_mb, read_metrics
from seqbucket.train.report import write_report


def _record(epoch: int) -> dict:
    return {
        "epoch": epoch,
        "step": 10 * (epoch + 1),
        "train_loss": 1.0 / (epoch + 1),
        "val_loss": 1.2 / (epoch + 1),
        "val_accuracy": 0.5 + 0.1 * epoch,
        "lr": 1e-3,
        "tokens_per_s": 1000.0,
        "padding_overhead": 0.05,
        "distinct_shapes": 3,
        "peak_memory_mb": 100.0,
        "seconds": 0.5,
        "best": True,
    }


def test_log_append_and_resume_truncation(tmp_path):
    path = tmp_path / "metrics.jsonl"
    logger = MetricsLogger(path)
    for e in range(3):
        logger.log(_record(e))
    logger.log({**_record(3), "val_loss": float("nan")})
    assert [r["epoch"] for r in read_metrics(path)] == [0, 1, 2, 3]
    assert read_metrics(path)[3]["val_loss"] is None  # JSON has no NaN
    # A resumed run that restarts epoch 2 drops the records of epochs >= 2.
    MetricsLogger(path, keep_before_epoch=2)
    assert [r["epoch"] for r in read_metrics(path)] == [0, 1]


def test_torn_last_line_is_skipped(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text(json.dumps(_record(0)) + "\n" + '{"epoch": 1, "ste')
    assert len(read_metrics(path)) == 1


def test_peak_memory_is_positive_on_cpu():
    assert peak_memory_mb(torch.device("cpu")) > 1.0


def test_report_writes_pngs(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.toml").write_text("")
    logger = MetricsLogger(run / "metrics.jsonl")
    for e in range(4):
        logger.log(_record(e))
    paths = write_report(run)
    names = sorted(p.name for p in paths)
    assert names == ["accuracy.png", "loss.png", "lr.png", "padding.png", "throughput.png"]
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_on_a_missing_run_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        write_report(tmp_path / "nope")


def test_tensorboard_mirror(tmp_path):
    pytest.importorskip("tensorboard")
    logger = MetricsLogger(tmp_path / "metrics.jsonl", tensorboard_dir=tmp_path / "tb")
    logger.log(_record(0))
    logger.close()
    assert any(p.name.startswith("events.out.tfevents") for p in (tmp_path / "tb").iterdir())
