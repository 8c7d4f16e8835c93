"""LR schedule: warm-up then cosine or constant, or one-cycle; a pure function of the step."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from seqbucket.train.schedule import build_scheduler, lr_multiplier


def test_warmup_then_cosine_to_zero():
    m = [lr_multiplier(s, schedule="cosine", warmup_steps=4, total_steps=14) for s in range(16)]
    assert m[:4] == pytest.approx([0.2, 0.4, 0.6, 0.8])
    assert m[4] == 1.0
    assert m[9] == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.5)))
    assert m[14] == pytest.approx(0.0, abs=1e-12) and m[15] == pytest.approx(0.0, abs=1e-12)
    assert all(a >= b for a, b in itertools.pairwise(m[4:]))


def test_constant_after_warmup():
    assert lr_multiplier(50, schedule="constant", warmup_steps=2, total_steps=10) == 1.0


def test_scheduler_state_is_plain_and_resumes():
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([p], lr=1.0)
    sched = build_scheduler(opt, schedule="cosine", warmup_steps=2, total_steps=10)
    for _ in range(5):
        opt.step()
        sched.step()
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None]  # a closure: nothing code-like is saved
    opt2 = torch.optim.AdamW([p], lr=1.0)
    sched2 = build_scheduler(opt2, schedule="cosine", warmup_steps=2, total_steps=10)
    sched2.load_state_dict(state)
    opt2.load_state_dict(opt.state_dict())
    assert opt2.param_groups[0]["lr"] == pytest.approx(opt.param_groups[0]["lr"])


@pytest.mark.parametrize("total", [1, 2, 10, 37, 400])
def test_onecycle_equals_pytorch_onecycle_lr(total):
    # Reference: torch's OneCycleLR (cosine, its default divisors), without momentum cycling.
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    ref = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=1.0, total_steps=total, cycle_momentum=False
    )
    for step in range(total):
        got = lr_multiplier(step, schedule="onecycle", warmup_steps=7, total_steps=total)
        assert got == pytest.approx(opt.param_groups[0]["lr"], rel=1e-12, abs=1e-15), step
        opt.step()
        ref.step()


def test_onecycle_rises_then_falls_and_resumes_exactly():
    m = [lr_multiplier(s, schedule="onecycle", warmup_steps=0, total_steps=100) for s in range(100)]
    peak = m.index(max(m))
    assert m[peak] == pytest.approx(1.0) and 25 <= peak <= 30
    assert all(a <= b for a, b in itertools.pairwise(m[: peak + 1]))
    assert all(a >= b for a, b in itertools.pairwise(m[peak:]))
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([p], lr=1.0)
    sched = build_scheduler(opt, schedule="onecycle", warmup_steps=0, total_steps=100)
    for _ in range(40):
        opt.step()
        sched.step()
    opt2 = torch.optim.AdamW([p], lr=1.0)
    sched2 = build_scheduler(opt2, schedule="onecycle", warmup_steps=0, total_steps=100)
    sched2.load_state_dict(sched.state_dict())
    opt2.load_state_dict(opt.state_dict())
    assert opt2.param_groups[0]["lr"] == pytest.approx(m[40])


def test_schedule_length_is_the_sooner_of_the_epoch_and_step_limits():
    from seqbucket.train.schedule import schedule_length

    assert schedule_length(3, 10, None) == 30
    assert schedule_length(None, 10, 7) == 7
    assert schedule_length(3, 10, 25) == 25
    assert schedule_length(3, 10, 99) == 30
