"""``seqbucket predict RUN INPUT``: predictions as JSONL, one line per input example, in order."""

from __future__ import annotations

import argparse
import sys

from seqbucket.cli._common import add_run_arguments, open_run, plural


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("predict", help="predict with a trained run (JSONL out)")
    add_run_arguments(p, input_help="JSONL, CSV or .ts file (or an embedded name)")
    p.add_argument("--output", metavar="FILE", help="write JSONL here instead of stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from seqbucket.train import predict, write_predictions

    records = predict(open_run(args.run_dir, args.threads), args.input, split=args.split)
    write_predictions(records, args.output)
    if args.output:
        print(f"wrote {plural(len(records), 'prediction')} to {args.output}", file=sys.stderr)
    return 0
