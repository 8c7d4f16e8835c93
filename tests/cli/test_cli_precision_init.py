"""`seqbucket train --device/--precision` and `--init-from`, end to end in a subprocess. (The
refusals are tested in process: fp16 on a CPU in tests/train/test_precision.py, a different
model in tests/cli/test_python_api.py, resuming past a cosine schedule in test_trainer.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from seqbucket.train import TrainConfig


def test_bf16_trains_and_scores_on_cpu(data, cli, tiny, tmp_path):
    run = tmp_path / "bf16"
    proc = cli(
        "train", data["train"], "--test", data["test"], "--epochs", "2", "--out", str(run),
        "--device", "cpu", "--precision", "bf16", *tiny,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "| cpu bf16" in proc.stderr  # the header says what produced the numbers
    config = TrainConfig.from_toml(run / "config.toml")
    assert (config.precision, config.device) == ("bf16", "cpu")
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert len(records) == 2 and all(r["train_loss"] > 0 for r in records)
    test = json.loads((run / "result.json").read_text())["test"]
    assert test["examples"] == 37 and 0.0 <= test["accuracy"] <= 1.0


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return torch.load(run / "checkpoints" / "best.pt", weights_only=True)["model"]


def test_init_from_starts_at_the_other_runs_best_weights(trained, data, cli, tiny, tmp_path):
    source = trained["run"]
    # A learning rate of 1e-9 barely moves the weights, so the new run's best weights are the
    # source's to 1e-6: fresh random weights (or another run's) would differ by far more.
    run = tmp_path / "tuned"
    proc = cli(
        "train", data["train"], "--init-from", str(source), "--config",
        str(data["root"] / "settings.toml"), "--lr", "1e-9", "--epochs", "1", "--out", str(run),
        *tiny,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"initialised from {source / 'checkpoints' / 'best.pt'}" in proc.stderr
    theirs, ours = _weights(source), _weights(run)
    assert theirs.keys() == ours.keys()
    for name in theirs:
        torch.testing.assert_close(ours[name], theirs[name], atol=1e-6, rtol=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.cuda
@pytest.mark.parametrize("precision", ["fp32", "bf16", "fp16"])
def test_cuda_training_end_to_end(data, cli, tiny, tmp_path, precision):
    run = tmp_path / precision
    proc = cli(
        "train", data["train"], "--test", data["test"], "--epochs", "2", "--out", str(run),
        "--device", "cuda", "--precision", precision, *tiny,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"| cuda{'' if precision == 'fp32' else ' ' + precision}" in proc.stderr
    test = json.loads((run / "result.json").read_text())["test"]
    assert test["examples"] == 37
    proc = cli("evaluate", str(run), data["test"])
    assert proc.returncode == 0, proc.stderr
