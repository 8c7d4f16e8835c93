"""`seqbucket plan` refuses options it cannot honour, in one line, before doing any work."""

from __future__ import annotations

import subprocess
import sys

import pytest

SEQBUCKET = [sys.executable, "-m", "seqbucket"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SEQBUCKET, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plot", "edges.txt"], "--plot: expected a .png file name, got 'edges.txt'"),
    ],
)
def test_bad_plan_options_exit_2_with_one_line(tmp_path, args, message):
    proc = run("plan", "japanese-vowels", *args)
    assert proc.returncode == 2, proc.stderr
    # Invariant: one line on stderr, no traceback, no file written.
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert message in proc.stderr
    assert not (tmp_path / "edges.txt").exists()
