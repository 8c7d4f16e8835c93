"""``seqbucket report RUN``: PNG plots of a run's curves, written into the run directory."""

from __future__ import annotations

import argparse

from seqbucket.train import write_report


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("report", help="plot a run's curves as PNG files (plot extra)")
    p.add_argument("run_dir", metavar="RUN", help="run directory written by `seqbucket train`")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for path in write_report(args.run_dir):
        print(path)
    return 0
