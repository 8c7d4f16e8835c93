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
