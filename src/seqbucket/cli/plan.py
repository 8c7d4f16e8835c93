"""``seqbucket plan DATA --strategy ...``: print a batch plan's report; optionally plot the lengths.

Maps flags onto ``BatchingConfig`` and calls ``batching.plan``; the repeat-pair fraction printed is
measured between the shown epoch and each of the ``--gaps`` epochs after it
(``repeat_over_gaps``: mean and maximum).
"""

from __future__ import annotations

import argparse

import numpy as np

from seqbucket._tasks import OVERLONG_POLICIES
from seqbucket.batching.config import DEFAULT_RANDOMNESS
from seqbucket.errors import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "plan",
        help="show how a batching strategy batches a data set (padding, shapes, randomness)",
        description="Plan one epoch of batches and print per-bucket and total statistics.",
    )
    p.add_argument("data", help="an embedded data set name (see `seqbucket datasets`) or a file")
    p.add_argument(
        "--strategy",
        default="auto",
        help="auto | random | pad-all | per-length | per-sample | buckets:5,20,50,100",
    )
    p.add_argument("--split", default="all", help="embedded sets: train, test or all (default)")
    p.add_argument("--batch-size", type=int, default=None, help="examples per batch (32)")
    p.add_argument("--boundaries", default=None, help="bucket edges, e.g. 5,20,50,100")
    p.add_argument(
        "--pad-to",
        choices=("boundary", "batch-max"),
        default=None,
        help="buckets: pad each batch to its bucket's edge (one shape per bucket) or only to "
        "its longest member (least padding; the default)",
    )
    p.add_argument(
        "--overlong",
        choices=OVERLONG_POLICIES,
        default=None,
        help="sequences longer than the last edge or --maxlen: stop with an error (default), "
        "leave them out, or cut them to the last edge",
    )
    p.add_argument("--max-tokens", type=int, default=None, help="token budget B*T per batch")
    p.add_argument("--multiple-of", type=int, default=None, help="round budget sizes down to this")
    p.add_argument(
        "--randomness",
        type=float,
        default=None,
        help="auto's knob in [0,1]: 1 - the repeat-pair fraction allowed at any epoch gap"
        f" (default {DEFAULT_RANDOMNESS})",
    )
    p.add_argument(
        "--gaps",
        type=int,
        default=10,
        help="measure the repeat-pair fraction at epoch gaps 1..GAPS (default 10)",
    )
    p.add_argument("--maxlen", type=int, default=None, help="pad-all: pad to this length")
    p.add_argument("--seed", type=int, default=0, help="shuffling seed (default 0)")
    p.add_argument("--epoch", type=int, default=0, help="which epoch's plan to show (default 0)")
    p.add_argument(
        "--world-size", type=int, default=1, help="distributed: number of ranks (default 1)"
    )
    p.add_argument("--rank", type=int, default=0, help="distributed: whose part to show (0)")
    p.add_argument(
        "--plot",
        default=None,
        metavar="OUT.png",
        help="write a PNG of the length histogram with the bucket edges drawn on it",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from seqbucket.batching import parse_batching, plan, repeat_over_gaps
    from seqbucket.data import load_dataset

    if args.plot and not args.plot.lower().endswith(".png"):
        raise ConfigError(f"--plot: expected a .png file name, got {args.plot!r}")
    config = parse_batching(
        args.strategy,
        batch_size=args.batch_size,
        boundaries=args.boundaries,
        pad_to=args.pad_to,
        overlong=args.overlong,
        max_tokens=args.max_tokens,
        multiple_of=args.multiple_of,
        randomness=args.randomness,
        maxlen=args.maxlen,
    )
    # Only lengths matter here: labels are not read, so a file's labels never stop a plan.
    lengths = np.asarray(load_dataset(args.data, split=args.split, require_labels=False).lengths)
    where = dict(seed=args.seed, rank=args.rank, world_size=args.world_size)
    this = plan(lengths, config, epoch=args.epoch, **where)
    figure = repeat_over_gaps(lengths, config, epoch=args.epoch, gaps=args.gaps, **where)
    print(f"data: {args.data} ({lengths.size} examples, lengths {lengths.min()}..{lengths.max()})")
    # Say which plan this is: `train` plans a different set (its training part, without the
    # validation share) at its own batch size, and a user comparing the two must know.
    budget = f"token budget {config.max_tokens}" if config.max_tokens else "batch size"
    size = "" if config.max_tokens else f" {config.batch_size}"
    print(
        f"shown: the {args.split!r} split, all {lengths.size} examples, at {budget}{size}; "
        "`train` plans only its training part (without --val-fraction) at its own "
        "--batch-size (see `seqbucket train --help`)"
    )
    print(this.report())
    print(
        f"measured repeat-pair fraction of epoch {args.epoch} vs the {args.gaps} epochs after it:"
        f" mean {figure['mean']:.3f}, max {figure['max']:.3f}"
    )
    if args.plot:
        plot_lengths(lengths, this.boundaries, args.plot, title=f"{args.data}: {args.strategy}")
        print(f"wrote {args.plot}")
    return 0


def plot_lengths(
    lengths: np.ndarray, boundaries: tuple[int, ...] | None, out: str, *, title: str
) -> None:
    """Write a PNG: the length histogram with each bucket boundary as a vertical line."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigError(
            "--plot needs matplotlib (the 'plot' extra: pip install 'seqbucket[plot]'),"
            " which is not installed"
        ) from None
    fig, ax = plt.subplots(figsize=(8, 4))
    values, counts = np.unique(lengths, return_counts=True)
    ax.bar(values, counts, width=max(1.0, (values[-1] - values[0]) / 200), color="tab:blue")
    for edge in boundaries or ():
        ax.axvline(edge + 0.5, color="tab:red", linewidth=1)
    ax.set_xlabel("sequence length")
    ax.set_ylabel("examples")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
