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
from seqbucket.train.launch import failure_message, last_stderr_line, stderr_tails


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


_ABORTED = (
    "[W1015 10:00:00.000000000 ProcessGroupGloo.cpp:727] Warning: Unable to resolve hostname\n"
    "terminate called after throwing an instance of 'gloo::IoException'\n"
    "  what():  [../third_party/gloo/gloo/transport/tcp/pair.cc:534] Connection closed by peer "
    "[127.0.0.1]:40391\n"
)


def test_a_crash_is_reported_with_the_last_line_of_its_stderr(tmp_path):
    run = str(tmp_path / "run")
    line = last_stderr_line(_ABORTED)
    assert line == (
        "terminate called after throwing an instance of 'gloo::IoException' what(): "
        "Connection closed by peer [127.0.0.1]:40391"
    )
    crashed = {0: _failure(-signal.SIGTERM), 1: _failure(-signal.SIGABRT)}
    code, text = failure_message(crashed, 2, run, {1: line})
    assert code == 2 and "\n" not in text
    assert text.startswith(
        "rank 1 of 2 stopped unexpectedly (killed by SIGABRT: terminate called after throwing "
        "an instance of 'gloo::IoException' what(): Connection closed by peer"
    )
    assert text.endswith(f"--out {run} --force`")
    # Only the rank reported has its line in the message; without one, the message is as before.
    assert "gloo" not in failure_message(crashed, 2, run, {0: line})[1]
    assert failure_message(crashed, 2, run) == failure_message(crashed, 2, run, {})
    assert "(killed by SIGABRT); the other" in failure_message(crashed, 2, run)[1]
    # SIGKILL came from outside (the OOM killer, say): the process's last words are unrelated.
    killed = {1: _failure(-signal.SIGKILL)}
    assert "(killed by SIGKILL); " in failure_message(killed, 2, run, {1: "loading data"})[1]


def test_the_last_stderr_line_is_the_cause_not_a_frame_or_a_warning():
    traceback = (
        "Traceback (most recent call last):\n"
        '  File "/x/trainer.py", line 10, in step\n'
        "    loss.backward()\n"
        "    ~~~~~~~~~~~~~^^\n"
        "RuntimeError: [enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: "
        "not enough memory\n"
        "/x/torch/utils.py:5: UserWarning: something harmless\n"
        "  warnings.warn(\n\n"
    )
    # The C++ source location goes, as in comm_reason.
    expected = "RuntimeError: data. DefaultCPUAllocator: not enough memory"
    assert last_stderr_line(traceback) == expected
    faulthandler = (
        "Fatal Python error: Segmentation fault\n\n"
        "Thread 0x00007f (most recent call first):\n"
        '  File "/x/threading.py", line 331 in wait\n\n'
        "Current thread 0x00007e (most recent call first):\n"
        '  File "/x/trainer.py", line 10 in step\n\n'
        "Extension modules: numpy.core._multiarray_umath, torch._C (total: 2)\n"
    )
    assert last_stderr_line(faulthandler) == "Fatal Python error: Segmentation fault"
    assert last_stderr_line("") == last_stderr_line("\n  \n") == ""
    assert last_stderr_line("/x/a.py:1: UserWarning: w\n  warnings.warn(\n") == ""
    assert len(last_stderr_line("x" * 5000)) == 200


def test_the_stderr_tails_are_read_from_torch_elastics_log_files(tmp_path):
    # torch elastic's layout: <log_dir>/<run_id>_<random>/attempt_<n>/<local_rank>/stderr.log
    ranks = tmp_path / "logs" / "seqbucket-abc_x1" / "attempt_0"
    for local in (1, 2):
        (ranks / str(local)).mkdir(parents=True)
    (ranks / "1" / "stderr.log").write_text(_ABORTED)
    (ranks / "2" / "stderr.log").write_text("\n")  # nothing said
    # Rank 0's stderr is the terminal's (no file); the failures' error_file is "<N/A>".
    failures = {
        r: SimpleNamespace(exitcode=-signal.SIGABRT, local_rank=r, error_file="<N/A>")
        for r in (0, 1, 2)
    }
    assert stderr_tails(failures, tmp_path / "logs") == {1: last_stderr_line(_ABORTED)}
    assert stderr_tails(failures, tmp_path / "missing") == {}


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
