"""``seqbucket evaluate RUN DATA``: score a run's best checkpoint on a data set."""

from __future__ import annotations

import argparse
import json
import sys

from seqbucket.train import LoadedRun, evaluate, load_run


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("evaluate", help="score a trained run on a data set")
    p.add_argument("run_dir", metavar="RUN", help="run directory written by `seqbucket train`")
    p.add_argument("data", metavar="DATA", help="embedded name (its --split) or a data file")
    p.add_argument("--split", default="test", help="split of an embedded data set (default test)")
    p.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    p.set_defaults(func=run)


def note_checkpoint(run: LoadedRun) -> None:
    """Say on stderr when the run has no ``best.pt`` and ``last.pt`` is used instead."""
    if run.checkpoint.name != "best.pt":
        print(
            f"seqbucket: note: no best.pt in {run.checkpoint.parent}; using {run.checkpoint.name}",
            file=sys.stderr,
        )


def run(args: argparse.Namespace) -> int:
    loaded = load_run(args.run_dir)
    note_checkpoint(loaded)
    metrics = evaluate(loaded, args.data, split=args.split)
    if args.json:
        print(json.dumps(metrics))
        return 0
    for key in ("data", "examples", "accuracy", "rmse", "loss", "seconds"):
        if key not in metrics:
            continue
        value = metrics[key]
        if key == "accuracy":
            value = f"{value:.2%}"
        elif isinstance(value, float):
            value = f"{value:.4f}"
        print(f"{key}: {value}")
    return 0
