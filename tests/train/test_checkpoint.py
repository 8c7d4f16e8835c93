"""Atomic checkpoints: round trip, weights_only safety, torn files, and a full disk."""

from __future__ import annotations

import errno
import os
import pickle

import pytest
import torch

from seqbucket.errors import CheckpointError
from seqbucket.train import checkpoint as ckpt
from seqbucket.train.checkpoint import load_checkpoint, save_checkpoint


def _state(value: float) -> dict:
    return {"model": {"w": torch.full((3, 4), value)}, "epoch": 2, "names": ["a", "b"]}


def test_round_trip(tmp_path):
    path = tmp_path / "c" / "last.pt"
    save_checkpoint(_state(1.5), path)
    loaded = load_checkpoint(path)
    assert torch.equal(loaded["model"]["w"], torch.full((3, 4), 1.5))
    assert loaded["epoch"] == 2 and loaded["names"] == ["a", "b"]
    # Invariant: no temporary file is left behind.
    assert [p.name for p in path.parent.iterdir()] == ["last.pt"]


def test_truncated_file_is_a_one_line_error_naming_it(tmp_path):
    path = tmp_path / "last.pt"
    save_checkpoint(_state(1.0), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert str(path) in message and "corrupt or truncated" in message and "\n" not in message


def test_garbage_and_foreign_files(tmp_path):
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(garbage)
    foreign = tmp_path / "foreign.pt"
    torch.save({"w": torch.zeros(2)}, foreign)
    with pytest.raises(CheckpointError, match="expected a seqbucket checkpoint"):
        load_checkpoint(foreign)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_loading_never_runs_code(tmp_path):
    # A pickle that would call os.system if unpickled with weights_only=False.
    path = tmp_path / "evil.pt"
    torch.save({"format": ckpt.FORMAT, "version": ckpt.VERSION, "x": _Evil()}, path)
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    assert pickle  # the module is used only to document what weights_only guards against


def test_out_of_disk_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    save_checkpoint(_state(1.0), path)

    def full_disk(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(ckpt.os, "fsync", full_disk)
    with pytest.raises(CheckpointError) as info:
        save_checkpoint(_state(2.0), path)
    message = str(info.value)
    assert "No space left on device" in message and str(path) in message and "\n" not in message
    monkeypatch.undo()
    # The old checkpoint still loads, with the old values, and no temp file is left.
    assert torch.equal(load_checkpoint(path)["model"]["w"], torch.full((3, 4), 1.0))
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]


def test_newer_format_version_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "x.pt"
    monkeypatch.setattr(ckpt, "VERSION", 99)
    save_checkpoint(_state(0.0), path)
    monkeypatch.undo()
    with pytest.raises(CheckpointError, match="format version 99"):
        load_checkpoint(path)


def test_full_disk_during_the_write_is_a_checkpoint_error(tmp_path, monkeypatch):
    # The disk fills after part of the file is out: the write itself fails, not only fsync.
    path = tmp_path / "last.pt"
    save_checkpoint(_state(1.0), path)
    real_write = os.write
    calls = []

    def filling_disk(fd, data):
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(fd, bytes(data[:100]))  # a short write, as a filling disk does
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(ckpt.os, "write", filling_disk)
    with pytest.raises(CheckpointError, match="No space left on device"):
        save_checkpoint(_state(2.0), path)
    monkeypatch.undo()
    assert len(calls) == 2  # the short write was continued, then failed
    assert torch.equal(load_checkpoint(path)["model"]["w"], torch.full((3, 4), 1.0))
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]


_FILE_SIZE_LIMIT_SCRIPT = """
import resource, signal, sys
import torch
from seqbucket.errors import CheckpointError
from seqbucket.train.checkpoint import save_checkpoint
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # over the limit: EFBIG instead of a kill
resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
try:
    save_checkpoint({"model": {"w": torch.zeros(100_000)}}, sys.argv[1])
except CheckpointError as exc:
    print("CheckpointError:", exc)
"""


def test_a_real_write_limit_gives_a_checkpoint_error_not_a_torch_runtime_error(tmp_path):
    # A real failing write (the kernel's file size limit, EFBIG), not a mock: torch's own zip
    # writer would turn it into "RuntimeError: [enforce fail at inline_container.cc] ...".
    import subprocess
    import sys

    path = tmp_path / "last.pt"
    proc = subprocess.run(
        [sys.executable, "-c", _FILE_SIZE_LIMIT_SCRIPT, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.startswith("CheckpointError: could not write checkpoint"), proc.stdout
    # There was no previous file, so the message must not promise one is intact.
    assert "there was no earlier last.pt" in proc.stdout and "intact" not in proc.stdout
    assert list(tmp_path.iterdir()) == []
