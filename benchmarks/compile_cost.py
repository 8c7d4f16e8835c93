"""What compiling the training step costs and when it pays, per batching strategy and per way of
making "a graph per bucket".

    .venv/bin/python benchmarks/compile_cost.py                       # inductor, both data sets
    .venv/bin/python benchmarks/compile_cost.py --backend aot_eager   # no C++ compiler needed
    .venv/bin/python benchmarks/compile_cost.py --data plaid --candidates fused dynamic
    .venv/bin/python benchmarks/compile_cost.py --growth 8 16 32 64 --data   # loop vs length

Candidates (``--candidates``):

- ``fused``: the step ``train --compile`` runs (``seqbucket.train.compiled.StepLoss``): static
  shapes, one graph per batch shape; the fused recurrent kernel stays one opaque eager op and
  everything around it (front end, pooling, head, masked loss, their backward) is compiled.
- ``dynamic``: the same with ``dynamic=True`` and a symbolic time axis (``train --dynamic``).
- ``loop``: the literal reference cells (``impl="loop"``, ``models/loop.py``), which Dynamo
  unrolls at each bucket's length into one graph without the opaque kernel.

For each (data, candidate, strategy), one epoch's plan (seed 0) is trained for ``--epochs``
epochs compiled and eagerly, alternating per epoch in one process so machine load hits both
alike. The eager baseline is always the default training step (fused, eager). Columns:

- breaks: ``torch._dynamo.explain`` on the first batch's forward: graphs and graph breaks
  (the distinct reasons are listed under the table);
- graphs: compiled versions of the step (one per distinct batch shape) and subgraphs (pieces
  between breaks, forward and backward, handed to the back end);
- compile: the compiled first epoch's time minus its steady epoch time;
- step ms: steady-state time per step, eager and compiled (median over the later epochs);
- break-even: epochs after which compiling has paid for itself (compile / saving per epoch),
  or "never" when the compiled step is not faster.

PLAID (537 series of 100-1,344 steps) is long: it uses ``--plaid-examples`` series spread over
its length range (default 64, i.e. 4 steps per epoch at batch 16) and the PLAID recipe's model
(conv front end, bidirectional GRU 128, series norm, mean-max pooling); ``per-length`` is left
out there (nearly one shape per batch: every step would compile). ``--growth T...`` times one
batch (B=16, JapaneseVowels' model) at each length T for ``fused`` and ``loop``: compile time
and steady step time against eager, to show how unrolling grows with length.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import time
from collections import Counter
from typing import Any

import numpy as np
import torch

from seqbucket.batching import parse_batching, plan
from seqbucket.data import Example, collate, load_dataset
from seqbucket.models import ModelConfig, build_model, flush_denormals
from seqbucket.train.compiled import StepLoss, _step_loss

# Per data set: the model (JapaneseVowels: the train default; PLAID: its recipe's), batch size,
# the strategies (buckets padded to their boundary) and a bucket spec (None: length quartiles).
DATA: dict[str, dict[str, Any]] = {
    "japanese-vowels": {
        "model": {"kind": "lstm", "hidden_size": 64, "bidirectional": True},
        "strategies": ("pad-all", "buckets", "random", "per-length"),
        "buckets": "buckets:12,16,20,29",
    },
    "plaid": {
        "model": {
            "kind": "gru",
            "hidden_size": 128,
            "bidirectional": True,
            "frontend": "conv",
            "frontend_channels": 128,
            "pooling": "mean-max",
            "series_norm": True,
        },
        "strategies": ("pad-all", "buckets", "random"),
        "buckets": None,
    },
}
CANDIDATES = ("fused", "dynamic", "loop")
BATCH = 16


def load(name: str, plaid_examples: int) -> Any:
    ds = load_dataset(name)
    if name == "plaid":  # evenly over the sorted lengths: the subset spans 100..1,344 steps
        order = np.argsort(ds.lengths, kind="stable")
        ds = ds.subset(order[np.linspace(0, len(ds) - 1, plaid_examples).astype(int)])
    return ds


def spec_for(name: str, strategy: str, lengths: np.ndarray) -> tuple[str, dict[str, Any]]:
    if strategy != "buckets":
        return strategy, {}
    spec = DATA[name]["buckets"]
    if spec is None:
        edges = sorted({int(np.quantile(lengths, q)) for q in (0.25, 0.5, 0.75)})
        spec = "buckets:" + ",".join(map(str, [*edges, int(lengths.max())]))
    return spec, {"pad_to": "boundary"}


def config_for(name: str, ds: Any, impl: str) -> ModelConfig:
    return ModelConfig(
        task="classify", input_size=int(ds[0].x.shape[1]), num_classes=len(ds.label_names),
        impl=impl, **DATA[name]["model"],
    )  # fmt: skip


def epoch_seconds(step: StepLoss, model: torch.nn.Module, batches: list) -> float:
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    for batch in batches:
        optimizer.zero_grad(set_to_none=True)
        step(batch).backward()
        optimizer.step()
    return time.perf_counter() - start


def explain(model: torch.nn.Module, batch: Any, dynamic: bool) -> tuple[int, int, list[str]]:
    """(graphs, graph breaks, one line per break) of the step's forward on ``batch``.
    Breaks for which explain records no reason are counted as one line saying so (Dynamo
    steps around the recurrent module call: no graph holds the kernel, checked by op name).
    ``torch._dynamo.explain`` resets Dynamo: call it before compiling anything to measure."""
    if dynamic:
        torch._dynamo.mark_dynamic(batch.x, 1)
    out = torch._dynamo.explain(_step_loss)(model, "classify", None, batch)
    reasons = [
        f"{str(r.reason).splitlines()[0][:70]} (at {_where(r.user_stack)})"
        for r in out.break_reasons
    ]
    silent = out.graph_break_count - len(reasons)
    if silent > 0:
        targets = {str(n.target) for g in out.graphs for n in g.graph.nodes}
        kernel = any(k in t for t in targets for k in ("lstm", "gru", "rnn_tanh"))
        held = "a graph holds" if kernel else "no graph holds"
        reasons += [f"{silent} break(s) without a recorded reason; {held} a recurrent kernel"]
    return out.graph_count, out.graph_break_count, reasons


def _where(stack: Any) -> str:
    """``file.py:line`` of the innermost user frame of a graph break."""
    if not stack:
        return "?"
    frame = stack[-1]
    return f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"


def measure(name: str, ds: Any, strategy: str, candidate: str, args: argparse.Namespace) -> dict:
    spec, settings = spec_for(name, strategy, ds.lengths)
    batch_plan = plan(ds.lengths, parse_batching(spec, batch_size=BATCH, **settings), seed=0)
    batches = [
        collate([ds[int(i)] for i in idx], pad_to=int(p))
        for idx, p in zip(batch_plan.batches, batch_plan.pad_lengths, strict=True)
    ]
    dynamic = candidate == "dynamic"
    impl = "loop" if candidate == "loop" else "fused"
    torch.manual_seed(0)
    eager_model = build_model(config_for(name, ds, "fused"))
    compiled_model = build_model(config_for(name, ds, impl))
    compiled_model.load_state_dict(eager_model.state_dict())  # same weights, other kernels
    graphs, breaks, reasons = explain(compiled_model, batches[0], dynamic)
    eager = StepLoss(eager_model, "classify", None)
    compiled = StepLoss(compiled_model, "classify", None, backend=args.backend, dynamic=dynamic)
    eager_s, compiled_s = [], []
    for _ in range(max(args.epochs, 2)):  # alternate: machine load hits both alike
        compiled_s.append(epoch_seconds(compiled, compiled_model, batches))
        eager_s.append(epoch_seconds(eager, eager_model, batches))
    steady_c = statistics.median(compiled_s[1:])
    steady_e = statistics.median(eager_s[1:])
    compile_s = compiled_s[0] - steady_c
    saving = steady_e - steady_c
    return {
        "data": name,
        "candidate": candidate,
        "strategy": strategy,
        "steps": len(batches),
        "shapes": len({tuple(b.x.shape[:2]) for b in batches}),
        "explain": f"{graphs}/{breaks}",
        "reasons": reasons,
        **compiled.stats(),
        "compile_s": compile_s,
        "eager_ms": 1e3 * steady_e / len(batches),
        "compiled_ms": 1e3 * steady_c / len(batches),
        "break_even": compile_s / saving if saving > 0 else float("inf"),
    }


def growth(lengths: list[int], backend: str) -> None:
    """Compile time and step time of one (16, T) batch at each T: fused against loop."""
    print(f"\n{'T':>5}{'candidate':>10}{'compile s':>11}{'eager ms':>10}{'comp ms':>9}")
    rng = np.random.default_rng(0)
    spec = DATA["japanese-vowels"]["model"]
    for T in lengths:
        examples = [
            Example(rng.standard_normal((T, 12)).astype(np.float32), i % 9) for i in range(BATCH)
        ]
        batch = collate(examples)  # (16, T, 12), every sequence T long
        for candidate in ("fused", "loop"):
            config = ModelConfig(
                task="classify", input_size=12, num_classes=9, **spec, impl=candidate
            )
            torch.manual_seed(0)
            model = build_model(config)
            eager = StepLoss(model, "classify", None)
            compiled = StepLoss(model, "classify", None, backend=backend)
            first = _timed(compiled, batch)
            steady_c = statistics.median(_timed(compiled, batch) for _ in range(3))
            steady_e = statistics.median(_timed(eager, batch) for _ in range(3))
            print(
                f"{T:>5}{candidate:>10}{first - steady_c:>11.1f}{1e3 * steady_e:>10.2f}"
                f"{1e3 * steady_c:>9.2f}",
                flush=True,
            )


def _timed(step: StepLoss, batch: Any) -> float:
    start = time.perf_counter()
    step(batch).backward()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="inductor")
    parser.add_argument("--data", nargs="*", default=list(DATA), choices=DATA)
    parser.add_argument("--candidates", nargs="+", default=list(CANDIDATES), choices=CANDIDATES)
    parser.add_argument("--strategies", nargs="+", help="default: each data set's own list")
    parser.add_argument("--epochs", type=int, default=4, help="epochs per variant (>= 2)")
    parser.add_argument("--plaid-examples", type=int, default=64, help="PLAID series used")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (train default)")
    parser.add_argument("--growth", nargs="*", type=int, default=[], help="lengths T to time")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch._logging.set_logs(graph_breaks=False)  # explain lists them once, below the table
    print("$", shlex.join([sys.executable, *sys.argv]))
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.backend}")
    header = (
        f"{'data':<16}{'cand':<8}{'strategy':<11}{'steps':>6}{'shapes':>7}{'g/brk':>6}"
        f"{'graphs':>7}{'subgr':>6}{'compile s':>10}{'eager ms':>10}{'comp ms':>9}"
        f"{'break-even':>12}"
    )
    reasons: Counter[str] = Counter()
    with flush_denormals():
        for name in args.data:
            ds = load(name, args.plaid_examples)
            if name == args.data[0]:
                print(header)
            for candidate in args.candidates:
                for strategy in args.strategies or DATA[name]["strategies"]:
                    r = measure(name, ds, strategy, candidate, args)
                    reasons.update(f"{name} {candidate}: {x}" for x in r["reasons"])
                    even = "never" if np.isinf(r["break_even"]) else f"{r['break_even']:.1f} ep"
                    print(
                        f"{name:<16}{candidate:<8}{strategy:<11}{r['steps']:>6}{r['shapes']:>7}"
                        f"{r['explain']:>6}{r['compiled_graphs']:>7}{r['subgraphs']:>6}"
                        f"{r['compile_s']:>10.1f}{r['eager_ms']:>10.2f}{r['compiled_ms']:>9.2f}"
                        f"{even:>12}",
                        flush=True,
                    )
        if reasons:
            print("\ngraph breaks (torch._dynamo.explain, first batch of each row, forward;")
            print("[times seen over the rows]):")
            for reason, rows in sorted(reasons.items()):
                print(f"  {reason}  [{rows}]")
        if args.growth:
            growth(args.growth, args.backend)
    return 0


if __name__ == "__main__":
    sys.exit(main())
