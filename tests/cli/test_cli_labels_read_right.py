"""Issue 10, cases 2 and 8a-b: labels and files that used to be misread silently (exit 0 with
the wrong classes) or refused with advice a CLI user cannot follow. Each is now one line on
stderr and exit 2, naming the file and line, or reads correctly.

One case runs the command in a subprocess; its variants run the same entry point in-process
(``cli_inprocess``), since interpreter start-up is most of each run's time."""

from __future__ import annotations

import json

import numpy as np
import pytest


def _csv(path, labels):
    path.write_text("text,label\n" + "".join(f"row {i},{y}\n" for i, y in enumerate(labels)))
    return str(path)


def _jsonl(path, labels):
    path.write_text("".join(json.dumps({"text": f"t{i}", "label": y}) + "\n" for i, y in
                            enumerate(labels)))  # fmt: skip
    return str(path)


@pytest.mark.parametrize(
    ("labels", "needles"),
    [
        # Case 2: `pos,neg,3,1.5` became 4 classes. Invariant: mixed kinds name the line.
        (["pos", "neg", "3", "1.5"], ["mixed.csv line 4", "'3' is a number", "one kind"]),
        (["a", "b", "a", ""], ["mixed.csv line 5", "empty label"]),
    ],
)
def test_csv_labels_of_mixed_kinds(tmp_path, cli_inprocess, one_line_error, labels, needles):
    proc = cli_inprocess("inspect", _csv(tmp_path / "mixed.csv", labels))
    one_line_error(proc, *needles)


def test_mixed_labels_stop_train_in_a_subprocess(tmp_path, cli, one_line_error):
    path = _csv(tmp_path / "mixed.csv", ["pos", "neg", "3", "1.5"] * 10)
    proc = cli("train", path, "--out", str(tmp_path / "r"), "--quiet")
    one_line_error(proc, "mixed.csv line 4", "one kind of label")
    assert not (tmp_path / "r").exists()  # refused before the run directory was made


@pytest.mark.parametrize(
    ("labels", "needles"),
    [
        # null became a class named "None"
        (["a", "b", None], ["line 3", "label is null"]),
        # true became a class "true" among text labels
        (["a", "b", True], ["line 3", "true/false", "text"]),
        # 1 and 1.0 merged into one class: a JSON float reads as a quantity, so ask
        ([1, 2, 1.0], ["line 3", "--task regress", "--task classify"]),
    ],
)
def test_jsonl_labels_are_not_coerced(tmp_path, cli_inprocess, one_line_error, labels, needles):
    proc = cli_inprocess("inspect", _jsonl(tmp_path / "j.jsonl", labels))
    one_line_error(proc, *needles)


def test_numeric_labels_ask_for_the_task(tmp_path, cli_inprocess, one_line_error):
    cli = cli_inprocess
    # 26 distinct fractional values used to become 26 classes with no hint.
    path = _csv(tmp_path / "numeric.csv", [f"{i * 0.37:.2f}" for i in range(26)] * 2)
    one_line_error(cli("inspect", path), "numeric labels", "--task regress", "--task classify")
    proc = cli("inspect", path, "--task", "regress")
    assert proc.returncode == 0 and "task regress" in proc.stdout, proc.stderr
    # Small integer ids stay classes without asking.
    ids = _csv(tmp_path / "ids.csv", [0, 1, 2, 1, 0])
    proc = cli("inspect", ids)
    assert proc.returncode == 0 and "3 classes" in proc.stdout, proc.stderr


def test_npz_float_targets_are_not_truncated(tmp_path, cli_inprocess, one_line_error):
    cli = cli_inprocess
    # 0.5 and 1.5 used to become classes 0 and 1.
    path = tmp_path / "f.npz"
    values, offsets = np.ones((6, 2), np.float32), np.array([0, 2, 4, 6])
    np.savez(path, values=values, offsets=offsets, targets=np.array([0.5, 1.5, 0.5]))
    one_line_error(cli("inspect", str(path)), "f.npz", "integer class ids", "0.5", "regress")
    np.savez(
        path, values=values, offsets=offsets, targets=np.array([0.5, 1.5, 0.5]), task="regress"
    )
    assert cli("inspect", str(path)).returncode == 0


def test_npz_advice_names_the_keys_not_python(tmp_path, cli_inprocess, one_line_error):
    cli = cli_inprocess
    # Case 8a: "pass require_labels=False" is a Python keyword a CLI user cannot pass.
    path = tmp_path / "labels.npz"
    np.savez(path, values=np.ones((4, 2), np.float32), offsets=[0, 2, 4], labels=[0, 1])
    proc = cli("train", str(path), "--out", str(tmp_path / "r"), "--quiet")
    one_line_error(proc, "no 'targets' array", "targets", "labels")
    assert "require_labels" not in proc.stderr
    # Case 8b: a file that is not a zip got numpy's "allow_pickle" hint.
    bad = tmp_path / "bad.npz"
    bad.write_text("not a zip\n")
    proc = cli("inspect", str(bad))
    one_line_error(proc, "bad.npz", "not an .npz file", "numpy.savez")
    assert "pickle" not in proc.stderr
