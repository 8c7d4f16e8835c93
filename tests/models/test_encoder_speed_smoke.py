"""The encoder-speed benchmark runs end to end at tiny sizes (its figures are not asserted:
timing belongs to benchmarks/encoder_speed.py, not to tests)."""

from __future__ import annotations

import torch

from seqbucket.bench.encoder_speed import SpeedConfig, run
from seqbucket.models import flushing_denormals


def test_benchmark_runs_and_restores_the_flush_state():
    before = flushing_denormals()
    cfg = SpeedConfig(
        input_size=2, hidden_size=4, batch_size=2, batches=1, packed_batches=1, rounds=1,
        trap_length=6, trap_steps=1,
    )  # fmt: skip
    lines: list[str] = []
    figures = run(cfg, out=lines.append)
    assert flushing_denormals() == before
    assert {"a_ratio", "b_speedup", "c_ratio_flush", "c_subnormal_steps"} <= figures.keys()
    assert all(v >= 0 for v in figures.values())
    assert any(line.startswith("(c)") for line in lines)
    assert torch.get_num_threads() >= 1
