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
    # --force removes only what a run writes; the user's own files stay. The new run is
    # marked INCOMPLETE until its result.json is written.
    assert sorted(p.name for p in run.path.iterdir()) == ["INCOMPLETE", "notes.txt"]


def test_resume_needs_a_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint"):
        RunDir(tmp_path / "r").prepare(force=False, resume=True)


def test_lock_refuses_a_second_holder_and_leaves_no_empty_directory(tmp_path):
    import subprocess
    import sys

    run = RunDir(tmp_path / "new")
    holder = (
        "import sys; from pathlib import Path; from seqbucket.train.rundir import RunDir\n"
        "with RunDir(Path(sys.argv[1])).locked(): print('held', flush=True); sys.stdin.read()"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", holder, str(run.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "held\n"
        with pytest.raises(ConfigError, match=f"in use by another seqbucket run \\(pid {proc.pid}"):
            with run.locked():
                pass
        # evaluate/predict on a run in progress: told to wait, not to resume or delete it.
        run.incomplete.write_text("running\n")
        with pytest.raises(CheckpointError, match=f"still training \\(pid {proc.pid}\\)"):
            run.require_complete()
        run.incomplete.unlink()
    finally:
        proc.communicate("", timeout=60)
    # Released with its holder; a refused or empty run leaves no directory behind.
    assert not run.path.exists()
    with run.locked():
        run.prepare(force=False, resume=False)
    assert run.is_incomplete()
    run.mark_complete()
    assert not run.is_incomplete() and run.path.is_dir()
