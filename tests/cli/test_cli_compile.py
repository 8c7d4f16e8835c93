"""``train --compile`` and ``--cuda-graphs``: the run logs as many compiled graphs as its plan has
distinct shapes; a back end that does not exist, inductor without a C++ compiler and CUDA graphs
without CUDA are each one line and exit 2, before any data is read."""

from __future__ import annotations

import json

import pytest
import torch

from seqbucket.train import compiled, cuda_graphs


def test_compiled_run_logs_one_graph_per_distinct_shape(data, tmp_path, cli, tiny):
    run = tmp_path / "run"
    proc = cli(
        "train", data["train"], "--test", data["test"], "--out", str(run), *tiny,
        "--epochs", "2", "--batching", "pad-all", "--compile", "--compile-backend", "aot_eager",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    # Invariant: pad-all has one training shape per epoch, at most one more for a short last
    # batch; each compiles once, and epoch 2 compiles nothing new.
    for record in records:
        assert record["compiled_graphs"] == record["distinct_shapes"]
        assert record["recompiles"] == record["compiled_graphs"] - 1
    assert records[0]["compiled_graphs"] == records[1]["compiled_graphs"]


def test_an_unknown_back_end_is_one_line(data, tmp_path, cli, one_line_error):
    proc = cli(
        "train", data["train"], "--out", str(tmp_path / "run"),
        "--compile", "--compile-backend", "nope",
    )  # fmt: skip
    one_line_error(proc, "torch.compile back end", "'nope'", "aot_eager")
    assert not (tmp_path / "run").exists()


def test_inductor_without_a_cxx_compiler_is_one_line_suggesting_aot_eager(
    data, tmp_path, cli_inprocess, one_line_error, monkeypatch
):
    # In process (the subprocess case of a refused back end is above): no compiler on PATH.
    monkeypatch.setattr(compiled.shutil, "which", lambda name: None)
    monkeypatch.delenv("CXX", raising=False)
    proc = cli_inprocess("train", data["train"], "--out", str(tmp_path / "run"), "--compile")
    one_line_error(proc, "C++ compiler", "--compile-backend aot_eager")
    assert not (tmp_path / "run").exists()


def test_cuda_graphs_without_cuda_is_one_line(
    data, tmp_path, cli_inprocess, one_line_error, monkeypatch
):
    monkeypatch.setattr(cuda_graphs.torch.cuda, "is_available", lambda: False)
    proc = cli_inprocess("train", data["train"], "--out", str(tmp_path / "run"), "--cuda-graphs")
    one_line_error(proc, "expected a CUDA device for --cuda-graphs", "--compile")
    assert not (tmp_path / "run").exists()


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_graphs_run_logs_one_graph_per_distinct_shape(data, tmp_path, cli, tiny):
    run = tmp_path / "run"
    proc = cli(
        "train", data["train"], "--test", data["test"], "--out", str(run), *tiny,
        "--epochs", "2", "--batching", "buckets:12,18,30", "--cuda-graphs",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    for record in records:
        assert record["compiled_graphs"] == record["distinct_shapes"]
        assert record["recompiles"] == record["compiled_graphs"] - 1
