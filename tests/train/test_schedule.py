"""LR schedule: warm-up then cosine or constant, a pure function of the step."""

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
