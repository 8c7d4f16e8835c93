"""What several subcommands share: exit codes, the RUN argument, and how numbers are printed."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from seqbucket.train.threads import MACS_PER_THREAD

EXIT_USER_ERROR = 2  # bad input, settings or files: one line on stderr, no traceback
EXIT_INTERRUPTED = 130  # the shell's convention for "stopped by SIGINT"
# The reader of stdout left (`seqbucket plan plaid | head -1`): 128 + SIGPIPE, as for any tool
# a closed pipe stops. Not for `train`, which ignores a closed pipe and finishes its run.
EXIT_BROKEN_PIPE = 141


def plural(n: int, noun: str) -> str:
    """``plural(1, "example") == "1 example"``; ``plural(2, "example") == "2 examples"``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def format_metrics(metrics: dict[str, Any]) -> str:
    """``accuracy 98.38% loss 0.0800 (370 examples)``: one line for any task's metrics (lm adds
    ``perplexity``; per-class figures get their own table, ``classmetrics.format_class_table``).
    """
    parts = []
    if "accuracy" in metrics:
        parts.append(f"accuracy {metrics['accuracy']:.2%}")
    if "rmse" in metrics:
        parts.append(f"rmse {metrics['rmse']:.4f}")
    parts.append(f"loss {metrics['loss']:.4f}")
    if "perplexity" in metrics:
        parts.append(f"perplexity {metrics['perplexity']:.2f}")
    parts.append(f"({plural(metrics['examples'], 'example')})")
    return " ".join(parts)


def add_run_arguments(p: argparse.ArgumentParser, *, input_help: str) -> None:
    """``RUN`` and the input of ``evaluate``/``predict``, with ``--split`` for embedded sets."""
    p.add_argument("run_dir", metavar="RUN", help="run directory written by `seqbucket train`")
    p.add_argument("input", metavar="DATA", help=input_help)
    p.add_argument("--split", default="test", help="split of an embedded data set (default test)")
    add_threads_argument(p)


def add_threads_argument(p: argparse.ArgumentParser) -> None:
    """``--threads N``: torch threads; unset, the run's own setting or the measured rule."""
    p.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="torch threads (default: the run's setting, else one per "
        f"{MACS_PER_THREAD:,} multiply-adds of a recurrent step, at most the idle cores)",
    )


def open_run(run_dir: str, threads: int | None = None) -> Any:
    """The trained run at ``run_dir``; says on stderr when ``last.pt`` stands in for ``best.pt``.
    ``threads`` (``--threads``) replaces the run's own thread setting for this command."""
    from seqbucket.train import load_run  # imports torch: only once a command needs it

    run = load_run(run_dir)
    if threads is not None:
        run.config = run.config.replace(threads=threads)  # checked (>= 1) by TrainConfig
    if run.checkpoint.name != "best.pt":
        print(
            f"seqbucket: note: no best.pt in {run.checkpoint.parent}; using {run.checkpoint.name}",
            file=sys.stderr,
        )
    return run
