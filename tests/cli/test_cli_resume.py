"""`seqbucket train --resume` and interruptions, end to end in subprocesses: a SIGKILL mid-epoch
resumes to the same weights, SIGINT checkpoints and exits 130, and a corrupt checkpoint or a
resume with another model size is a one-line error."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.slow


def _weights(path: Path) -> dict:
    return torch.load(path, weights_only=True)["model"]


def test_sigkill_mid_epoch_then_resume_gives_the_same_weights(data, tmp_path, cli, cli_popen, tiny):
    # Dropout between two layers makes the result depend on the restored RNG state too.
    args = [
        "train",
        data["train"],
        "--max-steps",
        "60",
        "--batch-size",
        "8",
        "--num-layers",
        "2",
        "--dropout",
        "0.3",
        "--checkpoint-every",
        "1",
        "--val-fraction",
        "0.3",
        *tiny,
    ]
    full, killed = tmp_path / "full", tmp_path / "killed"
    assert cli(*args, "--out", str(full)).returncode == 0
    last = killed / "checkpoints" / "last.pt"
    proc = cli_popen(*args, "--out", str(killed))
    state = None
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        if last.is_file():
            # Freeze the process, look at what it saved, kill it for real once that is a
            # mid-epoch checkpoint (an epoch-end one would not test the sampler position).
            proc.send_signal(signal.SIGSTOP)
            state = torch.load(last, weights_only=True)
            if state["step_in_epoch"] > 0:
                os.kill(proc.pid, signal.SIGKILL)
                break
            proc.send_signal(signal.SIGCONT)
        time.sleep(0.005)
    proc.communicate(timeout=30)  # reaps it and closes the pipes
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert state is not None and 0 < state["global_step"] < 60
    proc = cli(*args, "--out", str(killed), "--resume")
    assert proc.returncode == 0, proc.stderr
    a, b = _weights(full / "checkpoints" / "last.pt"), _weights(last)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    losses = [
        json.loads(x)["train_loss"] for x in (full / "metrics.jsonl").read_text().splitlines()
    ]
    again = [
        json.loads(x)["train_loss"] for x in (killed / "metrics.jsonl").read_text().splitlines()
    ]
    assert losses == again


def test_sigint_saves_a_checkpoint_and_exits_cleanly(data, tmp_path, cli_popen, tiny):
    run = tmp_path / "run"
    proc = cli_popen(
        "train",
        data["train"],
        "--max-steps",
        "100000",
        "--patience",
        "100000",
        "--out",
        str(run),
        *tiny,
    )
    metrics = run / "metrics.jsonl"
    deadline = time.monotonic() + 90
    while not metrics.is_file() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted" in err and "--resume" in err
    state = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    assert state["global_step"] > 0 and state["stop_reason"] == ""


def test_corrupt_checkpoint_is_an_error_not_a_restart(data, tmp_path, cli, one_line_error, tiny):
    run = tmp_path / "run"
    assert cli("train", data["train"], "--epochs", "1", "--out", str(run), *tiny).returncode == 0
    for name in ("last.pt", "best.pt"):
        path = run / "checkpoints" / name
        path.write_bytes(path.read_bytes()[:1000])
    proc = cli("train", data["train"], "--epochs", "2", "--out", str(run), "--resume", *tiny)
    one_line_error(proc, "last.pt", "corrupt or truncated")
    one_line_error(cli("evaluate", str(run), data["test"]), "best.pt", "corrupt or truncated")


def test_resume_with_another_model_size_is_refused(trained, data, cli, one_line_error):
    proc = cli(
        "train",
        data["train"],
        "--out",
        str(trained["run"]),
        "--resume",
        "--hidden-size",
        "16",
        "--quiet",
    )
    one_line_error(proc, "hidden_size=8", "hidden_size=16")
