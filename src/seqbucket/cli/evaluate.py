"""``seqbucket evaluate RUN DATA``: score a run's best checkpoint on a data set."""

from __future__ import annotations

import argparse
import json

from seqbucket.train import evaluate


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("evaluate", help="score a trained run on a data set")
    p.add_argument("run_dir", metavar="RUN", help="run directory written by `seqbucket train`")
    p.add_argument("data", metavar="DATA", help="embedded name (its --split) or a data file")
    p.add_argument("--split", default="test", help="split of an embedded data set (default test)")
    p.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    metrics = evaluate(args.run_dir, args.data, split=args.split)
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
