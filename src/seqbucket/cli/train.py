"""``seqbucket train DATA``: flags -> ``TrainConfig`` -> ``seqbucket.train.train``.

Settings resolve as defaults < ``--config FILE.toml`` (or, with ``--resume``, the run's saved
``config.toml``) < the flags given here. The resolved copy is saved as ``<run>/config.toml``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from seqbucket.train import resolve_config, train
from seqbucket.train.config import MODEL_KINDS, TASKS

EXIT_INTERRUPTED = 130  # the shell's convention for "stopped by SIGINT"

# flag destination -> TrainConfig field (identical names unless listed)
_FIELDS = (
    "data", "task", "model", "batching", "max_tokens", "batch_size", "hidden_size", "num_layers",
    "bidirectional", "dropout", "epochs", "max_steps", "lr", "seed", "val_fraction", "patience",
    "out", "checkpoint_every", "tensorboard", "quiet", "test",
)  # fmt: skip


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a model on a data set (embedded name or file) and test it",
        description="Train a recurrent model with bucketed batching; evaluate the best "
        "validation checkpoint on the test split.",
    )
    p.add_argument("data", metavar="DATA", help="embedded data set name or a data file")
    p.add_argument("--config", metavar="FILE.toml", help="settings file; flags override it")
    p.add_argument("--task", choices=TASKS, help="expected task (checked against the data)")
    p.add_argument("--model", choices=MODEL_KINDS, help="recurrent cell, or the unshared baseline")
    p.add_argument(
        "--batching",
        metavar="STRATEGY",
        help="auto | buckets:5,20,50,100 | random | pad-all | per-length | per-sample",
    )
    p.add_argument("--max-tokens", type=int, metavar="N", help="token budget per batch")
    p.add_argument("--batch-size", type=int, metavar="N")
    p.add_argument("--hidden-size", type=int, metavar="N")
    p.add_argument("--num-layers", type=int, metavar="N")
    p.add_argument(
        "--bidirectional",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="read sequences both ways (default: yes, except for lm)",
    )
    p.add_argument("--dropout", type=float, metavar="P")
    stop = p.add_mutually_exclusive_group()
    stop.add_argument("--epochs", type=int, metavar="N")
    stop.add_argument(
        "--max-steps", type=int, metavar="N", help="optimiser steps instead of epochs"
    )
    p.add_argument("--lr", type=float, metavar="X", help="AdamW peak learning rate")
    p.add_argument("--seed", type=int, metavar="N")
    p.add_argument("--val-fraction", type=float, metavar="F", help="validation share of train")
    p.add_argument("--patience", type=int, metavar="N", help="early-stopping patience (epochs)")
    p.add_argument("--out", metavar="RUN_DIR", help="run directory (default runs/<data name>)")
    p.add_argument("--force", action="store_true", help="overwrite an existing run directory")
    p.add_argument("--resume", action="store_true", help="continue from <run>/checkpoints/last.pt")
    p.add_argument(
        "--checkpoint-every", type=int, metavar="N", help="also checkpoint every N steps"
    )
    p.add_argument("--tensorboard", action="store_true", default=None, help="log to TensorBoard")
    p.add_argument("--quiet", action="store_true", default=None, help="no progress bar")
    p.add_argument("--test", metavar="DATA_OR_SPLIT", help="test file, or split name of DATA")
    p.set_defaults(func=run)


def overrides_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The flags that were given, as TrainConfig fields. ``--max-steps`` alone means steps, not
    epochs, bound the run."""
    changes = {name: getattr(args, name) for name in _FIELDS if getattr(args, name) is not None}
    if args.max_steps is not None and args.epochs is None:
        changes["epochs"] = None
    return changes


def run(args: argparse.Namespace) -> int:
    config = resolve_config(overrides_from_args(args), config_file=args.config, resume=args.resume)
    try:
        result = train(config, force=args.force, resume=args.resume)
    except KeyboardInterrupt:  # a second Ctrl-C, or one before training started
        print("seqbucket: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    if result.interrupted:
        print(
            f"seqbucket: interrupted at epoch {result.epochs + 1}, step {result.steps}; "
            f"checkpoint saved to {result.run_dir / 'checkpoints' / 'last.pt'}. Resume with: "
            f"seqbucket train {config.data} --out {result.run_dir} --resume",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    best = "none" if result.best_epoch is None else str(result.best_epoch + 1)
    print(
        f"trained {result.epochs} epochs ({result.steps} steps, stopped by {result.stop_reason}), "
        f"best validation epoch {best}, in {result.seconds:.1f} s; run in {result.run_dir}"
    )
    if result.val:
        print("validation: " + _format(result.val))
    if result.test:
        print("test: " + _format(result.test))
    return 0


def _format(metrics: dict[str, Any]) -> str:
    parts = []
    if "accuracy" in metrics:
        parts.append(f"accuracy {metrics['accuracy']:.2%}")
    if "rmse" in metrics:
        parts.append(f"rmse {metrics['rmse']:.4f}")
    parts.append(f"loss {metrics['loss']:.4f}")
    parts.append(f"({metrics['examples']} examples)")
    return " ".join(parts)
