"""Run directory: never overwritten without --force; --resume needs a checkpoint."""

from __future__ import annotations

import pytest

from seqbucket.errors import CheckpointError, ConfigError
from seqbucket.train.rundir import RunDir


def test_existing_run_needs_force(tmp_path):
    run = RunDir(tmp_path / "r")
    run.prepare(force=False, resume=False)
    run.config.write_text("x = 1\n")
    run.checkpoints.mkdir()
    run.last.write_bytes(b"x")
    (run.path / "loss.png").write_bytes(b"x")
    (run.path / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="--force"):
        run.prepare(force=False, resume=False)
    run.prepare(force=True, resume=False)
    # --force removes only what a run writes; the user's own files stay.
    assert sorted(p.name for p in run.path.iterdir()) == ["notes.txt"]


def test_resume_needs_a_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint"):
        RunDir(tmp_path / "r").prepare(force=False, resume=True)
