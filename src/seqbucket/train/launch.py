"""``seqbucket train --nproc N``: N local training processes, started by PyTorch's own launcher
(``torch.distributed.launcher.elastic_launch``, what ``torchrun`` runs), for users who do not
know ``torchrun``.

The launcher writes the resolved settings to a temporary ``config.toml`` and starts ``N`` times
``python -m seqbucket train --config that.toml`` (plus ``--force``/``--resume``) with a c10d
rendezvous on 127.0.0.1 (a free port, or ``--dist-port``). Rank 0's output reaches the terminal;
the other ranks' goes to files in the temporary folder, removed at the end. No restarts: a
process that fails ends the run, and the launcher stops the others at once. ``--nproc`` is at
most ``PROCS_PER_CORE`` processes per CPU core this process may use (one per GPU under CUDA),
checked before any starts. A worker whose launcher is killed (``SIGKILL`` leaves it no time
to stop them) stops too (:func:`die_with_launcher`), so no orphan holds the cores.

Errors: the workers never print theirs; each writes its one-line message to torch elastic's
error file (:func:`record_failure`), and the launcher prints one line for the whole run
(:func:`failure_message`): a user error as the worker worded it (a bad data file, say), or the
rank that stopped first and how (an exit code, a signal, with the last line of its stderr:
:func:`stderr_tails`), or, when the only reports are of lost contact, that. Exit 2 either way,
no traceback; 130 when the run was interrupted (rank 0 has already printed how to resume).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import re
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from seqbucket.errors import ConfigError, DistributedError, SeqbucketError
from seqbucket.train.config import TrainConfig
from seqbucket.train.distributed import (
    LAUNCHED_BY_SEQBUCKET,
    LAUNCHER_PID,
    one_line_reason,
    resume_hint,
)

EXIT_INTERRUPTED = 130  # a worker stopped by Ctrl-C, after checkpointing (cli/_common.py)
EXIT_LAUNCHER_GONE = 1  # a worker that found its launcher gone
# --nproc on CPUs: processes per core at most (more cores' worth only take turns; a few is how
# one tries DDP on a laptop, a hundred is a typo)
PROCS_PER_CORE = 4
_HOST = "127.0.0.1"
_PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies


def launch(config: TrainConfig, *, force: bool = False, resume: bool = False) -> int:
    """Train ``config`` on ``config.nproc`` local processes; returns the exit code (0, or 130
    after Ctrl-C).

    Raises:
        DistributedError: ``config.dist_port`` is in use, or a process failed (one line).
        SeqbucketError: a process refused the run (the message it would print alone).
    """
    from torch.distributed.elastic.multiprocessing import DefaultLogsSpecs, Std
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    nproc = int(config.nproc or 1)
    check_nproc_fits(nproc, config.device)
    if config.dist_port is not None:
        check_port_free(config.dist_port)
    with tempfile.TemporaryDirectory(prefix="seqbucket-launch-") as tmp:
        settings = Path(tmp) / "config.toml"
        config.save_toml(settings)
        args = ["-m", "seqbucket", "train", "--config", str(settings)]
        args += ["--force"] * force + ["--resume"] * resume
        launch_config = LaunchConfig(
            min_nodes=1,
            max_nodes=1,
            nproc_per_node=nproc,
            run_id=f"seqbucket-{uuid.uuid4().hex[:12]}",
            rdzv_backend="c10d",
            rdzv_endpoint=f"{_HOST}:{config.dist_port or 0}",  # 0: the store picks a free port
            max_restarts=0,
            monitor_interval=0.1,
            signals_to_handle="SIGTERM,SIGHUP,SIGQUIT",  # Ctrl-C is the workers' (they save)
            logs_specs=DefaultLogsSpecs(
                log_dir=str(Path(tmp) / "logs"),
                redirects={rank: Std.ALL for rank in range(1, nproc)},
            ),
        )
        try:
            with (
                _launcher_quiet(),
                _env(LAUNCHED_BY_SEQBUCKET, "1"),
                _env(LAUNCHER_PID, str(os.getpid())),
            ):
                elastic_launch(launch_config, sys.executable)(*args)
        except ChildFailedError as exc:
            # Read now: the logs go with the temporary folder.
            tails = stderr_tails(exc.failures, Path(tmp) / "logs")
            code, message = failure_message(exc.failures, nproc, str(config.run_dir), tails)
            if message:
                raise _error_of(exc.failures, message) from None
            return code
        except (RuntimeError, ValueError) as exc:  # the rendezvous store could not start
            text = " ".join(str(exc).split())
            if "in use" in text or "EADDRINUSE" in text:
                raise DistributedError(_port_in_use(config.dist_port)) from None
            raise DistributedError(f"could not start {nproc} processes: {text[:200]}") from None
    return 0


def check_nproc_fits(nproc: int, device: str) -> None:
    """``ConfigError`` when ``nproc`` local processes are more than what they run on can take:
    one per CUDA GPU (under ``device`` ``cuda``, or ``auto`` with a GPU: ranks cannot share
    one), else ``PROCS_PER_CORE`` per CPU core this process may use. Taking turns on a few
    cores is how one tries several processes on a laptop (slower, not wrong), but a typo such
    as ``--nproc 100`` would start that many processes."""
    from seqbucket.train.wiring import pick_device

    if pick_device(device).type == "cuda":
        import torch

        have = torch.cuda.device_count()
        limit, what = have, f"one per CUDA GPU, {have} available"
    else:
        have = len(os.sched_getaffinity(0))
        limit = PROCS_PER_CORE * have
        what = f"{PROCS_PER_CORE} per CPU core, {have} available to this process"
    if nproc > limit:
        raise ConfigError(
            f"expected --nproc at most {limit} ({what}), got {nproc}; use --nproc {limit} or fewer"
        )


def die_with_launcher() -> None:
    """In a worker that ``--nproc`` started: stop when the launcher does. The kernel sends
    ``SIGTERM`` when the parent dies (Linux ``prctl``; a no-op elsewhere), and a launcher that
    died before this call is caught by comparing the parent's id with the one it left in the
    environment. Under ``torchrun`` (no such variable) nothing changes."""
    expected = os.environ.get(LAUNCHER_PID)
    if not expected:
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != int(expected):  # the launcher died before prctl: we were re-parented
        os._exit(EXIT_LAUNCHER_GONE)


def check_port_free(port: int) -> None:
    """``DistributedError`` when something already listens on ``port`` of 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no conflict
        try:
            probe.bind((_HOST, port))
        except OSError:
            raise DistributedError(_port_in_use(port)) from None


