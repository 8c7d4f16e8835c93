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
    _assert_matches_on_test_batches(ort, trained["run"], target, data["test"])


def _assert_matches_on_test_batches(ort, run_dir, target, test_file) -> None:
    run = load_run(run_dir, device="cpu")
    test = load_dataset(test_file)
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


def test_every_model_stage_is_exported(data, tmp_path, cli_inprocess, tiny):
    # The PLAID recipe's stages (series normalisation with its summary and raw channel, the
    # strided conv front end with batch norm, mean-max pooling): the export once dropped all
    # of them and failed with a traceback on the head's width.
    ort = pytest.importorskip("onnxruntime")
    run = tmp_path / "run"
    proc = cli_inprocess(
        "train", data["train"], "--frontend", "conv", "--frontend-channels", "8",
        "--frontend-layers", "2", "--frontend-norm", "batch", "--series-norm", "--raw-channel",
        "--pooling", "mean-max", "--epochs", "1", "--out", str(run), *tiny,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = export_run(run)
    assert result.max_abs_diff <= 1e-4
    _assert_matches_on_test_batches(ort, run, result.path, data["test"])


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


def test_a_model_export_cannot_trace_is_one_line(
    trained, tmp_path, cli_inprocess, one_line_error, monkeypatch
):
    pytest.importorskip("onnxruntime")
    from seqbucket.train.export import ExportableModel

    def head_of_wrong_width(self, x, lengths):
        return self.model.head.proj(x)  # (B, T, F) into a head of another width

    monkeypatch.setattr(ExportableModel, "forward", head_of_wrong_width)
    target = tmp_path / "model.onnx"
    proc = cli_inprocess("export", str(trained["run"]), "--out", str(target))
    one_line_error(proc, "expected torch.onnx.export to trace the", "nothing was written")
    assert "\x1b[" not in proc.stderr  # the exporter's colour codes are stripped
    assert not target.exists() and not list(tmp_path.glob(".*.tmp*"))
