"""The training loop against the fixed-shape ceiling, in one run.

    .venv/bin/python benchmarks/loop_ceiling.py                 # PLAID, LSTM 1x128, batch 32
    .venv/bin/python benchmarks/loop_ceiling.py --rounds 5 --threads 2
    .venv/bin/python benchmarks/loop_ceiling.py --profile       # + torch.profiler top items

Measures, ``--rounds`` times in one process:

- **loop**: one epoch of ``seqbucket.train.train`` (the real loop: plan, collation,
  standardisation, input checks, masked loss, clipping, AdamW, schedule, bookkeeping) on PLAID's
  training split. Its padded tokens/s is the record's real tokens/s times (1 + padding overhead),
  over the training steps only (validation and checkpoints are timed apart by the loop itself).
- **ceiling**: the same model, as the issue measured it: a raw ``nn.LSTM`` with a linear head on
  its final state, cross-entropy and AdamW, stepping on one ``(B, T)`` random batch. Its steps
  are interleaved with the loop's (after each loop step, as many padded tokens of ceiling
  steps), in the loop's own thread and denormal setting.

Prints the medians and the ratios loop/ceiling counting padded tokens and counting real tokens
(the latter also pays for the padding that the plan chose). A third figure splits the gap: the
same raw model also steps once on a random batch of each loop step's own ``(B, T)`` shape, so
"loop / raw model on its shapes" is the loop's own overhead and "raw model on its shapes /
ceiling" what the plan's mix of shapes costs the kernels. The machine may be shared: the
interleaving makes load hit both sides alike; trust the ratios, not the absolute figures.
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

from seqbucket.train import TrainConfig, train
from seqbucket.train.metrics import read_metrics


class Ceiling:
    """Raw ``nn.LSTM`` + linear head on its final state + cross-entropy + AdamW, stepping on one
    fixed ``(B, T)`` random batch: the issue's fixed-shape ceiling."""

    def __init__(self, hidden: int, batch: int, length: int, features: int) -> None:
        torch.manual_seed(0)
        self.lstm = nn.LSTM(features, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 11)
        params = [*self.lstm.parameters(), *self.head.parameters()]
        self.opt = torch.optim.AdamW(params, lr=1e-3)
        self.x = torch.randn(batch, length, features)  # (B, T, F)
        self.y = torch.randint(0, 11, (batch,))
        self.tokens_per_step = batch * length
        self.seconds = 0.0
        self.tokens = 0
        self.shape_seconds = 0.0
        self.shape_tokens = 0

    def step(self) -> None:
        self.seconds += self._step(self.x, self.y)
        self.tokens += self.tokens_per_step

    def step_shape(self, batch: int, length: int) -> None:
        """One step of the same raw model on a random batch of shape ``(batch, length)``: the
        ceiling for the plan's own shapes (counted apart, in ``shape_*``)."""
        x = torch.randn(batch, length, self.x.shape[-1])
        y = torch.randint(0, 11, (batch,))
        self.shape_seconds += self._step(x, y)
        self.shape_tokens += batch * length

    def _step(self, x: torch.Tensor, y: torch.Tensor) -> float:
        start = time.perf_counter()
        _, (h, _) = self.lstm(x)  # h: (1, B, H)
        loss = nn.functional.cross_entropy(self.head(h[-1]), y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return time.perf_counter() - start


def interleaved_epoch(config: TrainConfig, out: Path, ceiling: Ceiling) -> tuple[float, float]:
    """One epoch of the real loop with ceiling steps interleaved: after each loop step, ceiling
    steps until the ceiling has stepped on as many padded tokens as the loop. Both run in the
    same process, threads and denormal setting, within ~0.1 s of each other, so a change in
    the machine's load hits both alike. Returns (loop real tokens/s, loop padded tokens/s).

    The ceiling steps run from the progress hook the loop calls after it has timed its step
    (never inside ``_train_step``, whose time the loop records)."""
    import seqbucket.train.run as run_module
    import seqbucket.train.trainer as trainer_module
    from seqbucket.train.progress import Progress
    from seqbucket.train.trainer import Trainer

    original = Trainer._train_step
    gather = trainer_module.collate_batch
    debt = [0]
    shapes: list[tuple[int, int]] = []

    def counted(self: Trainer, *args: object, **kwargs: object) -> tuple:
        result = original(self, *args, **kwargs)  # type: ignore[arg-type]
        debt[0] += result[3]  # padded tokens of this step
        return result

    def noted(ds: object, indices: object, pad_to: int | None) -> object:
        batch = gather(ds, indices, pad_to)  # type: ignore[arg-type]
        shapes.append((int(batch.x.shape[0]), int(batch.x.shape[1])))
        return batch

    class CeilingAfterEachStep(Progress):
        def update(self, loss: float, tokens_per_s: float, padding_overhead: float) -> None:
            # The ceiling is raw PyTorch: none of the loop's settings but threads and denormals.
            was = torch.are_deterministic_algorithms_enabled()
            torch.use_deterministic_algorithms(False)
            while debt[0] > 0:
                ceiling.step()
                debt[0] -= ceiling.tokens_per_step
            ceiling.step_shape(*shapes[-1])
            torch.use_deterministic_algorithms(was)

    default_progress = run_module.Progress
    Trainer._train_step = counted  # type: ignore[method-assign,assignment]
    run_module.Progress = CeilingAfterEachStep  # type: ignore[misc]
    trainer_module.collate_batch = noted  # type: ignore[assignment]
    try:
        train(config.replace(out=str(out)), force=True)
    finally:
        Trainer._train_step = original  # type: ignore[method-assign]
        run_module.Progress = default_progress  # type: ignore[misc]
        trainer_module.collate_batch = gather
    record = read_metrics(out / "metrics.jsonl")[-1]
    real = float(record["tokens_per_s"])
    return real, real * (1.0 + float(record["padding_overhead"]))


def profile_epoch(config: TrainConfig, out: Path, top: int) -> None:
    """One epoch of the loop under torch.profiler. Prints the top operators by self CPU time
    inside the training steps only (each step is wrapped in a ``record_function`` range, so
    validation, checkpoints and the test score are left out), and the steps' total."""
    from collections import defaultdict

    from torch.profiler import ProfilerActivity, profile, record_function

    from seqbucket.train.trainer import Trainer

    original = Trainer._train_step

    def labelled(self: Trainer, *args: object, **kwargs: object) -> object:
        with record_function("train_step"):
            return original(self, *args, **kwargs)  # type: ignore[arg-type]

    Trainer._train_step = labelled  # type: ignore[method-assign,assignment]
    try:
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            train(config.replace(out=str(out), epochs=1), force=True)
    finally:
        Trainer._train_step = original  # type: ignore[method-assign]
    self_us: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    total = 0.0
    for event in prof.events():
        if event.name == "train_step":
            total += event.cpu_time_total
            continue
        parent = event.cpu_parent
        while parent is not None and parent.name != "train_step":
            parent = parent.cpu_parent
        if parent is not None:
            self_us[event.name] += event.self_cpu_time_total
            calls[event.name] += 1
    print(f"profile: {total / 1e6:.2f} s in training steps; top operators by self CPU time:")
    for name, us in sorted(self_us.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {us / total:6.1%}  {us / 1e6:7.3f} s  {calls[name]:6d} calls  {name}")


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
        frontend="none",  # the model: the LSTM on raw steps, as the ceiling runs it
    )
    print("command:", shlex.join([sys.executable, *sys.argv]))
    if args.threads is None:
        from seqbucket.train.threads import config_threads

        threads = config_threads(config)
    else:
        threads = args.threads
    print(f"threads: {threads} (torch default here: {torch.get_num_threads()})")
    loops, ceilings, reals, shaped = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        if args.profile:
            profile_epoch(config, out, args.top)
        from seqbucket.data import load_dataset

        features = int(load_dataset(args.data, split="train").num_features or 1)
        for r in range(args.rounds):
            top = Ceiling(args.hidden_size, args.batch_size, args.length, features)
            for _ in range(2):
                top.step()  # warm-up, not counted
            top.seconds, top.tokens = 0.0, 0
            real, padded = interleaved_epoch(config, out, top)
            loops.append(padded)
            reals.append(real)
            ceilings.append(top.tokens / top.seconds)
            shaped.append(top.shape_tokens / top.shape_seconds)
            print(
                f"round {r + 1}: loop {padded:,.0f} padded tok/s ({real:,.0f} real), "
                f"ceiling {ceilings[-1]:,.0f} tok/s: ratio {padded / ceilings[-1]:.2f} padded, "
                f"{real / ceilings[-1]:.2f} real; raw model on the loop's shapes "
                f"{shaped[-1]:,.0f} tok/s ({shaped[-1] / ceilings[-1]:.2f} of the ceiling), "
                f"loop/that {padded / shaped[-1]:.2f}"
            )
    loop_m, real_m, top_m = (statistics.median(v) for v in (loops, reals, ceilings))
    print(
        f"median: loop {loop_m:,.0f} padded tok/s, {real_m:,.0f} real tok/s; ceiling "
        f"{top_m:,.0f} tok/s (B={args.batch_size}, T={args.length})"
    )
    ratios = [lp / c for lp, c in zip(loops, ceilings, strict=True)]
    real_ratios = [rl / c for rl, c in zip(reals, ceilings, strict=True)]
    own = [lp / sh for lp, sh in zip(loops, shaped, strict=True)]
    mix = [sh / c for sh, c in zip(shaped, ceilings, strict=True)]
    print(
        f"the plan's shapes cost: raw model on them / ceiling median {statistics.median(mix):.2f}"
        f"; the loop's own overhead: loop / raw model on its shapes median "
        f"{statistics.median(own):.2f} ({min(own):.2f}-{max(own):.2f})"
    )
    print(
        f"ratio padded tokens: median {statistics.median(ratios):.2f} "
        f"({min(ratios):.2f}-{max(ratios):.2f}); real tokens: median "
        f"{statistics.median(real_ratios):.2f} ({min(real_ratios):.2f}-{max(real_ratios):.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
