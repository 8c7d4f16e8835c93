"""The training loop against the fixed-shape ceiling, in one run.

    .venv/bin/python benchmarks/loop_ceiling.py                 # PLAID, LSTM 1x128, batch 32
    .venv/bin/python benchmarks/loop_ceiling.py --rounds 5 --threads 2
    .venv/bin/python benchmarks/loop_ceiling.py --profile       # + torch.profiler top items

Alternates, ``--rounds`` times in one process:

- **loop**: one epoch of ``seqbucket.train.train`` (the real loop: plan, collation,
  standardisation, input checks, masked loss, clipping, AdamW, schedule, bookkeeping) on PLAID's
  training split. Its padded tokens/s is the record's real tokens/s times (1 + padding overhead),
  over the training steps only (validation and checkpoints are timed apart by the loop itself).
- **ceiling**: the same model, as the issue measured it: a raw ``nn.LSTM`` with a linear head on
  its final state, cross-entropy and AdamW, stepping on one ``(B, T)`` random batch, denormals
  flushed, for as many padded tokens as the epoch.

Prints the medians and the ratios loop/ceiling counting padded tokens and counting real tokens
(the latter also pays for the padding that the plan chose). The machine may be shared: the
rounds alternate so that load hits both sides alike; trust the ratios, not the absolute figures.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from seqbucket.models import flush_denormals
from seqbucket.train import TrainConfig, train
from seqbucket.train.guards import num_threads
from seqbucket.train.metrics import read_metrics


def loop_epoch(config: TrainConfig, out: Path) -> tuple[float, float]:
    """One epoch of the real loop. Returns (real tokens/s, padded tokens/s) of its steps."""
    train(config.replace(out=str(out)), force=True)
    record = read_metrics(out / "metrics.jsonl")[-1]
    real = float(record["tokens_per_s"])
    return real, real * (1.0 + float(record["padding_overhead"]))


def ceiling(hidden: int, batch: int, length: int, features: int, tokens: int) -> float:
    """Padded tokens/s of raw ``nn.LSTM`` + linear head + AdamW on one fixed ``(B, T)`` shape."""
    torch.manual_seed(0)
    lstm = nn.LSTM(features, hidden, batch_first=True)
    head = nn.Linear(hidden, 11)
    params = [*lstm.parameters(), *head.parameters()]
    opt = torch.optim.AdamW(params, lr=1e-3)
    x = torch.randn(batch, length, features)  # (B, T, F)
    y = torch.randint(0, 11, (batch,))
    steps = max(3, tokens // (batch * length))
    with flush_denormals():
        for _ in range(2):  # warm-up
            _, (h, _) = lstm(x)
            loss = nn.functional.cross_entropy(head(h[-1]), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        start = time.perf_counter()
        for _ in range(steps):
            _, (h, _) = lstm(x)  # h: (1, B, H)
            loss = nn.functional.cross_entropy(head(h[-1]), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        seconds = time.perf_counter() - start
    return steps * batch * length / seconds


def profile_epoch(config: TrainConfig, out: Path, top: int) -> None:
    """One epoch of the loop under torch.profiler; prints the top items by self CPU time."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        train(config.replace(out=str(out), epochs=1), force=True)
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=top))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="plaid")
    parser.add_argument("--rounds", type=int, default=3, help="alternations (default 3)")
    parser.add_argument("--threads", type=int, default=None, help="default: the run's rule")
    parser.add_argument("--batching", default="auto")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--length", type=int, default=300, help="ceiling's fixed T (300)")
    parser.add_argument("--profile", action="store_true", help="also profile one loop epoch")
    parser.add_argument("--top", type=int, default=15, help="profile rows (15)")
    args = parser.parse_args(argv)
    config = TrainConfig(
        data=args.data,
        model="lstm",
        hidden_size=args.hidden_size,
        bidirectional=False,
        batching=args.batching,
        batch_size=args.batch_size,
        epochs=1,
        patience=None,
        quiet=True,
        threads=args.threads,
    )
    print("command:", shlex.join([sys.executable, *sys.argv]))
    if args.threads is None:
        from seqbucket.train.threads import config_threads

        threads = config_threads(config)
    else:
        threads = args.threads
    print(f"threads: {threads} (torch default here: {torch.get_num_threads()})")
    loops, ceilings, reals = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        if args.profile:
            profile_epoch(config, out, args.top)
        from seqbucket.data import load_dataset

        ds = load_dataset(args.data, split="train")
        tokens = int(ds.lengths.sum())
        features = int(ds.num_features or 1)
        for r in range(args.rounds):
            real, padded = loop_epoch(config, out)
            with num_threads(threads):
                top = ceiling(args.hidden_size, args.batch_size, args.length, features, tokens)
            loops.append(padded)
            reals.append(real)
            ceilings.append(top)
            print(
                f"round {r + 1}: loop {padded:,.0f} padded tok/s ({real:,.0f} real), "
                f"ceiling {top:,.0f} tok/s"
            )
    loop_m, real_m, top_m = (statistics.median(v) for v in (loops, reals, ceilings))
    print(
        f"median: loop {loop_m:,.0f} padded tok/s, {real_m:,.0f} real tok/s; ceiling "
        f"{top_m:,.0f} tok/s (B={args.batch_size}, T={args.length})"
    )
    print(f"ratio padded tokens: {loop_m / top_m:.2f}; real tokens: {real_m / top_m:.2f}")
    ratios = [lp / c for lp, c in zip(loops, ceilings, strict=True)]
    print("per-round padded ratios: " + ", ".join(f"{x:.2f}" for x in ratios))
    return 0


if __name__ == "__main__":
    sys.exit(main())
