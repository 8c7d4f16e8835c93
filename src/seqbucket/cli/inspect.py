"""``seqbucket inspect DATA``: lengths of a data set and what padding to the longest wastes."""

from __future__ import annotations

import argparse
from typing import Any

from seqbucket.data import (
    OVERLONG_POLICIES,
    SPLITS,
    length_histogram,
    length_summary,
    load_dataset,
)

# Flags that map one to one onto load_dataset reader options; only those given are passed, so
# an embedded set (which takes none) is not handed defaults it would reject.
_READER_FLAGS = (
    "text_column",
    "label_column",
    "tokenizer",
    "min_freq",
    "max_size",
    "mode",
    "chunk_size",
    "task",
)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "inspect", help="length statistics and padding waste of a data set (name or file)"
    )
    p.add_argument("data", metavar="DATA", help="embedded name (see `seqbucket datasets`) or path")
    # "all" by default: inspect describes the whole data set (train then test) of an embedded
    # name; a file is always read whole.
    p.add_argument("--split", choices=SPLITS, default="all", help="embedded split (default all)")
    p.add_argument("--max-length", type=int, default=None, help="limit on sequence length")
    p.add_argument(
        "--overlong",
        choices=OVERLONG_POLICIES,
        default="error",
        help="what to do with sequences over --max-length (default error)",
    )
    p.add_argument("--bins", type=int, default=15, help="histogram bins (default 15)")
    text = p.add_argument_group("text files (.csv/.tsv/.jsonl/.txt)")
    text.add_argument("--text-column", default=None, help="text field (default text)")
    text.add_argument("--label-column", default=None, help="label field (default label)")
    text.add_argument("--tokenizer", choices=("char", "word"), default=None, help="default char")
    text.add_argument("--min-freq", type=int, default=None, help="vocabulary min count")
    text.add_argument("--max-size", type=int, default=None, help="vocabulary size cap")
    text.add_argument("--mode", choices=("line", "chunk"), default=None, help=".txt: line|chunk")
    text.add_argument("--chunk-size", type=int, default=None, help=".txt chunk length")
    text.add_argument("--task", choices=("classify", "regress"), default=None, help="label kind")
    text.add_argument(
        "--no-labels", action="store_true", help="read an unlabelled (prediction) input"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options: dict[str, Any] = {
        k: getattr(args, k) for k in _READER_FLAGS if getattr(args, k) is not None
    }
    if args.no_labels:
        options["require_labels"] = False
    ds = load_dataset(
        args.data, args.split, max_length=args.max_length, overlong=args.overlong, **options
    )
    s = length_summary(ds.lengths)
    if ds.num_features is not None:
        inputs = f"{ds.num_features} channel{'s' if ds.num_features != 1 else ''}"
    else:
        inputs = f"vocabulary of {len(ds.vocab or ())} tokens"
    classes = f", {ds.num_classes} classes" if ds.num_classes else ""
    count = f"{s.count} example{'' if s.count == 1 else 's'}"
    print(f"{ds.name}: {count}, task {ds.task}, {inputs}{classes}")
    print(f"lengths: min {s.min}, median {s.median:g}, p95 {s.p95:g}, max {s.max}")
    print(
        f"pad to longest ({s.max}): {s.padded_tokens:,} steps for {s.real_tokens:,} real tokens = "
        f"{s.padding_per_real:.2f} padding tokens per real token "
        f"({s.padding_fraction:.1%} of compute is padding)"
    )
    if ds.overlong_report is not None:
        print(f"max length: {ds.overlong_report}")
    print(f"length histogram (lengths, count):\n{length_histogram(ds.lengths, bins=args.bins)}")
    return 0
