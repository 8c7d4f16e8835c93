"""Planning speed at 10 million lengths: first call and replans, per strategy.

Prints wall time (``time.perf_counter``) and CPU time (``time.process_time``, all threads of this
process) for each strategy. On a shared machine the wall time moves with the other users' load;
the CPU time is the load-robust figure (numpy runs these steps on one thread).

    .venv/bin/python benchmarks/plan_10m.py            # every strategy, 3 epochs each
    .venv/bin/python benchmarks/plan_10m.py --only auto --epochs 5
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from seqbucket.batching import plan
from seqbucket.batching.config import BatchingConfig, parse_batching

N = 10_000_000
BATCH = 32


def configs() -> dict[str, BatchingConfig]:
    """The strategies timed, each at batch size 32 (``auto+budget``: a 32 x 128 token budget;
    ``auto@0.9999``: a knob whose first call bisects the noise width, the slowest first call)."""
    return {
        "auto": parse_batching("auto", batch_size=BATCH),
        "auto@0.9999": parse_batching("auto", batch_size=BATCH, randomness=0.9999),
        "auto+budget": parse_batching("auto", batch_size=BATCH, max_tokens=BATCH * 128),
        "buckets": parse_batching("buckets:20,50,100,200,400,4000", batch_size=BATCH),
        "random": parse_batching("random", batch_size=BATCH),
        "pad-all": parse_batching("pad-all", batch_size=BATCH),
        "per-length": parse_batching("per-length", batch_size=BATCH),
    }


def lengths_10m() -> np.ndarray:
    """``(N,)`` int64 lognormal lengths clipped to 1..4000 (about 1,900 distinct values)."""
    raw = np.random.default_rng(0).lognormal(4, 0.8, N)
    return np.clip(np.round(raw), 1, 4000).astype(np.int64)


def timed(lengths: np.ndarray, config: BatchingConfig, epoch: int) -> tuple[float, float, int]:
    """``(wall s, cpu s, batches)`` of one ``plan`` call."""
    wall, cpu = time.perf_counter(), time.process_time()
    p = plan(lengths, config, epoch=epoch)
    return time.perf_counter() - wall, time.process_time() - cpu, len(p.batches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="strategies to time (default: all)")
    parser.add_argument("--epochs", type=int, default=3, help="plans per strategy (1st + rest)")
    args = parser.parse_args()
    lengths = lengths_10m()
    t = time.process_time()
    np.sort(lengths)
    pace = time.process_time() - t
    print(
        f"10,000,000 lognormal lengths, numpy {np.__version__}, load average"
        f" {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; np.sort of them: {pace:.2f} s CPU"
    )
    print(f"{'strategy':12s} {'batches':>8s} {'first wall/cpu':>15s}   replans wall/cpu (each)")
    for name, config in configs().items():
        if args.only and name not in args.only:
            continue
        runs = [timed(lengths, config, e) for e in range(args.epochs)]
        first = f"{runs[0][0]:.2f}/{runs[0][1]:.2f}"
        again = "  ".join(f"{w:.2f}/{c:.2f}" for w, c, _ in runs[1:])
        print(f"{name:12s} {runs[0][2]:>8d} {first:>15s}   {again}", flush=True)


if __name__ == "__main__":
    main()
