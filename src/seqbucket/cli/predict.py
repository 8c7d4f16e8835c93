"""``seqbucket predict RUN INPUT``: predictions as JSONL or CSV, one per input example, in
order."""

from __future__ import annotations

import argparse
import sys

from seqbucket.cli._common import add_run_arguments, open_run, plural
from seqbucket.train.predict import OUTPUT_FORMATS


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("predict", help="predict with a trained run (JSONL or CSV out)")
    add_run_arguments(p, input_help="JSONL, CSV or .ts file (or an embedded name)")
    p.add_argument("--output", metavar="FILE", help="write here instead of stdout")
    p.add_argument(
        "--format",
        choices=OUTPUT_FORMATS,
        help="output format (default: csv for an --output named *.csv, else jsonl)",
    )
    p.add_argument(
        "--id-column",
        metavar="NAME",
        help="copy this field of each CSV/TSV/JSONL record into the output as `id`",
    )
    p.add_argument(
        "--echo-input",
        action="store_true",
        help="add each example's input (its text, or the series) to the output as `input`",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from seqbucket.train import predict, write_predictions

    records = predict(
        open_run(args.run_dir, args.threads),
        args.input,
        split=args.split,
        id_column=args.id_column,
        echo_input=args.echo_input,
    )
    write_predictions(records, args.output, args.format)
    if args.output:
        print(f"wrote {plural(len(records), 'prediction')} to {args.output}", file=sys.stderr)
    return 0
