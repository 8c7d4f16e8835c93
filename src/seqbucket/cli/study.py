"""``seqbucket study NAME``: what parameter sharing buys, measured (see ``seqbucket.bench.study``).

Runs one study, prints its Markdown table and findings, and writes ``<out>/<NAME>.json``,
``<NAME>.md`` and ``<NAME>.png``.
"""

from __future__ import annotations

import argparse
import sys

# Kept here as plain names so `seqbucket study --help` never imports torch; a test checks that
# they equal the registry in seqbucket.bench.study.
STUDY_NAMES = ("params", "unseen-lengths", "position", "order")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "study",
        help="measure what parameter sharing buys: params, unseen-lengths, position, order",
        description="Run one parameter-sharing study (synthetic data made from the seeds, "
        "several seeds with 95% t-intervals) and write JSON, a Markdown table and a PNG.",
    )
    p.add_argument("name", metavar="NAME", help=f"one of: {', '.join(STUDY_NAMES)}")
    p.add_argument(
        "--quick",
        action="store_true",
        help="a small version (2 seeds, few steps) that checks the pipeline in seconds; its "
        "numbers are not findings",
    )
    p.add_argument(
        "--seeds", type=int, default=None, help="number of seeds 0..N-1 (default per study)"
    )
    p.add_argument("--out", default="studies", help="folder for the outputs (default studies)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from seqbucket.bench.study import run_study

    def log(line: str) -> None:
        if not args.quiet:
            print(line, file=sys.stderr, flush=True)

    result, paths = run_study(args.name, quick=args.quick, seeds=args.seeds, out=args.out, log=log)
    print(result.markdown())
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0
