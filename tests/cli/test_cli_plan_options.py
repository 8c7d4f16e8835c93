"""`seqbucket plan` refuses options it cannot honour, in one line, before doing any work."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plot", "edges.txt"], "--plot: expected a .png file name, got 'edges.txt'"),
    ],
)
def test_bad_plan_options_exit_2_with_one_line(tmp_path, args, message, cli):
    # Run in tmp_path so that a wrongly written plot would land where the test looks for it.
    proc = cli("plan", "japanese-vowels", *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    # Invariant: one line on stderr, no traceback, no file written.
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert message in proc.stderr
    assert not (tmp_path / "edges.txt").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--boundaries", "5,20"], "boundaries applies to strategy buckets only"),
        (["--strategy", "random", "--randomness", "0.5"], "randomness applies to strategy auto"),
        (["--strategy", "buckets:10,20,30", "--boundaries", "9"], "boundaries given twice"),
        (["--strategy", "auto", "--maxlen", "40"], "maxlen applies to strategy pad-all only"),
        (["--strategy", "pad-all", "--pad-to", "boundary"], "pad_to applies to strategy buckets"),
    ],
)
def test_options_the_strategy_never_reads_are_refused(args, message, cli):
    # Invariant: a flag is either honoured or refused, never silently ignored.
    proc = cli("plan", "japanese-vowels", *args)
    assert proc.returncode == 2, proc.stdout
    assert proc.stderr.count("\n") == 1 and message in proc.stderr


def test_buckets_can_take_their_edges_from_boundaries(cli):
    proc = cli("plan", "japanese-vowels", "--strategy", "buckets", "--boundaries", "10,20,30")
    assert proc.returncode == 0, proc.stderr
    assert "boundaries 10,20,30" in proc.stdout
