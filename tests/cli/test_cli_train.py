"""`seqbucket train / evaluate / predict / report` end to end, in subprocesses, as a user runs them.

The data are small `.ts` files made of every k-th example of the embedded JapaneseVowels, so
every class is present and a run takes a fraction of a second after start-up.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.slow

TINY = ["--hidden-size", "8", "--quiet"]


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "seqbucket.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _popen(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "seqbucket.cli.main", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _ts_subset(path: Path, split: str, every: int, keep=lambda label: True) -> list[str]:
    """Write every ``every``-th example of JapaneseVowels ``split`` whose label passes ``keep``
    to ``path``; return the labels written, in file order."""
    raw = resources.files("seqbucket").joinpath("datasets", f"JapaneseVowels_{split}.ts.gz")
    lines = gzip.decompress(raw.read_bytes()).decode().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().lower() == "@data") + 1
    data = [line for line in lines[start:] if line.strip()][::every]
    data = [line for line in data if keep(line.rsplit(":", 1)[1])]
    path.write_text("\n".join(lines[:start] + data) + "\n")
    return [line.rsplit(":", 1)[1].strip() for line in data]


def _one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip()
    assert "Traceback" not in err and err.count("\n") == 0, err
    assert err.startswith("seqbucket: error: ")
    for needle in needles:
        assert needle in err, err


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("data")
    train, test = root / "jv_train.ts", root / "jv_test.ts"
    _ts_subset(train, "TRAIN", 5)  # 54 examples, 6 per class
    test_labels = _ts_subset(test, "TEST", 10)  # 37 examples
    return {"root": root, "train": str(train), "test": str(test), "test_labels": test_labels}


@pytest.fixture(scope="module")
def trained(data) -> dict:
    run = data["root"] / "run"
    settings = data["root"] / "settings.toml"
    # A sectioned config file; the --hidden-size flag in TINY overrides its hidden_size.
    settings.write_text("[model]\nhidden_size = 6\n[optim]\nlr = 0.01\n")
    proc = _cli(
        "train",
        data["train"],
        "--config",
        str(settings),
        "--test",
        data["test"],
        "--epochs",
        "2",
        "--out",
        str(run),
        *TINY,
    )
    assert proc.returncode == 0, proc.stderr
    return {"run": run, "proc": proc}


def test_train_writes_the_run_and_prints_test_accuracy(trained):
    run, proc = trained["run"], trained["proc"]
    assert "test: accuracy" in proc.stdout and "(37 examples)" in proc.stdout
    config = (run / "config.toml").read_text()
    # The fully resolved config: defaults < file < flags.
    assert "hidden_size = 8" in config and "lr = 0.01" in config and 'strategy = "auto"' in config
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [0, 1]
    for key in (
        "step",
        "train_loss",
        "val_loss",
        "val_accuracy",
        "tokens_per_s",
        "lr",
        "padding_overhead",
        "distinct_shapes",
        "peak_memory_mb",
        "seconds",
    ):
        assert records[-1][key] is not None, key
    assert (run / "checkpoints" / "best.pt").is_file() and (
        run / "checkpoints" / "last.pt"
    ).is_file()
    # --quiet: one line per epoch on stderr, no progress bar.
    assert proc.stderr.count("epoch ") == 2


def test_evaluate_and_predict_agree_in_input_order(trained, data, tmp_path):
    proc = _cli("evaluate", str(trained["run"]), data["test"], "--json")
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads(proc.stdout)
    assert metrics["examples"] == 37
    out = tmp_path / "pred.jsonl"
    proc = _cli("predict", str(trained["run"]), data["test"], "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    preds = [json.loads(line) for line in out.read_text().splitlines()]
    # Invariant: one prediction per input example, in the input's order.
    assert [p["index"] for p in preds] == list(range(37))
    for p in preds:
        assert sum(p["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
        assert p["label"] == max(p["probabilities"], key=p["probabilities"].get)
    # Predictions scored against the file's labels in file order give evaluate's accuracy:
    # this fails if predict's order or labels were scrambled by the bucketed batching.
    hits = sum(p["label"] == y for p, y in zip(preds, data["test_labels"], strict=True))
    assert hits / 37 == pytest.approx(metrics["accuracy"])


def test_report_writes_pngs(trained):
    proc = _cli("report", str(trained["run"]))
    assert proc.returncode == 0, proc.stderr
    paths = [Path(p) for p in proc.stdout.split()]
    assert {p.name for p in paths} >= {"loss.png", "accuracy.png"}
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths)


def test_existing_run_is_not_overwritten(trained, data):
    proc = _cli("train", data["train"], "--out", str(trained["run"]), "--epochs", "1", *TINY)
    _one_line_error(proc, "already holds a run", "--force")


def _weights(path: Path) -> dict:
    return torch.load(path, weights_only=True)["model"]


def test_sigkill_mid_epoch_then_resume_gives_the_same_weights(data, tmp_path):
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
        *TINY,
    ]
    full, killed = tmp_path / "full", tmp_path / "killed"
    assert _cli(*args, "--out", str(full)).returncode == 0
    last = killed / "checkpoints" / "last.pt"
    proc = _popen(*args, "--out", str(killed))
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
    proc = _cli(*args, "--out", str(killed), "--resume")
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


def test_sigint_saves_a_checkpoint_and_exits_cleanly(data, tmp_path):
    run = tmp_path / "run"
    proc = _popen(
        "train",
        data["train"],
        "--max-steps",
        "100000",
        "--patience",
        "100000",
        "--out",
        str(run),
        *TINY,
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


def test_corrupt_checkpoint_is_an_error_not_a_restart(data, tmp_path):
    run = tmp_path / "run"
    assert _cli("train", data["train"], "--epochs", "1", "--out", str(run), *TINY).returncode == 0
    for name in ("last.pt", "best.pt"):
        path = run / "checkpoints" / name
        path.write_bytes(path.read_bytes()[:1000])
    proc = _cli("train", data["train"], "--epochs", "2", "--out", str(run), "--resume", *TINY)
    _one_line_error(proc, "last.pt", "corrupt or truncated")
    _one_line_error(_cli("evaluate", str(run), data["test"]), "best.pt", "corrupt or truncated")


def test_resume_with_another_model_size_is_refused(trained, data):
    proc = _cli(
        "train",
        data["train"],
        "--out",
        str(trained["run"]),
        "--resume",
        "--hidden-size",
        "16",
        "--quiet",
    )
    _one_line_error(proc, "hidden_size=8", "hidden_size=16")


@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_missing_run_directory(command, data, tmp_path):
    proc = _cli(command, str(tmp_path / "nope"), data["test"])
    _one_line_error(proc, "does not exist")


def test_wrong_task_for_the_data(data, tmp_path):
    proc = _cli("train", data["train"], "--task", "tag", "--out", str(tmp_path / "r"), *TINY)
    _one_line_error(proc, "'tag'", "'classify'")


def test_test_labels_unseen_in_training(data, tmp_path):
    train = tmp_path / "no9.ts"
    _ts_subset(train, "TRAIN", 5, keep=lambda label: label.strip() != "9")
    proc = _cli("train", str(train), "--test", data["test"], "--out", str(tmp_path / "r"), *TINY)
    _one_line_error(proc, "unseen", "9")


def test_empty_split(tmp_path):
    empty = tmp_path / "empty.ts"
    _ts_subset(empty, "TRAIN", 1, keep=lambda label: False)
    proc = _cli("train", str(empty), "--out", str(tmp_path / "r"), *TINY)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "empty.ts" in proc.stderr


def test_text_model_predicts_unlabelled_csv_and_jsonl_in_order(tmp_path):
    # Two made-up "languages" told apart by their letters; the test checks plumbing, not skill.
    rows = [("ab" * (1 + i % 4), "x") if i % 2 else ("cd" * (1 + i % 3), "y") for i in range(40)]
    train = tmp_path / "train.csv"
    train.write_text("text,label\n" + "".join(f"{t},{y}\n" for t, y in rows))
    run = tmp_path / "run"
    proc = _cli("train", str(train), "--epochs", "2", "--out", str(run), *TINY)
    assert proc.returncode == 0, proc.stderr
    texts = ["abab", "cd", "abababab", "cdcdcd", "ab"]
    csv_in = tmp_path / "in.csv"
    csv_in.write_text("text\n" + "".join(f"{t}\n" for t in texts))
    jsonl_in = tmp_path / "in.jsonl"
    jsonl_in.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    outputs = []
    for source in (csv_in, jsonl_in):
        proc = _cli("predict", str(run), str(source))
        assert proc.returncode == 0, proc.stderr
        preds = [json.loads(line) for line in proc.stdout.splitlines()]
        assert [p["index"] for p in preds] == list(range(len(texts)))
        assert all(p["label"] in ("x", "y") for p in preds)
        outputs.append(preds)
    # The same texts in two formats get the same predictions.
    assert outputs[0] == outputs[1]
