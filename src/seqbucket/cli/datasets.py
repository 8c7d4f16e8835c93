"""``seqbucket datasets``: a table of the embedded data sets."""

from __future__ import annotations

import argparse

from seqbucket.data import list_datasets


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("datasets", help="list the embedded data sets")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    rows = [("name", "task", "train/test", "channels", "lengths", "classes", "description")]
    missing = []
    for info in list_datasets():
        if not info.available:
            missing.append(f"{info.name}: not available ({info.requires})")
            rows.append((info.name, info.task, "-", "-", "-", "-", info.description))
            continue
        sizes = "/".join(str(info.splits[s]) for s in ("train", "test"))
        channels = str(info.num_features) if info.num_features is not None else "tokens"
        lengths = f"{info.min_length}-{info.max_length}"
        classes = str(info.num_classes) if info.num_classes is not None else "-"
        rows.append((info.name, info.task, sizes, channels, lengths, classes, info.description))
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)]
        print("  ".join([*cells, row[-1]]))
    for line in missing:
        print(line)
    print("load one with: seqbucket inspect NAME  |  seqbucket.data.load_dataset(NAME, split)")
    return 0
