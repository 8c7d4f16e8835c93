"""`--threads` on train and evaluate (predict shares evaluate's option): saved, and checked."""

from __future__ import annotations


def test_threads_flag_is_saved_and_evaluate_takes_it(cli, data, tiny, tmp_path):
    run = tmp_path / "run"
    proc = cli("train", data["train"], "--test", data["test"], "--epochs", "1", "--threads", "1",
               "--out", str(run), *tiny)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "threads = 1\n" in (run / "config.toml").read_text()  # the [run] section
    proc = cli("evaluate", str(run), data["test"], "--threads", "1")
    assert proc.returncode == 0, proc.stderr


def test_zero_threads_is_one_line(cli, one_line_error, trained, data):
    proc = cli("evaluate", str(trained["run"]), data["test"], "--threads", "0")
    one_line_error(proc, "threads", ">= 1")
