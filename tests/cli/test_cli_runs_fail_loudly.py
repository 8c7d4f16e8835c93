"""Issue 10, cases 1, 2d, 3, 4, 6, 7 and 8c-f: runs that used to exit 0 after doing the wrong
thing, lose work, or end in a traceback. Each now succeeds with a sane result, warns where the
run can sensibly go on, or stops with one line on stderr and exit 2.

Each case runs the command once in a subprocess; its variants run the same entry point
in-process (``cli_inprocess``), since interpreter start-up is most of each run's time.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from seqbucket.train.rundir import RunDir

pytestmark = pytest.mark.slow


def test_closed_pipe_never_stops_training(data, tmp_path):
    # Case 1: `train ... 2>&1 | head -2` stopped after epoch 2 with exit 0 and no result.json.
    run = tmp_path / "r"
    args = ("train", data["train"], "--out", str(run), "--epochs", "3", "--hidden-size", "8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "seqbucket", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # 2>&1
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the header line, printed before the first step
    proc.stdout.close()  # `head -1` leaves: every later write meets a closed pipe
    assert proc.wait(timeout=300) == 0
    assert b"classify" in first
    result = json.loads((run / "result.json").read_text())
    assert result["epochs"] == 3
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 3


def test_divergence_stops_the_run(data, tmp_path, cli, one_line_error):
    # Case 3: a NaN loss was marked *best and result.json held a bare NaN.
    run = tmp_path / "r"
    args = ("--out", str(run), "--epochs", "12", "--hidden-size", "8", "--quiet")
    proc = cli("train", data["train"], "--lr", "1e6", *args)
    last = proc.stderr.strip().splitlines()[-1]
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert last.startswith("seqbucket: error: training diverged at epoch"), last
    assert "step" in last and "lower --lr" in last
    assert not (run / "result.json").exists()
    # Every record written before it is valid JSON, and no non-finite epoch was marked best.
    for line in (run / "metrics.jsonl").read_text().splitlines():
        record = json.loads(line, parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))
        assert record["train_loss"] is not None
    assert RunDir(run).is_incomplete()


def test_lr_inf_and_out_of_range_seeds_are_one_line(
    data, tmp_path, cli, cli_inprocess, one_line_error
):
    # Case 7: tracebacks from numpy (seeds) and the allocator (huge hidden size).
    out = ("--out", str(tmp_path / "r"), "--quiet")
    one_line_error(cli("train", data["train"], "--seed", "-5", *out), "seed", "4294967295")
    for flags, needle in [
        (("--seed", "99999999999999999999"), "seed"),
        (("--lr", "inf"), "lr finite"),
        (("--hidden-size", "100000000"), "--hidden-size"),
    ]:
        one_line_error(cli_inprocess("train", data["train"], *flags, *out), needle)
    assert not (tmp_path / "r").exists()


def test_one_outlier_is_warned_about(tmp_path, cli, cli_inprocess, one_line_error):
    # Case 4: one line 1,000 times longer than the rest trained silently (9.7 GB RSS at 200k).
    path = tmp_path / "outlier.csv"
    rows = [f"short line {i},{'ab'[i % 2]}" for i in range(60)] + ["x" * 2000 + ",a"]
    path.write_text("text,label\n" + "\n".join(rows) + "\n")
    args = ("--out", str(tmp_path / "r"), "--max-steps", "1", "--hidden-size", "4", "--quiet")
    proc = cli("train", str(path), *args)
    assert proc.returncode == 0, proc.stderr
    warning = next(line for line in proc.stderr.splitlines() if "99th percentile" in line)
    assert "2,000 steps" in warning and "--max-length" in warning and "--overlong" in warning
    # Alone, a line was told to "raise --val-fraction", which could never help.
    two = tmp_path / "two.csv"
    two.write_text("text,label\n" + "x" * 50 + ",a\nyy,b\n")
    proc = cli_inprocess("train", str(two), "--out", str(tmp_path / "r2"), "--quiet")
    one_line_error(proc, "single example", "--val-fraction 0")
    assert "raise --val-fraction" not in proc.stderr


def test_a_single_class_is_refused(tmp_path, cli_inprocess, one_line_error):
    # Case 2d: one class trained to "val acc 100%, loss 0.0000".
    path = tmp_path / "single.csv"
    path.write_text("text,label\n" + "".join(f"row {i},only\n" for i in range(20)))
    proc = cli_inprocess("train", str(path), "--out", str(tmp_path / "r"), "--quiet")
    one_line_error(proc, "single.csv", "at least 2 classes", "'only'")


def test_a_second_writer_is_refused(trained, data, tmp_path, cli, one_line_error):
    # Case 6: two `train --out runs/x --force` 0.3 s apart both exited 0, interleaving
    # metrics.jsonl. Here this process holds the run's lock, as a running `train` does.
    run = tmp_path / "busy"
    shutil.copytree(trained["run"], run)
    before = (run / "metrics.jsonl").read_text()
    with RunDir(run).locked():
        proc = cli("train", data["train"], "--out", str(run), "--force", "--hidden-size", "8")
    one_line_error(proc, "in use by another seqbucket run", "--out")
    assert (run / "metrics.jsonl").read_text() == before  # --force deleted nothing


def test_bucket_edges_advice_names_train_flags(data, tmp_path, cli, one_line_error):
    # Case 8c: `buckets:5,10` on longer data suggested overlong='drop', unreachable from train.
    proc = cli("train", data["train"], "--batching", "buckets:5,10", "--out", str(tmp_path / "r"))
    one_line_error(proc, "last edge 10", "--max-length 10 --overlong truncate", "buckets:5,10,")
    assert "overlong='drop'" not in proc.stderr


def test_predict_on_data_of_another_width(trained, cli_inprocess, one_line_error):
    # Case 8d: said "label '0' is not among the known labels" for a 12-channel run on PLAID.
    proc = cli_inprocess("predict", str(trained["run"]), "plaid")
    one_line_error(proc, "expected 12 channels per step", "got 1")


def test_plan_says_which_plan_it_shows(cli_inprocess):
    # Case 8e: `plan` shows batch size 32 on all examples; `train` plans 16 on its part.
    proc = cli_inprocess("plan", "japanese-vowels")
    assert proc.returncode == 0, proc.stderr
    shown = next(line for line in proc.stdout.splitlines() if line.startswith("shown:"))
    assert "'all' split" in shown and "batch size 32" in shown and "--batch-size" in shown


def test_resume_with_nothing_to_train_is_refused(
    trained, data, tmp_path, cli_inprocess, one_line_error
):
    # Case 8f: resuming a finished run with fewer --epochs printed a note, trained nothing and
    # exited 0.
    run = tmp_path / "done"
    shutil.copytree(trained["run"], run)
    proc = cli_inprocess("train", "--out", str(run), "--resume", "--epochs", "1", "--quiet")
    one_line_error(proc, "nothing to train", "--epochs above 2")


def test_incomplete_run_is_refused_by_evaluate_and_predict(
    trained, data, tmp_path, cli, cli_inprocess, one_line_error
):
    # Case 5: evaluate and predict quietly used a run whose training never finished.
    run = tmp_path / "half"
    shutil.copytree(trained["run"], run)
    (run / "INCOMPLETE").write_text("interrupted\n")
    one_line_error(cli("evaluate", str(run), data["test"]), "incomplete", "--resume", "--force")
    one_line_error(cli_inprocess("predict", str(run), data["test"]), "incomplete", "--resume")
    # --resume finishes it: nothing left to train, so it scores and writes result.json.
    (run / "result.json").unlink()
    proc = cli_inprocess("train", "--out", str(run), "--resume", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert (run / "result.json").is_file() and not RunDir(run).is_incomplete()
    assert cli_inprocess("evaluate", str(run), data["test"]).returncode == 0


def test_json_files_refuse_non_finite_numbers():
    from seqbucket.train.jsonfile import to_json

    text = to_json({"loss": float("nan"), "val": [1.0, float("inf")], "n": 3})
    assert json.loads(text) == {"loss": None, "val": [1.0, None], "n": 3}
