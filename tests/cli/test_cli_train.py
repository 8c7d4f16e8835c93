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
    assert [r["epoch"] for r in records] == [1, 2]  # 1-based, as the console prints them
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
    # A .ts file of feature series is not text: one clear line, not the reader's internals.
    series = tmp_path / "series.ts"
    _write_ts(series, [[[0.5, 1.0, 1.5]]], ["x"])
    proc = _cli("predict", str(run), str(series))
    _one_line_error(proc, "expected text (token ids) as the model in", "series.ts")


def _write_ts(path: Path, series: list[list[list[float]]], labels: list[str]) -> None:
    """A .ts file of ``series`` (each ``F`` channels of ``T`` values) with ``labels``."""
    dims = len(series[0])
    header = [
        "@problemName synthetic",
        "@timeStamps false",
        "@missing false",
        f"@univariate {'true' if dims == 1 else 'false'}",
        f"@dimensions {dims}",
        "@equalLength false",
        f"@classLabel true {' '.join(sorted(set(labels)))}",
        "@data",
    ]
    rows = [
        ":".join(",".join(f"{v:g}" for v in channel) for channel in s) + f":{y}"
        for s, y in zip(series, labels, strict=True)
    ]
    path.write_text("\n".join(header + rows) + "\n")


def test_inputs_of_another_width_or_kind_are_one_line_errors(trained, data, tmp_path):
    # A 12-channel model given 2 channels per step: refused before any tensor is built (the
    # standardiser used to fail first with a long RuntimeError).
    two = tmp_path / "two.ts"
    _write_ts(two, [[[0.1 * t for t in range(8)], [1.0] * 8] for _ in range(3)], ["1", "2", "1"])
    for command in ("predict", "evaluate"):
        proc = _cli(command, str(trained["run"]), str(two))
        _one_line_error(
            proc,
            "expected 12 channels per step as the model in",
            f"got 2 in {two}",
        )
    # ... or text.
    text = tmp_path / "text.csv"
    text.write_text("text,label\nabc,x\nabd,y\n")
    proc = _cli("predict", str(trained["run"]), str(text))
    _one_line_error(proc, "expected 12 channels per step", f"got text (token ids) in {text}")


def test_evaluate_and_predict_fit_inputs_longer_than_the_training_batches(data, tmp_path):
    # Trained on sequences of at most 20 steps (longer ones dropped) in buckets up to 20 and a
    # 40-token budget; the test file has longer ones, which must still be scored and predicted.
    run = tmp_path / "run"
    proc = _cli(
        "train",
        data["train"],
        "--max-length",
        "20",
        "--overlong",
        "drop",
        "--batching",
        "buckets:10,15,20",
        "--max-tokens",
        "40",
        "--epochs",
        "1",
        "--out",
        str(run),
        *TINY,
    )
    assert proc.returncode == 0, proc.stderr
    assert 'overlong = "drop"' in (run / "config.toml").read_text()
    proc = _cli("predict", str(run), data["test"])
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 37


def test_text_reader_options_and_regression_csv(tmp_path):
    # Word tokens in a column named "sentence", a numeric target in "score": regression.
    words = ["red", "green", "blue", "big", "small"]
    rows = [(" ".join(words[(i + k) % 5] for k in range(1 + i % 4)), i % 4) for i in range(40)]
    train = tmp_path / "reg.csv"
    train.write_text("sentence,score\n" + "".join(f"{t},{y}\n" for t, y in rows))
    run = tmp_path / "run"
    args = ["--text-column", "sentence", "--label-column", "score", "--tokenizer", "word"]
    proc = _cli(
        "train", str(train), "--task", "regress", *args, "--epochs", "1", "--out", str(run), *TINY
    )
    assert proc.returncode == 0, proc.stderr
    assert "rmse" in proc.stdout
    config = (run / "config.toml").read_text()
    assert 'text_column = "sentence"' in config and 'tokenizer = "word"' in config
    # predict reads its input with the run's saved options: the "sentence" column, word tokens.
    inputs = tmp_path / "in.csv"
    inputs.write_text("sentence\nred green\nblue\n")
    proc = _cli("predict", str(run), str(inputs))
    assert proc.returncode == 0, proc.stderr
    preds = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [sorted(p) for p in preds] == [["index", "value"]] * 2


def test_force_with_a_typo_keeps_the_old_run(trained, data):
    run = trained["run"]
    before = (run / "checkpoints" / "best.pt").read_bytes()
    proc = _cli("train", data["train"], "--out", str(run), "--force", "--batching", "bucket:5")
    _one_line_error(proc, "bucket:5")
    proc = _cli("train", data["train"], "--out", str(run), "--force", "--task", "tag", *TINY)
    _one_line_error(proc, "'tag'")
    assert (run / "checkpoints" / "best.pt").read_bytes() == before
    assert (run / "config.toml").is_file() and (run / "metrics.jsonl").is_file()


def test_config_file_names_the_data_and_no_validation_split(data, tmp_path):
    settings = tmp_path / "cfg.toml"
    settings.write_text(f'[data]\ndata = "{data["train"]}"\nval_fraction = 0.0\n')
    proc = _cli("train", "--config", str(settings), "--epochs", "1", "--out", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    assert "no validation split" in proc.stdout and "best validation" not in proc.stdout
    assert "trained 1 epoch (" in proc.stdout


def test_report_refuses_a_file_and_a_truncated_metrics_line(trained, tmp_path):
    run = tmp_path / "copy"
    run.mkdir()
    (run / "config.toml").write_text((trained["run"] / "config.toml").read_text())
    lines = (trained["run"] / "metrics.jsonl").read_text().splitlines()
    (run / "metrics.jsonl").write_text(lines[0] + "\n" + lines[1][:30] + "\n")
    _one_line_error(_cli("report", str(run)), f"{run / 'metrics.jsonl'}, line 2")
    config = trained["run"] / "config.toml"
    _one_line_error(_cli("report", str(config)), "expected a run directory, got a file")


def test_predict_output_directory_and_missing_best_checkpoint(trained, data, tmp_path):
    proc = _cli("predict", str(trained["run"]), data["test"], "--output", str(tmp_path))
    _one_line_error(proc, "expected an output file path, got a directory")
    run = tmp_path / "no_best"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.toml").write_text((trained["run"] / "config.toml").read_text())
    last = (trained["run"] / "checkpoints" / "last.pt").read_bytes()
    (run / "checkpoints" / "last.pt").write_bytes(last)
    proc = _cli("evaluate", str(run), data["test"])
    assert proc.returncode == 0, proc.stderr
    assert "no best.pt" in proc.stderr and "using last.pt" in proc.stderr


_LIMITED_TRAIN = """
import resource, signal, sys
from seqbucket.cli.main import main
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # over the limit: the write fails with EFBIG
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize(
    ("limit", "needle"),
    [
        (20_000, "could not write checkpoint"),  # config and metrics fit; a checkpoint does not
        (100, "File too large"),  # not even config.toml fits
    ],
)
def test_a_real_failing_write_is_one_line(limit, needle, data, tmp_path):
    # A real write failure from the kernel (file size limit), not a mock: torch's zip writer
    # used to turn it into a RuntimeError traceback.
    run = tmp_path / "r"
    args = ["train", data["train"], "--epochs", "1", "--out", str(run), "--quiet"]
    proc = subprocess.run(
        [sys.executable, "-c", _LIMITED_TRAIN, str(limit), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    last_line = proc.stderr.strip().splitlines()[-1]
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert last_line.startswith("seqbucket: error: ") and needle in last_line, proc.stderr
