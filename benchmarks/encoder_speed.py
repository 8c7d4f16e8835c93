"""Encoder speed on CPU: fused vs raw nn.LSTM, fused vs PackedSequence, and the denormal trap.

    .venv/bin/python benchmarks/encoder_speed.py            # default run, ~1-2 minutes on 2 cores
    .venv/bin/python benchmarks/encoder_speed.py --quick    # a smoke run of a few seconds

Prints the command, the machine and every figure; see docs/models.md for measured results and
``seqbucket.bench.encoder_speed`` for what each figure means.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import shlex
import sys
import time

import torch

from seqbucket.bench.encoder_speed import SpeedConfig, run


def cpu_model() -> str:
    """The CPU's model name (denormal penalties differ between CPU families)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--threads", type=int, default=2, help="torch.set_num_threads (default 2, like CI)"
    )
    parser.add_argument("--batches", type=int, default=SpeedConfig.batches)
    parser.add_argument("--packed-batches", type=int, default=SpeedConfig.packed_batches)
    parser.add_argument("--rounds", type=int, default=SpeedConfig.rounds)
    parser.add_argument("--trap-steps", type=int, default=SpeedConfig.trap_steps)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the script runs")
    args = parser.parse_args(argv)
    cfg = SpeedConfig(
        batches=args.batches, packed_batches=args.packed_batches, rounds=args.rounds,
        trap_steps=args.trap_steps,
    )  # fmt: skip
    if args.quick:
        cfg = dataclasses.replace(
            cfg, hidden_size=16, batch_size=4, batches=2, packed_batches=1, rounds=1,
            trap_length=20, trap_steps=1,
        )  # fmt: skip
    torch.set_num_threads(args.threads)
    print("command:", shlex.join([sys.executable, *sys.argv]))
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} cores, torch {torch.__version__}, "
        f"torch.get_num_threads()={torch.get_num_threads()}"
    )
    print("config:", dataclasses.asdict(cfg))
    start = time.perf_counter()
    run(cfg)
    print(f"total {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
