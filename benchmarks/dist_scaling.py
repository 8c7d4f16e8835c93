"""Multi-process scaling on this machine: 1, 2 and 4 processes (gloo over loopback, CPU).

    .venv/bin/python benchmarks/dist_scaling.py                   # PLAID, LSTM 1x64, batch 32
    .venv/bin/python benchmarks/dist_scaling.py --worlds 1 2 --steps 10 --rounds 3

Strong scaling: the global batch stays ``--batch-size`` whatever the number of processes, and
each of ``W`` processes trains on its ``1/W`` slice of it, as ``seqbucket train --nproc W``
does (NOTE [rank slices], NOTE [exact across ranks]). One thread per process. For each ``W``,
``W`` processes run three variants, alternating, ``--rounds`` times ``--steps`` steps:

- ``auto``: the product's plan, every rank's slice padded to the global batch's pad length;
- ``random``: random batches, sliced and padded the same way (equal shapes, more padding);
- ``random, own pad``: the same random batches, but each rank pads its slice to its own
  longest sequence (what a ``DistributedSampler`` with ``pad_sequence`` gives): less padding
  per rank, unequal shapes, so the faster ranks wait for the slowest at every step.

Each step is timed in three parts: compute (forward and backward, no communication), wait
(a barrier: the time until the slowest rank has finished its compute) and all-reduce (the
gradients, one flat buffer, and the step's sums, with every rank present). DDP overlaps its
all-reduce with the backward pass in buckets; here it is done after backward, in one call,
so that waiting and communicating can be told apart. Printed per variant: steps/s and real
tokens/s (rank 0's wall time; tokens over all ranks), and the shares of the step spent
waiting and in the all-reduce (mean over ranks).

The machine this was written on has 2 cores shared with other jobs: 4 processes oversubscribe
it, and absolute figures drift with the load. Trust the ratios within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from seqbucket.batching import BucketBatchSampler, parse_batching
from seqbucket.data import SequenceDataset, gather_batch, load_dataset
from seqbucket.models import ModelConfig, build_model, flush_denormals, masked_loss
from seqbucket.train.distributed import ddp_loss_scale
from seqbucket.train.standardize import Standardizer

VARIANTS = ("auto", "random", "random, own pad")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _worker(rank: int, world: int, port: int, args: argparse.Namespace, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    ds = load_dataset(args.data, split="train")
    ds = Standardizer.fit(ds.values).apply_to(ds)
    model = build_model(
        ModelConfig(kind="lstm", task="classify", input_size=ds.num_features,
                    num_classes=ds.num_classes, hidden_size=args.hidden, bidirectional=False)
    )  # fmt: skip
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    params = list(model.parameters())
    samplers = {
        name: BucketBatchSampler(
            ds.lengths,
            parse_batching(name, batch_size=args.batch_size),
            seed=0,
            rank=rank,
            world_size=world,
        )
        for name in ("auto", "random")
    }
    sums: dict[str, dict[str, float]] = {
        v: dict(steps=0, wall=0.0, compute=0.0, wait=0.0, reduce=0.0, tokens=0.0) for v in VARIANTS
    }
    epoch = 0
    with flush_denormals():
        for _ in range(args.rounds):
            for variant in VARIANTS:
                sampler = samplers["auto" if variant == "auto" else "random"]
                sampler.set_epoch(epoch)
                epoch += 1
                for step, indices, pad_to in sampler.iter_batches():
                    if step >= args.steps:
                        break
                    own = variant == "random, own pad"
                    _step(model, opt, params, ds, indices, None if own else pad_to, world,
                          sums[variant])  # fmt: skip
    dist.barrier()
    Path(out, f"rank{rank}.json").write_text(json.dumps(sums))
    dist.destroy_process_group()


def _step(
    model: torch.nn.Module,
    opt: torch.optim.Optimizer,
    params: list[torch.nn.Parameter],
    ds: SequenceDataset,
    indices: np.ndarray,
    pad_to: int | None,
    world: int,
    acc: dict[str, float],
) -> None:
    t0 = time.perf_counter()
    standin = len(indices) == 0  # an empty slice: one example weighed by 0, as the trainer does
    batch = gather_batch(ds, indices if not standin else np.array([0]), pad_to)
    mine = 0 if standin else int(batch.x.shape[0])  # classify: one position per example
    counts = torch.tensor([float(mine), 0.0 if standin else float(batch.lengths.sum())])
    t1 = time.perf_counter()
    if world > 1:
        dist.all_reduce(counts)  # the global count of real positions (NOTE [exact across ranks])
    t2 = time.perf_counter()
    loss = masked_loss("classify", model(batch.x, batch.lengths), batch.y)
    opt.zero_grad(set_to_none=True)
    (loss * ddp_loss_scale(mine, float(counts[0]), world)).backward()
    t3 = time.perf_counter()
    if world > 1:
        dist.barrier()  # until the slowest rank has computed
    t4 = time.perf_counter()
    if world > 1:
        grads = [p.grad for p in params if p.grad is not None]
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= world  # DDP's average
        offset = 0
        for g in grads:
            g.copy_(flat[offset : offset + g.numel()].view_as(g))
            offset += g.numel()
    t5 = time.perf_counter()
    opt.step()
    t6 = time.perf_counter()
    acc["steps"] += 1
    acc["wall"] += t6 - t0
    acc["compute"] += (t1 - t0) + (t3 - t2) + (t6 - t5)
    acc["wait"] += t4 - t3
    acc["reduce"] += (t2 - t1) + (t5 - t4)
    acc["tokens"] += float(counts[1])


def measure(world: int, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """Run ``world`` processes; per variant: steps/s, real tokens/s, wait and all-reduce shares."""
    with tempfile.TemporaryDirectory() as out:
        mp.spawn(_worker, args=(world, _free_port(), args, out), nprocs=world, join=True)
        ranks = [json.loads(Path(out, f"rank{r}.json").read_text()) for r in range(world)]
    table = {}
    for v in VARIANTS:
        zero = ranks[0][v]
        table[v] = {
            "steps_per_s": zero["steps"] / zero["wall"],
            "real_tokens_per_s": zero["tokens"] / zero["wall"],
            "wait_share": statistics.mean(r[v]["wait"] / r[v]["wall"] for r in ranks),
            "allreduce_share": statistics.mean(r[v]["reduce"] / r[v]["wall"] for r in ranks),
        }
    return table


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="plaid")
    p.add_argument("--worlds", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--batch-size", type=int, default=32, help="global batch size")
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--steps", type=int, default=8, help="steps per variant and round")
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    print(f"{args.data}, LSTM 1x{args.hidden}, global batch {args.batch_size}, 1 thread per "
          f"process, {args.rounds} rounds x {args.steps} steps per variant; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    rows = {w: measure(w, args) for w in args.worlds}
    print(f"{'processes':>9} {'batching':<16} {'steps/s':>8} {'real tok/s':>11} "
          f"{'x 1 proc':>8} {'waiting':>8} {'all-reduce':>10}")  # fmt: skip
    for w, table in rows.items():
        for v, r in table.items():
            base = rows[args.worlds[0]][v]["real_tokens_per_s"]
            print(f"{w:>9} {v:<16} {r['steps_per_s']:>8.2f} {r['real_tokens_per_s']:>11,.0f} "
                  f"{r['real_tokens_per_s'] / base:>8.2f} {r['wait_share']:>8.1%} "
                  f"{r['allreduce_share']:>10.1%}")  # fmt: skip


if __name__ == "__main__":
    main()