def _port_in_use(port: int | None) -> str:
    return (
        f"expected a free port for the processes to meet on, got port {port} of {_HOST} "
        "already in use; choose another --dist-port, or leave it unset to pick a free one"
    )


def record_failure(exc: BaseException) -> None:
    """Write ``exc``'s one-line message where torch elastic's launcher reads a worker's error
    (``TORCHELASTIC_ERROR_FILE``, set by ``torchrun`` and ``--nproc``; nothing otherwise).
    ``kind`` tells :func:`failure_message` a cause (``error``) from a consequence (``lost``,
    another process stopped first)."""
    path = os.environ.get("TORCHELASTIC_ERROR_FILE")
    if not path:
        return
    kind = "lost" if isinstance(exc, DistributedError) else "error"
    record = {
        "message": " ".join(str(exc).split()),
        "timestamp": int(time.time()),
        "seqbucket": {"kind": kind, "type": type(exc).__name__},
    }
    with contextlib.suppress(OSError):
        Path(path).write_text(json.dumps(record), encoding="utf-8")


def failure_message(
    failures: Mapping[int, Any],
    nproc: int,
    run_dir: str,
    tails: Mapping[int, str] | None = None,
) -> tuple[int, str]:
    """``(exit code, message)`` for a run whose processes failed (``failures``: global rank ->
    torch elastic ``ProcessFailure``). The message is empty when there is nothing to add
    (Ctrl-C: rank 0 has printed how to resume). The cause is, in this order: a process that
    refused the run (its own message, lowest rank first); a process that stopped without a
    message (a crash, a kill; not the SIGTERM the launcher sends the others when one fails),
    with the last line of its stderr when ``tails`` (rank -> :func:`stderr_tails`) has one
    (not after ``SIGKILL``, which gives a process no time to say anything);
    the report of a process that lost contact (another one hung past the timeout); Ctrl-C;
    else the first failure."""
    ranked = sorted(failures.items())
    kinds = {rank: _kind(f) for rank, f in ranked}
    for rank, failure in ranked:
        if kinds[rank] == "error":
            return 2, str(failure.message)
    silent = [(r, f) for r, f in ranked if kinds[r] is None]
    stopped_by_us = (-signal.SIGTERM, EXIT_INTERRUPTED)  # the launcher's stop, or Ctrl-C
    crashed = [(r, f) for r, f in silent if f.exitcode not in stopped_by_us]
    lost = [f for r, f in ranked if kinds[r] == "lost"]
    if not crashed and lost:
        return 2, str(lost[0].message)
    if not crashed and any(f.exitcode == EXIT_INTERRUPTED for _, f in ranked):
        return EXIT_INTERRUPTED, ""
    rank, failure = (crashed or silent or ranked)[0]
    how = _how(failure.exitcode)
    tail = (tails or {}).get(rank, "")
    if tail and failure.exitcode != -signal.SIGKILL:  # killed from outside: it said nothing
        how = f"{how}: {tail}"
    return 2, (
        f"rank {rank} of {nproc} stopped unexpectedly ({how}); the other processes were "
        f"stopped; {resume_hint(run_dir)}"
    )


