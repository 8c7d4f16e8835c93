"""``seqbucket export``: one ONNX model for every batch size and length, checked by onnxruntime
against the eager model; and its bad inputs (one line, exit 2)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from seqbucket.data import collate, load_dataset
from seqbucket.errors import ConfigError
from seqbucket.train import export_run, load_run
from seqbucket.train.evaluate import forward


def test_onnx_export_matches_eager_on_real_batches_of_any_shape(trained, data, tmp_path, cli):
    ort = pytest.importorskip("onnxruntime")
    target = tmp_path / "model.onnx"
    proc = cli("export", str(trained["run"]), "--out", str(target))
    assert proc.returncode == 0, proc.stderr
    assert target.is_file() and "max |exported - eager|" in proc.stderr
    assert not list(tmp_path.glob(".*.tmp*"))  # the temporary file was renamed, not left over
    # Independently of the command's own check: real test sequences (raw features, the run
    # standardises inside the graph), in shapes the export never saw, including B=1.
    run = load_run(trained["run"], device="cpu")
    test = load_dataset(data["test"])
    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    order = np.argsort(test.lengths)
    for indices in (order[::3], order[-1:], order[:2], order[5:30]):
        batch = collate([test[int(i)] for i in indices])  # mixed lengths, post padded
        with torch.no_grad():
            eager = forward(run.model, batch, run.standardizer).numpy()  # (B, C)
        feeds = {"x": batch.x.numpy(), "lengths": batch.lengths.numpy()}
        (exported,) = session.run(["logits"], feeds)
        assert exported.shape == eager.shape
        np.testing.assert_allclose(exported, eager, atol=1e-4, rtol=0)


def test_export_needs_best_pt(trained, tmp_path, cli, one_line_error):
    run = tmp_path / "run"
    shutil.copytree(trained["run"], run)
    (run / "checkpoints" / "best.pt").unlink()
    one_line_error(cli("export", str(run)), "best checkpoint", "best.pt")
    assert not (run / "model.onnx").exists()


def test_export_refuses_an_unknown_format(trained):
    # In process (the CLI's one-line contract for ConfigError is tested above): nothing is read.
    with pytest.raises(ConfigError, match=r"expected an export format in \['onnx'\], got 'tflite'"):
        export_run(trained["run"], "tflite")


def test_an_unknown_format_is_one_line(trained, cli_inprocess, one_line_error):
    proc = cli_inprocess("export", str(trained["run"]), "--format", "tflite")
    one_line_error(proc, "expected an export format in ['onnx']", "'tflite'")
    assert not (trained["run"] / "model.tflite").exists()
