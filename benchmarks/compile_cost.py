"""What compiling the training step costs and when it pays, per batching strategy.

    .venv/bin/python benchmarks/compile_cost.py                       # inductor, JapaneseVowels
    .venv/bin/python benchmarks/compile_cost.py --backend aot_eager   # no C++ compiler needed
    .venv/bin/python benchmarks/compile_cost.py --strategies pad-all buckets
    .venv/bin/python benchmarks/compile_cost.py --dynamic   # one graph, symbolic time axis

For each strategy, one epoch's plan (seed 0) is trained for ``--epochs`` epochs eagerly and
compiled (``seqbucket.train.compiled.StepLoss``, the step ``train --compile`` runs), alternating
the two per epoch in one process so machine load hits both alike. It prints:

- graphs: compiled versions of the step (one per distinct batch shape) and subgraphs;
- compile: the compiled first epoch's time minus its steady epoch time;
- step ms: steady-state time per step, eager and compiled (median over the later epochs);
- break-even: epochs after which compiling has paid for itself (compile / saving per epoch),
  or "never" when the compiled step is not faster.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import time

import numpy as np
import torch

from seqbucket.batching import parse_batching, plan
from seqbucket.data import collate, load_dataset
from seqbucket.models import ModelConfig, build_model, flush_denormals
from seqbucket.train.compiled import StepLoss

# buckets: JapaneseVowels lengths run 7..29; edges near its quartiles, padded to the edge
STRATEGIES = {
    "pad-all": ("pad-all", {}),
    "buckets": ("buckets:12,16,20,29", {"pad_to": "boundary"}),
    "random": ("random", {}),
    "per-length": ("per-length", {}),
}


def epoch_seconds(step: StepLoss, model: torch.nn.Module, batches: list) -> float:
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    for batch in batches:
        optimizer.zero_grad(set_to_none=True)
        step(batch).backward()
        optimizer.step()
    return time.perf_counter() - start


def measure(name: str, backend: str, epochs: int, hidden: int, dynamic: bool) -> dict:
    ds = load_dataset("japanese-vowels")
    spec, settings = STRATEGIES[name]
    batch_plan = plan(ds.lengths, parse_batching(spec, batch_size=16, **settings), seed=0)
    batches = [
        collate([ds[int(i)] for i in idx], pad_to=int(p))
        for idx, p in zip(batch_plan.batches, batch_plan.pad_lengths, strict=True)
    ]
    config = ModelConfig(
        kind="lstm", task="classify", input_size=12, hidden_size=hidden,
        bidirectional=True, num_classes=9,
    )  # fmt: skip
    torch.manual_seed(0)
    eager_model, compiled_model = build_model(config), build_model(config)
    eager = StepLoss(eager_model, "classify", None)
    compiled = StepLoss(compiled_model, "classify", None, backend=backend, dynamic=dynamic)
    eager_s, compiled_s = [], []
    for _ in range(epochs):  # alternate: machine load hits both alike
        compiled_s.append(epoch_seconds(compiled, compiled_model, batches))
        eager_s.append(epoch_seconds(eager, eager_model, batches))
    steady_c = statistics.median(compiled_s[1:])
    steady_e = statistics.median(eager_s[1:])
    compile_s = compiled_s[0] - steady_c
    saving = steady_e - steady_c
    shapes = {tuple(b.x.shape[:2]) for b in batches}
    return {
        "strategy": name,
        "steps": len(batches),
        "shapes": len(shapes),
        **compiled.stats(),
        "compile_s": compile_s,
        "eager_ms": 1e3 * steady_e / len(batches),
        "compiled_ms": 1e3 * steady_c / len(batches),
        "break_even": compile_s / saving if saving > 0 else float("inf"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="inductor")
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=STRATEGIES)
    parser.add_argument("--epochs", type=int, default=4, help="epochs per variant (>= 2)")
    parser.add_argument("--hidden", type=int, default=64, help="LSTM width per direction")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (train default)")
    parser.add_argument("--dynamic", action="store_true", help="compile with a symbolic T")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print("$", shlex.join([sys.executable, *sys.argv]))
    mode = "dynamic T" if args.dynamic else "static shapes"
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.backend}, {mode}")
    header = (
        f"{'strategy':<11}{'steps':>6}{'shapes':>7}{'graphs':>7}{'subgr':>6}{'compile s':>10}"
        f"{'eager ms':>10}{'comp ms':>9}{'break-even':>12}"
    )
    print(header)
    with flush_denormals():
        for name in args.strategies:
            r = measure(name, args.backend, max(args.epochs, 2), args.hidden, args.dynamic)
            even = "never" if np.isinf(r["break_even"]) else f"{r['break_even']:.1f} ep"
            print(
                f"{r['strategy']:<11}{r['steps']:>6}{r['shapes']:>7}{r['compiled_graphs']:>7}"
                f"{r['subgraphs']:>6}{r['compile_s']:>10.1f}{r['eager_ms']:>10.2f}"
                f"{r['compiled_ms']:>9.2f}{even:>12}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
