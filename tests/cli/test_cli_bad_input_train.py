"""`seqbucket train / evaluate / predict / report` given bad input (wrong task, wrong width,
missing or clashing runs, a full disk): one line on stderr and exit 2, never a traceback, and
an existing run left as it was."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

_LIMITED_TRAIN = """
import resource, signal, sys
from seqbucket.cli.app import main
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # over the limit: the write fails with EFBIG
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
sys.exit(main(sys.argv[2:]))
"""


def test_existing_run_is_not_overwritten(trained, data, cli, one_line_error, tiny):
    proc = cli("train", data["train"], "--out", str(trained["run"]), "--epochs", "1", *tiny)
    one_line_error(proc, "already holds a run", "--force")


@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_missing_run_directory(command, data, tmp_path, cli, one_line_error):
    proc = cli(command, str(tmp_path / "nope"), data["test"])
    one_line_error(proc, "does not exist")


def test_wrong_task_for_the_data(data, tmp_path, cli, one_line_error, tiny):
    proc = cli("train", data["train"], "--task", "tag", "--out", str(tmp_path / "r"), *tiny)
    one_line_error(proc, "'tag'", "'classify'")


def test_randomness_with_a_strategy_that_never_reads_it(data, tmp_path, cli, one_line_error):
    # The knob is auto's; BatchingConfig refuses it elsewhere, so the CLI exits 2 in one line.
    args = ("--batching", "random", "--randomness", "0.5", "--out", str(tmp_path / "r"))
    proc = cli("train", data["train"], *args)
    one_line_error(proc, "randomness applies to strategy auto only", "'random'")
    proc = cli("train", data["train"], "--randomness", "1.5", "--out", str(tmp_path / "r"))
    one_line_error(proc, "randomness must lie in [0, 1], got 1.5")


def test_test_labels_unseen_in_training(data, tmp_path, cli, one_line_error, ts_subset, tiny):
    train = tmp_path / "no9.ts"
    ts_subset(train, "TRAIN", 5, keep=lambda label: label.strip() != "9")
    proc = cli("train", str(train), "--test", data["test"], "--out", str(tmp_path / "r"), *tiny)
    one_line_error(proc, "unseen", "9")


def test_empty_split(tmp_path, cli, ts_subset, tiny):
    empty = tmp_path / "empty.ts"
    ts_subset(empty, "TRAIN", 1, keep=lambda label: False)
    proc = cli("train", str(empty), "--out", str(tmp_path / "r"), *tiny)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "empty.ts" in proc.stderr


def test_inputs_of_another_width_or_kind_are_one_line_errors(
    trained, data, tmp_path, cli, one_line_error, write_series_ts
):
    # A 12-channel model given 2 channels per step: refused before any tensor is built (the
    # standardiser used to fail first with a long RuntimeError).
    two = tmp_path / "two.ts"
    write_series_ts(
        two, [[[0.1 * t for t in range(8)], [1.0] * 8] for _ in range(3)], ["1", "2", "1"]
    )
    for command in ("predict", "evaluate"):
        proc = cli(command, str(trained["run"]), str(two))
        one_line_error(
            proc,
            "expected 12 channels per step as the model in",
            f"got 2 in {two}",
        )
    # ... or text.
    text = tmp_path / "text.csv"
    text.write_text("text,label\nabc,x\nabd,y\n")
    proc = cli("predict", str(trained["run"]), str(text))
    one_line_error(proc, "expected 12 channels per step", f"got text (token ids) in {text}")


def test_force_with_a_typo_keeps_the_old_run(trained, data, cli, one_line_error, tiny):
    run = trained["run"]
    before = (run / "checkpoints" / "best.pt").read_bytes()
    proc = cli("train", data["train"], "--out", str(run), "--force", "--batching", "bucket:5")
    one_line_error(proc, "bucket:5")
    proc = cli("train", data["train"], "--out", str(run), "--force", "--task", "tag", *tiny)
    one_line_error(proc, "'tag'")
    assert (run / "checkpoints" / "best.pt").read_bytes() == before
    assert (run / "config.toml").is_file() and (run / "metrics.jsonl").is_file()


def test_report_refuses_a_file_and_a_truncated_metrics_line(trained, tmp_path, cli, one_line_error):
    run = tmp_path / "copy"
    run.mkdir()
    (run / "config.toml").write_text((trained["run"] / "config.toml").read_text())
    lines = (trained["run"] / "metrics.jsonl").read_text().splitlines()
    (run / "metrics.jsonl").write_text(lines[0] + "\n" + lines[1][:30] + "\n")
    one_line_error(cli("report", str(run)), f"{run / 'metrics.jsonl'}, line 2")
    config = trained["run"] / "config.toml"
    one_line_error(cli("report", str(config)), "expected a run directory, got a file")


def test_predict_output_directory_and_missing_best_checkpoint(
    trained, data, tmp_path, cli, one_line_error
):
    proc = cli("predict", str(trained["run"]), data["test"], "--output", str(tmp_path))
    one_line_error(proc, "expected an output file path, got a directory")
    run = tmp_path / "no_best"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.toml").write_text((trained["run"] / "config.toml").read_text())
    last = (trained["run"] / "checkpoints" / "last.pt").read_bytes()
    (run / "checkpoints" / "last.pt").write_bytes(last)
    proc = cli("evaluate", str(run), data["test"])
    assert proc.returncode == 0, proc.stderr
    assert "no best.pt" in proc.stderr and "using last.pt" in proc.stderr


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


def test_a_run_that_wrote_no_checkpoint_says_how_to_recover(data, tmp_path, cli_inprocess):
    # Issue 10 case 5: after a full disk the next `train` said "pass --force or --resume", then
    # --resume said "no checkpoint", and the disk-full line claimed a previous checkpoint was
    # intact when there was none.
    run = tmp_path / "r"
    args = ["train", data["train"], "--epochs", "1", "--out", str(run), "--quiet"]
    proc = subprocess.run(
        [sys.executable, "-c", _LIMITED_TRAIN, "20000", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    last = proc.stderr.strip().splitlines()[-1]
    assert proc.returncode == 2 and "so none exists now" in last, proc.stderr
    assert "intact" not in last
    again = cli_inprocess(*args[:-1])
    assert again.returncode == 2 and "--force" in again.stderr and "--resume" not in again.stderr
    resumed = cli_inprocess("train", "--out", str(run), "--resume", "--quiet")
    assert resumed.returncode == 2 and "first checkpoint" in resumed.stderr
    assert "--force" in resumed.stderr
