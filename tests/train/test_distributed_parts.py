"""The parts of multi-process training that need no second process: which failure the launcher
reports, the refusal of more processes than a batch has examples, the loss scale, and the
one-line reason taken from a torch.distributed error."""

from __future__ import annotations

import signal
from types import SimpleNamespace

import numpy as np
import pytest

from seqbucket.batching import BatchingConfig
from seqbucket.errors import ConfigError
from seqbucket.train.distributed import check_world_fits, comm_reason, ddp_loss_scale
from seqbucket.train.launch import failure_message


def _failure(exitcode: int, kind: str | None = None, message: str = "") -> SimpleNamespace:
    data = {"seqbucket": {"kind": kind}} if kind else {}
    return SimpleNamespace(exitcode=exitcode, message=message, error_file_data=data)


def test_the_launcher_reports_the_cause_not_its_consequences(tmp_path):
    run = str(tmp_path / "run")
    lost = _failure(2, "lost", "rank 0 of 3 lost contact with the other processes ...")
    killed_by_launcher = _failure(-signal.SIGTERM)
    # A rank that died without a word is the cause; the one that lost contact and the one the
    # launcher stopped are consequences.
    code, text = failure_message({0: lost, 1: _failure(-signal.SIGKILL), 2: killed_by_launcher},
                                 3, run)  # fmt: skip
    assert code == 2 and text.startswith("rank 1 of 3 stopped unexpectedly (killed by SIGKILL)")
    assert "no checkpoint yet" in text and "--force" in text
    # A refusal (bad data, say) is reported as the worker worded it, whatever else happened.
    refused = _failure(2, "error", "expected a .ts file, got x.csv")
    assert failure_message({0: lost, 1: refused}, 2, run) == (2, "expected a .ts file, got x.csv")
    # A rank that hung was stopped by the launcher after the others timed out: their report.
    assert failure_message({0: lost, 1: killed_by_launcher}, 2, run) == (2, lost.message)
    # Ctrl-C: the workers checkpointed and rank 0 said how to resume; nothing to add.
    assert failure_message({0: _failure(130), 1: killed_by_launcher}, 2, run) == (130, "")
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    (tmp_path / "run" / "checkpoints" / "last.pt").write_bytes(b"")
    _, text = failure_message({1: _failure(1)}, 2, run)
    assert "(exit code 1)" in text and f"--out {run} --resume" in text


def test_more_processes_than_a_batch_has_examples_are_refused():
    lengths = np.arange(1, 8)  # 7 examples
    config = BatchingConfig(strategy="random", batch_size=3)  # batches of 3, 4 (spread)
    check_world_fits(lengths, config, 0, 4)  # the batch of 4 is split 1/1/1/1
    with pytest.raises(ConfigError, match=r"expected at most 4 processes .* got 5"):
        check_world_fits(lengths, config, 0, 5)


def test_the_loss_scale_gives_the_global_mean_after_ddp_averaging():
    # Two ranks with 3 and 1 real positions and mean losses 2.0 and 6.0: the global mean is
    # (3 * 2 + 1 * 6) / 4 = 3; DDP averages the ranks' scaled losses.
    scaled = [m * ddp_loss_scale(p, 4.0, 2) for m, p in ((2.0, 3), (6.0, 1))]
    assert sum(scaled) / 2 == pytest.approx(3.0)
    assert ddp_loss_scale(0, 4.0, 2) == 0.0  # an empty slice adds nothing


def test_comm_reason_keeps_the_cause_on_one_line():
    exc = RuntimeError(
        "[/__w/pytorch/third_party/gloo/gloo/transport/tcp/pair.cc:537] Read error "
        "[127.0.0.1]:50399: Connection reset by peer. This is typically caused by a remote "
        "worker hanging.\nmore"
    )
    assert comm_reason(exc) == "Read error [127.0.0.1]:50399: Connection reset by peer."
