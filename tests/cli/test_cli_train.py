"""`seqbucket train / evaluate / predict / report` happy paths and configuration, end to end in
subprocesses, as a user runs them.

The data are small `.ts` files made of every k-th example of the embedded JapaneseVowels, so
every class is present and a run takes a fraction of a second after start-up (fixtures in
conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_train_writes_the_run_and_prints_test_accuracy(trained):
    run, proc = trained["run"], trained["proc"]
    assert "test: accuracy" in proc.stdout and "(37 examples)" in proc.stdout
    config = (run / "config.toml").read_text()
    # The fully resolved config: defaults < file < flags.
    assert "hidden_size = 8" in config and "lr = 0.01" in config and 'strategy = "auto"' in config
    assert "randomness = 0.89" in config  # auto's knob is saved with the run, default or not
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


def test_evaluate_and_predict_agree_in_input_order(trained, data, tmp_path, cli):
    proc = cli("evaluate", str(trained["run"]), data["test"], "--json")
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads(proc.stdout)
    assert metrics["examples"] == 37
    out = tmp_path / "pred.jsonl"
    proc = cli("predict", str(trained["run"]), data["test"], "--output", str(out))
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


def test_report_writes_pngs(trained, cli):
    proc = cli("report", str(trained["run"]))
    assert proc.returncode == 0, proc.stderr
    paths = [Path(p) for p in proc.stdout.split()]
    # confusion.png: the test split's confusion matrix from result.json
    assert {p.name for p in paths} >= {"loss.png", "accuracy.png", "confusion.png"}
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths)


def test_text_model_predicts_unlabelled_csv_and_jsonl_in_order(
    tmp_path, cli, one_line_error, write_series_ts, tiny
):
    # Two made-up "languages" told apart by their letters; the test checks plumbing, not skill.
    rows = [("ab" * (1 + i % 4), "x") if i % 2 else ("cd" * (1 + i % 3), "y") for i in range(40)]
    train = tmp_path / "train.csv"
    train.write_text("text,label\n" + "".join(f"{t},{y}\n" for t, y in rows))
    run = tmp_path / "run"
    proc = cli("train", str(train), "--epochs", "2", "--out", str(run), *tiny)
    assert proc.returncode == 0, proc.stderr
    texts = ["abab", "cd", "abababab", "cdcdcd", "ab"]
    csv_in = tmp_path / "in.csv"
    csv_in.write_text("text\n" + "".join(f"{t}\n" for t in texts))
    jsonl_in = tmp_path / "in.jsonl"
    jsonl_in.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    outputs = []
    for source in (csv_in, jsonl_in):
        proc = cli("predict", str(run), str(source))
        assert proc.returncode == 0, proc.stderr
        preds = [json.loads(line) for line in proc.stdout.splitlines()]
        assert [p["index"] for p in preds] == list(range(len(texts)))
        assert all(p["label"] in ("x", "y") for p in preds)
        outputs.append(preds)
    # The same texts in two formats get the same predictions.
    assert outputs[0] == outputs[1]
    # A .ts file of feature series is not text: one clear line, not the reader's internals.
    series = tmp_path / "series.ts"
    write_series_ts(series, [[[0.5, 1.0, 1.5]]], ["x"])
    proc = cli("predict", str(run), str(series))
    one_line_error(proc, "expected text (token ids) as the model in", "series.ts")


def test_evaluate_and_predict_fit_inputs_longer_than_the_training_batches(
    data, tmp_path, cli, tiny
):
    # Trained on sequences of at most 20 steps (longer ones dropped) in buckets up to 20 and a
    # 40-token budget; the test file has longer ones, which must still be scored and predicted.
    run = tmp_path / "run"
    proc = cli(
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
        *tiny,
    )
    assert proc.returncode == 0, proc.stderr
    assert 'overlong = "drop"' in (run / "config.toml").read_text()
    proc = cli("predict", str(run), data["test"])
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 37


def test_text_reader_options_and_regression_csv(tmp_path, cli, tiny):
    # Word tokens in a column named "sentence", a numeric target in "score": regression.
    words = ["red", "green", "blue", "big", "small"]
    rows = [(" ".join(words[(i + k) % 5] for k in range(1 + i % 4)), i % 4) for i in range(40)]
    train = tmp_path / "reg.csv"
    train.write_text("sentence,score\n" + "".join(f"{t},{y}\n" for t, y in rows))
    run = tmp_path / "run"
    args = ["--text-column", "sentence", "--label-column", "score", "--tokenizer", "word"]
    proc = cli(
        "train", str(train), "--task", "regress", *args, "--epochs", "1", "--out", str(run), *tiny
    )
    assert proc.returncode == 0, proc.stderr
    assert "rmse" in proc.stdout
    config = (run / "config.toml").read_text()
    assert 'text_column = "sentence"' in config and 'tokenizer = "word"' in config
    # predict reads its input with the run's saved options: the "sentence" column, word tokens.
    inputs = tmp_path / "in.csv"
    inputs.write_text("sentence\nred green\nblue\n")
    proc = cli("predict", str(run), str(inputs))
    assert proc.returncode == 0, proc.stderr
    preds = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [sorted(p) for p in preds] == [["index", "value"]] * 2


def test_config_file_names_the_data_and_no_validation_split(data, tmp_path, cli):
    settings = tmp_path / "cfg.toml"
    settings.write_text(
        f'[data]\ndata = "{data["train"]}"\nval_fraction = 0.0\n[batching]\nrandomness = 0.7\n'
    )
    proc = cli("train", "--config", str(settings), "--epochs", "1", "--out", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    assert "randomness = 0.7" in (tmp_path / "r" / "config.toml").read_text()
    assert "no validation split" in proc.stdout and "best validation" not in proc.stdout
    assert "trained 1 epoch (" in proc.stdout