# Lines of a dying process's stderr that say where, not what: Python's traceback frames and
# the thread dumps of faulthandler.
_NOT_A_CAUSE = (
    "Traceback (most recent call last)",
    'File "',
    "Thread 0x",
    "Current thread 0x",
    "Extension modules:",
    "Stack (most recent call first)",
)
# A Python warning: its own line, then the source line that warned (not a cause either).
_WARNING = re.compile(r"^\S.*:\d+: \w*Warning: ")
_TAIL_BYTES = 16384


def stderr_tails(failures: Mapping[int, Any], log_dir: Path) -> dict[int, str]:
    """Global rank -> the last meaningful line of its stderr (:func:`last_stderr_line`), for
    the failed ranks whose stderr torch elastic wrote to a file under ``log_dir``:
    ``<log_dir>/<run_id>_*/attempt_<n>/<local_rank>/stderr.log`` (the failures' own
    ``error_file`` is ``<N/A>`` when the process wrote none). Rank 0's stderr is the
    terminal's: none."""
    tails: dict[int, str] = {}
    for rank, failure in failures.items():
        local = getattr(failure, "local_rank", rank)
        logs = sorted(log_dir.glob(f"*/attempt_*/{local}/stderr.log"))
        if not logs:
            continue
        try:
            with logs[-1].open("rb") as f:
                f.seek(max(0, logs[-1].stat().st_size - _TAIL_BYTES))
                text = f.read().decode("utf-8", errors="replace")
        except OSError:
            continue
        line = last_stderr_line(text)
        if line:
            tails[rank] = line
    return tails


def last_stderr_line(text: str) -> str:
    """The last line of ``text`` that says what went wrong, on one line (at most 200
    characters, without C++ source locations): not a traceback frame or a thread dump; a C++
    ``what():`` line with the ``terminate called ...`` line before it, which names the
    exception; empty when there is none."""
    lines: list[str] = []
    after_warning = False
    for raw in text.splitlines():
        line = raw.strip()
        if after_warning and raw[:1].isspace():  # the source line under a warning
            after_warning = False
            continue
        after_warning = bool(_WARNING.match(line))
        if after_warning:
            continue
        if line and not line.startswith(_NOT_A_CAUSE) and line.strip("^~ "):
            lines.append(line)
    if not lines:
        return ""
    last = lines[-1]
    if last.startswith("what():") and len(lines) > 1 and lines[-2].startswith("terminate called"):
        last = f"{lines[-2]} {last}"
    return one_line_reason(last)


def _kind(failure: Any) -> str | None:
    data = getattr(failure, "error_file_data", None)
    if isinstance(data, dict) and isinstance(data.get("seqbucket"), dict):
        return str(data["seqbucket"].get("kind"))
    return None


def _error_of(failures: Mapping[int, Any], message: str) -> SeqbucketError:
    """A worker's own refusal stays what it was (exit 2 either way); the rest is distributed."""
    refused = any(_kind(f) == "error" for f in failures.values())
    return SeqbucketError(message) if refused else DistributedError(message)


def _how(exitcode: int) -> str:
    if exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


@contextlib.contextmanager
def _launcher_quiet() -> Iterator[None]:
    """The launcher's own log lines (start-up settings, the failure report with its traceback
    hint) stay off the terminal: :func:`failure_message` says what matters in one line. Ctrl-C
    goes to the workers (they checkpoint, then exit 130): torch elastic starts each in a session
    of its own, out of the terminal's reach, so the launcher hands the signal on."""
    logger = logging.getLogger("torch.distributed.elastic")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    previous = signal.signal(signal.SIGINT, lambda signum, frame: _signal_children(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        logger.setLevel(level)


def _signal_children(signum: int) -> None:
    """Send ``signum`` to this process's child processes (the workers; Linux's ``/proc``)."""
    for children in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        with contextlib.suppress(OSError, ValueError):
            for pid in children.read_text().split():
                os.kill(int(pid), signum)


@contextlib.contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before
