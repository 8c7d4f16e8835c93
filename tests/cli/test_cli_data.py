"""`seqbucket datasets` and `seqbucket inspect`, end to end in a subprocess."""

from __future__ import annotations

import re

import pytest


def test_datasets_lists_the_embedded_sets(cli):
    out = cli("datasets")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split()[:4] == ["name", "task", "train/test", "channels"]
    jv = next(line for line in lines if line.startswith("japanese-vowels"))
    assert jv.split()[1:6] == ["classify", "270/370", "12", "7-29", "9"]
    plaid = next(line for line in lines if line.startswith("plaid"))
    assert plaid.split()[1:6] == ["classify", "537/537", "1", "100-1344", "11"]
    assert any(line.startswith("word-language") for line in lines)


def test_inspect_plaid_reports_the_padding_of_pad_to_longest(cli):
    out = cli("inspect", "plaid")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.startswith("plaid-all: 1074 examples")
    assert "lengths: min 100, median 300, p95 515.05, max 1344" in text
    assert "3.13 padding tokens per real token" in text  # the "about 3.1"
    assert "75.8% of compute is padding" in text
    bars = [line for line in text.splitlines() if re.match(r"^\s+\d+-\d+\s+\d+", line)]
    assert 10 <= len(bars) <= 20
    assert sum(int(line.split()[1]) for line in bars) == 1074


def test_inspect_a_text_file_with_reader_options_and_max_length(tmp_path, cli):
    path = tmp_path / "reviews.tsv"
    path.write_text("body\tstars\ngood film\t5\nbad\t1\nreally quite good\t4\n", encoding="utf-8")
    out = cli(
        "inspect", str(path), "--text-column", "body", "--label-column", "stars",
        "--tokenizer", "word", "--max-length", "2", "--overlong", "truncate",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "reviews.tsv: 3 examples, task classify" in out.stdout
    assert (
        "max length: 1 of 3 examples longer than max_length=2 (longest 3) truncated to 2 steps "
        "(overlong='truncate')" in out.stdout
    )


def _bad_ts(tmp_path):
    path = tmp_path / "BAD_TRAIN.ts"
    path.write_text(
        "@problemName Bad\n@univariate true\n@classLabel true a b\n@data\n1,2:a\n1,nan,3:b\n",
        encoding="utf-8",
    )
    return str(path)


def _no_column(tmp_path):
    path = tmp_path / "no_label.csv"
    path.write_text("text,category\nhi,a\n", encoding="utf-8")
    return str(path)


BAD_INPUTS = {
    "unknown name": (
        lambda p: ["vowels"],
        "unknown dataset 'vowels': expected an embedded name (japanese-vowels, plaid, "
        "word-language)",
    ),
    "missing file": (lambda p: [str(p / "missing.ts")], "file not found:"),
    "directory": (lambda p: [str(p)], "is a directory, expected a data file"),
    "nan in .ts": (
        lambda p: [_bad_ts(p)],
        "BAD_TRAIN.ts line 6 channel 1 step 2: value 'nan' is not finite",
    ),
    "missing csv column": (
        lambda p: [_no_column(p)],
        "no_label.csv line 1: no column 'label'; the header has text, category",
    ),
    "over max length": (
        lambda p: ["plaid", "--max-length", "900"],
        "plaid-all: 10 of 1074 examples are longer than max_length=900 (longest 1344",
    ),
}


@pytest.mark.parametrize(("make_args", "message"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_inputs_exit_2_with_one_line(tmp_path, make_args, message, cli):
    out = cli("inspect", *make_args(tmp_path))
    assert out.returncode == 2
    assert out.stdout == ""
    assert "Traceback" not in out.stderr
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("seqbucket: error: ")
    assert message in out.stderr
