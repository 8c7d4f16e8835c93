"""``seqbucket bench DATA``: every batching strategy and the peers, trained alike, side by side.

Thin: flags -> a base ``TrainConfig`` -> ``seqbucket.bench.runner.run_bench`` -> the summary,
written as ``bench.json``, ``bench.md`` and ``bench.png`` in ``--out`` and printed as a table.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
from pathlib import Path
from typing import Any

from seqbucket.cli._common import add_threads_argument
from seqbucket.models.config import FRONTENDS
from seqbucket.train.config import LONG_MEDIAN_LENGTH

QUICK_EPOCHS = 2  # --quick: enough for time-to-accuracy to mean something on the demo set


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "bench",
        help="train under every batching strategy and the peers; compare speed and accuracy",
        description="Train the same model for the same epochs under each strategy (ours and "
        "the peers'), over several seeds, and report real tokens/s, seconds per epoch, padding, "
        "shapes, memory, randomness, held-out loss and accuracy and time to a target accuracy.",
    )
    p.add_argument("data", metavar="DATA", help="embedded data set name or a data file")
    p.add_argument("--strategies", metavar="A,B", help="comma-separated names (default: all)")
    p.add_argument("--epochs", type=int, metavar="N", default=5, help="epochs per run (5)")
    p.add_argument("--repeats", type=int, metavar="N", default=3, help="seeds per strategy (3)")
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_EPOCHS} epochs, 1 seed, no warm-up: checks the bench, ranks nothing",
    )
    p.add_argument("--target", type=float, metavar="ACC", help="validation accuracy to time to "
                   "(default: 95%% of the best strategy's median final accuracy)")  # fmt: skip
    p.add_argument("--out", metavar="DIR", help="output directory (default: runs/bench-<data>)")
    p.add_argument("--config", metavar="FILE.toml", help="training settings; flags override it")
    p.add_argument("--model", help="rnn | gru | lstm (default: the train default)")
    p.add_argument("--hidden-size", type=int, metavar="N")
    p.add_argument("--frontend", choices=FRONTENDS, help="none | conv (default: as train picks "
                   f"it, conv at a median training length >= {LONG_MEDIAN_LENGTH})")  # fmt: skip
    p.add_argument("--batch-size", type=int, metavar="N")
    p.add_argument("--bidirectional", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--lr", type=float, metavar="X")
    p.add_argument("--seed", type=int, metavar="N", help="first seed (repeats add 1, 2...)")
    add_threads_argument(p)
    p.add_argument(
        "--report-only",
        action="store_true",
        help="train nothing: summarise the runs already in --out (runs.jsonl), e.g. of a bench "
        "that was stopped",
    )
    p.set_defaults(func=run)


def _base_config(args: argparse.Namespace) -> Any:
    from seqbucket.train import resolve_config
    from seqbucket.train.wiring import load_data, settle_for_data

    names = ("model", "hidden_size", "frontend", "batch_size", "bidirectional", "lr", "seed")
    overrides = {n: getattr(args, n) for n in (*names, "threads") if getattr(args, n) is not None}
    config = resolve_config({"data": args.data, **overrides}, config_file=args.config)
    epochs = QUICK_EPOCHS if args.quick else args.epochs
    # Every strategy trains the same epochs: no early stopping, no step limit.
    config = config.replace(epochs=epochs, max_steps=None, patience=None, quiet=True)
    # The front end settled here, as train would settle it, so that the header names the model
    # every strategy trains.
    full = load_data(config.data, "train", config=config, training=True)
    settled = settle_for_data(config, full)
    return config.replace(frontend=settled.frontend, pooling=settled.pooling)


def run(args: argparse.Namespace) -> int:
    from seqbucket.bench.progress import RunBar
    from seqbucket.bench.runner import read_runs, run_bench
    from seqbucket.bench.strategies import pick
    from seqbucket.bench.summary import summarise
    from seqbucket.bench.write import markdown, write_json, write_png
    from seqbucket.errors import ConfigError
    from seqbucket.train.threads import config_threads

    for name in ("epochs", "repeats"):
        if getattr(args, name) < 1:
            raise ConfigError(f"expected --{name} >= 1, got {getattr(args, name)}")
    if args.target is not None and not 0.0 < args.target <= 1.0:
        raise ConfigError(f"expected --target in (0, 1] (a fraction), got {args.target}")
    strategies = pick(args.strategies)
    base = _base_config(args)
    repeats = 1 if args.quick else args.repeats
    out = Path(args.out) if args.out else Path("runs") / f"bench-{base.data_name}"
    command = shlex.join(["seqbucket", *sys.argv[1:]])
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, load average {load} at start, "
        f"threads {config_threads(base)}"
    )
    front = f"conv front end {base.frontend_layers}x{base.frontend_channels}/"
    front = front + f"{base.frontend_stride} + " if base.frontend == "conv" else ""
    settings = (
        f"{front}{base.model} {base.num_layers}x{base.hidden_size}"
        f"{' bidirectional' if base.bidirectional is not False else ''}, batch size "
        f"{base.batch_size}, lr {base.lr}, {base.epochs} epochs, {repeats} seed(s) from "
        f"{base.seed}"
    )
    print(f"bench {base.data_name}: {len(strategies)} strategies | {settings} | {machine}")
    if args.report_only:
        order = {s.name: i for i, s in enumerate(strategies)}  # the table follows --strategies
        figures = [f for f in read_runs(out / "runs.jsonl") if f.strategy in order]
        figures.sort(key=lambda f: order[f.strategy])
    else:
        figures = run_bench(
            strategies,
            base,
            repeats=repeats,
            out=out,
            warmup=not args.quick,
            progress_for=lambda name, seed: RunBar(f"{name} seed {seed}", base.epochs or 1),
        )
    rows, target = summarise(figures, args.target)
    about = {s.name: s.about for s in strategies}
    table = markdown(rows, target, about)
    meta = {"command": command, "machine": machine, "settings": settings, "target": target}
    write_json(out / "bench.json", figures, rows, meta)
    (out / "bench.md").write_text(
        f"```\n{command}\n```\n\n{settings} | {machine}\n\n{table}", encoding="utf-8"
    )
    drew = write_png(out / "bench.png", rows, target, f"{base.data_name}: {settings}")
    print(table, end="")
    written = "bench.json, bench.md" + (", bench.png" if drew else " (no matplotlib: no PNG)")
    print(f"wrote {written} in {out}")
    return 0
