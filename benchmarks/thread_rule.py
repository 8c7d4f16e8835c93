"""Measure the default thread rule (``seqbucket.train.threads``) against fixed thread counts.

    .venv/bin/python benchmarks/thread_rule.py                  # demo + PLAID, 1 and 2 threads
    .venv/bin/python benchmarks/thread_rule.py --rounds 5 --threads 1,2,4

For each workload, the thread counts alternate round by round in one process (so a load change
on a shared machine hits every count alike), each training through ``seqbucket.train.train``;
the figure is the seconds of training steps (validation, checkpoints and test excluded, as the
loop records them). Prints per-round seconds, medians, each count against the best, and what
the rule picks.

Workloads: ``demo`` is ``make demo``'s run (BiLSTM 64, batch 16, auto), ``--demo-epochs``
epochs; ``plaid`` is the issue's model (LSTM 1x128 unidirectional, batch 32, auto), one epoch.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import tempfile
from pathlib import Path

from seqbucket.train import TrainConfig, train
from seqbucket.train.metrics import read_metrics
from seqbucket.train.threads import config_threads


def workloads(demo_epochs: int) -> dict[str, TrainConfig]:
    quiet = {"quiet": True, "patience": None}
    return {
        "demo": TrainConfig(data="japanese-vowels", epochs=demo_epochs, **quiet),
        "plaid": TrainConfig(
            data="plaid", hidden_size=128, bidirectional=False, batch_size=32, epochs=1, **quiet
        ),
    }


def step_seconds(config: TrainConfig, out: Path) -> float:
    train(config.replace(out=str(out)), force=True)
    return sum(float(r["train_seconds"]) for r in read_metrics(out / "metrics.jsonl"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", default="1,2", help="counts to compare (1,2)")
    parser.add_argument("--demo-epochs", type=int, default=10)
    parser.add_argument("--only", choices=("demo", "plaid"), help="one workload")
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.threads.split(",")]
    print("command:", shlex.join([sys.executable, *sys.argv]))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average {load} at start")
    with tempfile.TemporaryDirectory() as tmp:
        for name, config in workloads(args.demo_epochs).items():
            if args.only and name != args.only:
                continue
            rule = config_threads(config)
            print(f"{name}: the rule picks {rule} thread(s)")
            times: dict[int, list[float]] = {c: [] for c in counts}
            for r in range(args.rounds):
                order = counts if r % 2 == 0 else counts[::-1]  # alternate who goes first
                for c in order:
                    seconds = step_seconds(config.replace(threads=c), Path(tmp) / name)
                    times[c].append(seconds)
                print(f"  round {r + 1}: " + ", ".join(f"{c}t {times[c][-1]:.2f}s" for c in counts))
            med = {c: statistics.median(v) for c, v in times.items()}
            best = min(med.values())
            for c in counts:
                spread = f"{min(times[c]):.2f}-{max(times[c]):.2f}"
                mark = " <- rule" if c == rule else ""
                print(f"  {c} thread(s): median {med[c]:.2f}s ({spread}), {med[c] / best:.2f}x "
                      f"the best{mark}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
