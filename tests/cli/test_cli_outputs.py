"""Classification output (per-class table, confusion matrix, CSV/JSONL predictions with ids and
inputs) and language models (perplexity, `generate`), end to end in a subprocess."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest


def test_evaluate_prints_per_class_metrics_and_the_confusion_matrix(trained, data, cli):
    run = trained["run"]
    proc = cli("evaluate", str(run), data["test"])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert ": accuracy " in lines[0]  # the one-line summary, then the table
    top = next(k for k, line in enumerate(lines) if line.split()[:2] == ["#", "class"])
    rows = [line.split() for line in lines[top + 1 : top + 10]]  # one row per speaker
    assert [r[1] for r in rows] == [str(c) for c in range(1, 10)]
    # Supports are the true class counts of the file.
    assert [int(r[-1]) for r in rows] == [data["test_labels"].count(r[1]) for r in rows]
    start = lines.index("confusion matrix (rows: true class #, columns: predicted class #)")
    printed = [[int(v) for v in line.split()[1:]] for line in lines[start + 2 : start + 11]]
    # train saved the same scoring in result.json (the API test checks evaluate's dict too).
    saved = json.loads((run / "result.json").read_text())["test"]
    assert printed == saved["confusion"]
    # Invariants: every test example once in the matrix; its diagonal is the accuracy.
    assert sum(map(sum, printed)) == 37
    assert sum(printed[c][c] for c in range(9)) / 37 == pytest.approx(saved["accuracy"])


def test_predict_echoes_ids_and_inputs_as_csv_or_jsonl(text_run, cli):
    run, inputs = str(text_run["run"]), str(text_run["inputs"])
    proc = cli("predict", run, inputs, "--id-column", "id", "--echo-input")
    assert proc.returncode == 0, proc.stderr
    preds = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [list(p)[:3] for p in preds] == [["index", "id", "input"]] * 4
    assert [p["id"] for p in preds] == text_run["ids"]
    assert [p["input"] for p in preds] == text_run["texts"]
    out = text_run["root"] / "preds.csv"
    proc = cli("predict", run, inputs, "--id-column", "id", "--echo-input", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0]) == ["index", "id", "input", "label", "p_x", "p_y"]
    # The CSV holds the same predictions as the JSONL, a comma inside the text included.
    for row, pred in zip(rows, preds, strict=True):
        assert (row["id"], row["input"], row["label"]) == (pred["id"], pred["input"], pred["label"])
        assert float(row["p_x"]) == pytest.approx(pred["probabilities"]["x"])


def test_language_model_reports_perplexity(lm_run, cli):
    proc = cli("evaluate", str(lm_run["run"]), str(lm_run["text"]), "--json")
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads(proc.stdout)
    assert metrics["perplexity"] == pytest.approx(math.exp(metrics["loss"]))
    # Better than guessing uniformly among the characters it was trained on.
    assert metrics["perplexity"] < 12
    records = (lm_run["run"] / "metrics.jsonl").read_text().splitlines()
    assert all("val_perplexity" in json.loads(r) for r in records)


def test_generate_samples_from_a_char_model(lm_run, cli):
    proc = cli(
        "generate", str(lm_run["run"]), "--prompt", "the c", "--max-new", "30", "--top-k", "3",
        "--temperature", "0.8", "--seed", "1",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("the c")
    new = proc.stdout[len("the c") :].rstrip("\n")
    assert 0 < len(new) <= 30
    assert set(new) <= set(lm_run["text"].read_text())  # only characters of its vocabulary
