"""``seqbucket predict RUN INPUT``: predictions as JSONL, one line per input example, in order."""

from __future__ import annotations

import argparse
import sys

from seqbucket.cli.evaluate import note_checkpoint
from seqbucket.train import load_run, predict, write_predictions


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("predict", help="predict with a trained run (JSONL out)")
    p.add_argument("run_dir", metavar="RUN", help="run directory written by `seqbucket train`")
    p.add_argument("input", metavar="INPUT", help="JSONL, CSV or .ts file (or an embedded name)")
    p.add_argument("--output", metavar="FILE", help="write JSONL here instead of stdout")
    p.add_argument("--split", default="test", help="split of an embedded data set (default test)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    loaded = load_run(args.run_dir)
    note_checkpoint(loaded)
    records = predict(loaded, args.input, split=args.split)
    write_predictions(records, args.output)
    if args.output:
        noun = "prediction" if len(records) == 1 else "predictions"
        print(f"wrote {len(records)} {noun} to {args.output}", file=sys.stderr)
    return 0
