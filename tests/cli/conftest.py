"""Shared plumbing for the CLI tests: one way to run the command, and small data and a trained run.

pytest runs with ``--import-mode=importlib``, so test modules cannot import this file or a sibling
helper module; everything shared is a fixture. Helpers that are plain functions are returned by a
fixture (``cli("train", ...)``, ``one_line_error(proc, ...)``).
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest

# `python -m seqbucket` runs the same entry point as the `seqbucket` console script
# (`seqbucket.cli:main`) and needs no script on PATH, so it works from any virtual environment.
SEQBUCKET = (sys.executable, "-m", "seqbucket")

# The smallest model that still trains: start-up, not training, dominates each run.
TINY = ("--hidden-size", "8", "--quiet")


@pytest.fixture(scope="session")
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``cli(*args, cwd=None, timeout=120)`` runs ``seqbucket *args`` to completion and returns
    the finished process with its stdout and stderr as text."""

    def run(
        *args: str, cwd: str | Path | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*SEQBUCKET, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd
        )

    return run


@pytest.fixture
def cli_inprocess(capsys) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``cli_inprocess(*args)``: ``seqbucket *args`` through the same entry point, in this
    process (no interpreter start-up: for the variants of a case whose subprocess test exists),
    returned like ``cli``'s finished process."""
    from seqbucket.cli.app import main

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return run


@pytest.fixture(scope="session")
def cli_popen() -> Callable[..., subprocess.Popen]:
    """``cli_popen(*args, text=True)`` starts ``seqbucket *args`` with stdout and stderr piped,
    for tests that signal the process or read its output while it runs."""

    def start(*args: str, text: bool = True) -> subprocess.Popen:
        return subprocess.Popen(
            [*SEQBUCKET, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=text
        )

    return start


@pytest.fixture(scope="session")
def tiny() -> tuple[str, ...]:
    """Flags for the smallest model that still trains (see ``TINY``)."""
    return TINY


def _one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip()
    assert "Traceback" not in err and err.count("\n") == 0, err
    assert err.startswith("seqbucket: error: ")
    for needle in needles:
        assert needle in err, err


@pytest.fixture(scope="session")
def one_line_error() -> Callable[..., None]:
    """``one_line_error(proc, *needles)`` asserts the user-error contract: exit 2, one line on
    stderr starting ``seqbucket: error: ``, no traceback, and every needle in that line."""
    return _one_line_error


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


@pytest.fixture(scope="session")
def ts_subset() -> Callable[..., list[str]]:
    """``ts_subset(path, split, every, keep=...)``: a small .ts file cut from the embedded
    JapaneseVowels, so every class is present (see ``_ts_subset``)."""
    return _ts_subset


def _write_series_ts(path: Path, series: list[list[list[float]]], labels: list[str]) -> None:
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


@pytest.fixture(scope="session")
def write_series_ts() -> Callable[..., None]:
    """``write_series_ts(path, series, labels)``: a .ts file of hand-made series."""
    return _write_series_ts


@pytest.fixture(scope="session")
def data(tmp_path_factory) -> dict:
    """Train and test .ts files cut from JapaneseVowels, and the test labels in file order."""
    root = tmp_path_factory.mktemp("data")
    train, test = root / "jv_train.ts", root / "jv_test.ts"
    _ts_subset(train, "TRAIN", 5)  # 54 examples, 6 per class
    test_labels = _ts_subset(test, "TEST", 10)  # 37 examples
    return {"root": root, "train": str(train), "test": str(test), "test_labels": test_labels}


@pytest.fixture(scope="session")
def trained(data, cli) -> dict:
    """One small run trained for 2 epochs, shared by every test that only reads it (session
    scope: the train, resume and bad-input files all use it, and training is the slow part).
    Tests must leave it as they found it; those that try to change it assert that it did not."""
    run = data["root"] / "run"
    settings = data["root"] / "settings.toml"
    # A sectioned config file; the --hidden-size flag in TINY overrides its hidden_size.
    settings.write_text("[model]\nhidden_size = 6\n[optim]\nlr = 0.01\n")
    proc = cli(
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


@pytest.fixture(scope="session")
def text_run(tmp_path_factory, cli) -> dict:
    """A char-level classifier of two made-up "languages" (CSV), and a JSONL input with ids."""
    root = tmp_path_factory.mktemp("text")
    rows = [("ab" * (1 + i % 4), "x") if i % 2 else ("cd" * (1 + i % 3), "y") for i in range(40)]
    train = root / "train.csv"
    train.write_text("text,label\n" + "".join(f"{t},{y}\n" for t, y in rows))
    run = root / "run"
    proc = cli("train", str(train), "--epochs", "2", "--out", str(run), *TINY)
    assert proc.returncode == 0, proc.stderr
    inputs = root / "in.jsonl"
    texts = ["abab", "cd", "ab, ab", "cdcdcd"]
    ids = ["u7", "u3", "u9", "u1"]
    inputs.write_text(
        "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in zip(ids, texts, strict=True))
    )
    return {"run": run, "inputs": inputs, "texts": texts, "ids": ids, "root": root}


@pytest.fixture(scope="session")
def lm_run(tmp_path_factory, cli) -> dict:
    """A character language model of a text that repeats, so it learns something in seconds."""
    root = tmp_path_factory.mktemp("lm")
    text = root / "text.txt"
    text.write_text("".join(["the cat sat on the mat\n", "a cat and a hat\n"] * 12))
    run = root / "run"
    proc = cli(
        "train", str(text), "--epochs", "4", "--hidden-size", "24", "--batch-size", "4",
        "--quiet", "--out", str(run),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return {"run": run, "text": text}
