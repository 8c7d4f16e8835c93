"""The stopping rule as pure functions: after an epoch, and on resume with raised limits."""

from __future__ import annotations

import pytest

from seqbucket.train.stopping import still_stopped, stop_after_epoch


@pytest.mark.parametrize(
    ("done", "epochs", "bad", "patience", "expected"),
    [
        (3, 5, 0, None, ""),
        (5, 5, 0, None, "epochs"),
        (5, 5, 9, 2, "epochs"),  # both reached: the epoch limit is named
        (3, 5, 2, 2, "patience"),
        (3, 5, 1, 2, ""),
        (100, None, 0, None, ""),  # no limits: only max_steps (elsewhere) stops it
        (3, None, 0, 0, "patience"),
    ],
)
def test_stop_after_epoch(done, epochs, bad, patience, expected):
    assert stop_after_epoch(done, epochs, bad, patience) == expected


@pytest.mark.parametrize(
    ("reason", "epoch", "step", "epochs", "max_steps", "expected"),
    [
        ("epochs", 5, 50, 5, None, "epochs"),  # same limit: still stopped
        ("epochs", 5, 50, 8, None, ""),  # raised: continue
        ("epochs", 5, 50, None, 100, ""),  # removed: continue
        ("max_steps", 2, 30, None, 30, "max_steps"),
        ("max_steps", 2, 30, None, 60, ""),
        ("max_steps", 2, 30, 9, None, ""),
        ("patience", 5, 50, 8, 100, "patience"),  # patience is not a limit a resume raises
        ("", 5, 50, 5, None, ""),
    ],
)
def test_still_stopped(reason, epoch, step, epochs, max_steps, expected):
    assert still_stopped(reason, epoch, step, epochs, max_steps) == expected
