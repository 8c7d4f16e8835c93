"""``seqbucket evaluate RUN DATA``: score a run's best checkpoint on a data set. Classifiers
and taggers also get a per-class table (precision, recall, F1, support) and the confusion
matrix; language models their perplexity."""

from __future__ import annotations

import argparse
import json

from seqbucket.cli._common import add_run_arguments, format_metrics, open_run


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("evaluate", help="score a trained run on a data set")
    add_run_arguments(p, input_help="embedded name (its --split) or a data file")
    p.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from seqbucket.train import evaluate

    metrics = evaluate(open_run(args.run_dir, args.threads), args.input, split=args.split)
    if args.json:
        print(json.dumps(metrics))
    else:
        print(f"{metrics.get('data', args.input)}: {format_metrics(metrics)}")
        if "per_class" in metrics:
            from seqbucket.train.classmetrics import format_class_table

            print(format_class_table(metrics["per_class"], metrics["confusion"]))
    return 0
