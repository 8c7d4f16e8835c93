"""Classification output (per-class table, confusion matrix, CSV/JSONL predictions with ids and
inputs) and language models (perplexity, `generate`), end to end in a subprocess."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest


def test_evaluate_prints_and_saves_per_class_metrics(trained, data, cli):
    run = trained["run"]
    proc = cli("evaluate", str(run), data["test"])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert ": accuracy " in lines[0]  # the one-line summary, then the table
    assert any(line.startswith("macro F1 ") for line in lines)
    header = lines.index(next(line for line in lines if line.split()[:2] == ["#", "class"]))
    rows = lines[header + 1 : header + 10]  # one row per class, 9 speakers
    assert [r.split()[1] for r in rows] == [str(c) for c in range(1, 10)]
    assert "confusion matrix" in proc.stdout
    metrics = json.loads(cli("evaluate", str(run), data["test"], "--json").stdout)
    cm = metrics["confusion"]
    # Invariants: every test example once in the matrix; its diagonal is the accuracy; the
    # supports are the true class counts of the file.
    assert sum(map(sum, cm)) == 37
    assert sum(cm[c][c] for c in range(9)) / 37 == pytest.approx(metrics["accuracy"])
    supports = {r["label"]: r["support"] for r in metrics["per_class"]}
    assert supports == {y: data["test_labels"].count(y) for y in supports}
    # train's test score in result.json is the same scoring, so the same numbers.
    saved = json.loads((run / "result.json").read_text())["test"]
    assert saved["confusion"] == cm and saved["per_class"] == metrics["per_class"]


def test_predict_echoes_ids_and_inputs_as_csv_or_jsonl(text_run, cli, one_line_error):
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
    one_line_error(cli("predict", run, inputs, "--id-column", "user"), "no field 'user'")


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
