"""``seqbucket train DATA``: flags -> ``TrainConfig`` -> ``seqbucket.train.train``.

Settings resolve as defaults < ``--config FILE.toml`` (or, with ``--resume``, the run's saved
``config.toml``) < the flags given here. The resolved copy is saved as ``<run>/config.toml``.
Every flag defaults to "unset" so that a config file's value is not overridden; the help shows
the ``TrainConfig`` default that then applies.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from seqbucket.cli._common import EXIT_INTERRUPTED, format_metrics, plural
from seqbucket.train import TrainConfig, resolve_config, train
from seqbucket.train.config import (
    FRONTENDS,
    LM_MODES,
    LONG_MEDIAN_LENGTH,
    MODEL_KINDS,
    OVERLONG,
    POOLINGS,
    TASKS,
    TOKENIZERS,
)
from seqbucket.train.recipes import recipe_names, recipe_path

# flag destinations that are TrainConfig fields of the same name
_FIELDS = (
    "data", "task", "model", "batching", "max_tokens", "batch_size", "hidden_size", "num_layers",
    "bidirectional", "dropout", "epochs", "max_steps", "lr", "seed", "val_fraction", "patience",
    "out", "checkpoint_every", "tensorboard", "quiet", "test",
    "text_column", "label_column", "tokenizer", "min_freq", "max_size", "lm_mode", "chunk_size",
    "max_length", "overlong",
    "frontend", "frontend_channels", "frontend_layers", "frontend_kernel", "frontend_stride",
    "pooling", "series_norm",
)  # fmt: skip

_DEFAULTS = TrainConfig()
# --quick: enough steps to pass through every stage (train, validate, checkpoint, test).
QUICK_STEPS = 3
_STRATEGIES = "auto | buckets:5,20,50,100 | random | pad-all | per-length | per-sample"


def _d(name: str, text: str = "") -> str:
    """``text`` plus the TrainConfig default of ``name`` (read, never typed twice)."""
    value = getattr(_DEFAULTS, name)
    shown = "unset" if value is None else value
    return f"{text} (default: {shown})".strip()


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a model on a data set (embedded name or file) and test it",
        description="Train a recurrent model with bucketed batching; evaluate the best "
        "validation checkpoint on the test split.",
    )
    p.add_argument(
        "data",
        metavar="DATA",
        nargs="?",
        help=_d("data", "embedded data set name or a data file; optional when --config names it"),
    )
    source = p.add_mutually_exclusive_group()
    source.add_argument("--config", metavar="FILE.toml", help="settings file; flags override it")
    source.add_argument(
        "--recipe",
        choices=recipe_names(),
        help="a shipped settings file tuned for one data set (flags override it)",
    )
    p.add_argument("--task", choices=TASKS, help=_d("task", "expected task (checked on the data)"))
    p.add_argument("--model", choices=MODEL_KINDS, help=_d("model", "recurrent cell or baseline"))
    p.add_argument(
        "--batching",
        metavar="STRATEGY",
        help=_d("batching", _STRATEGIES),
    )
    p.add_argument("--max-tokens", type=int, metavar="N", help=_d("max_tokens", "tokens/batch"))
    p.add_argument("--batch-size", type=int, metavar="N", help=_d("batch_size"))
    p.add_argument("--hidden-size", type=int, metavar="N", help=_d("hidden_size", "per direction"))
    p.add_argument("--num-layers", type=int, metavar="N", help=_d("num_layers"))
    p.add_argument(
        "--bidirectional",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="read sequences both ways (default: yes, except for lm)",
    )
    p.add_argument("--dropout", type=float, metavar="P", help=_d("dropout"))
    p.add_argument(
        "--frontend",
        choices=FRONTENDS,
        help="strided convolutions before the recurrent layers (default: conv when the median "
        f"training length is >= {LONG_MEDIAN_LENGTH}, else none)",
    )
    for name, text in (
        ("frontend_channels", "conv width"),
        ("frontend_layers", "conv layers"),
        ("frontend_kernel", "conv kernel (odd)"),
        ("frontend_stride", "conv stride"),
    ):
        p.add_argument("--" + name.replace("_", "-"), type=int, metavar="N", help=_d(name, text))
    p.add_argument(
        "--pooling",
        choices=POOLINGS,
        help="what the head reads (default: mean-max with the conv front end, else last)",
    )
    p.add_argument(
        "--series-norm",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=_d("series_norm", "z-normalise each series over its own steps"),
    )
    stop = p.add_mutually_exclusive_group()
    stop.add_argument("--epochs", type=int, metavar="N", help=_d("epochs"))
    stop.add_argument(
        "--max-steps", type=int, metavar="N", help=_d("max_steps", "optimiser steps, not epochs")
    )
    p.add_argument("--lr", type=float, metavar="X", help=_d("lr", "AdamW peak learning rate"))
    p.add_argument("--seed", type=int, metavar="N", help=_d("seed"))
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke-test the settings (a recipe's, say): stop after {QUICK_STEPS} optimiser "
        "steps, then validate and test as usual",
    )
    p.add_argument(
        "--val-fraction", type=float, metavar="F", help=_d("val_fraction", "validation share")
    )
    p.add_argument("--patience", type=int, metavar="N", help=_d("patience", "early stopping"))
    p.add_argument("--out", metavar="RUN_DIR", help="run directory (default: runs/<data name>)")
    p.add_argument("--force", action="store_true", help="overwrite an existing run directory")
    p.add_argument("--resume", action="store_true", help="continue from <run>/checkpoints/last.pt")
    p.add_argument(
        "--checkpoint-every",
        type=int,
        metavar="N",
        help=_d("checkpoint_every", "also checkpoint every N steps"),
    )
    p.add_argument("--tensorboard", action="store_true", default=None, help="log to TensorBoard")
    p.add_argument("--quiet", action="store_true", default=None, help="no progress bar")
    p.add_argument(
        "--test",
        metavar="DATA_OR_SPLIT",
        help="test file, or split name of DATA (default: the test split of an embedded set)",
    )
    text = p.add_argument_group(
        "reading files (saved in the run; evaluate and predict read their inputs the same way)"
    )
    text.add_argument("--text-column", help="text field of .csv/.tsv/.jsonl (default: text)")
    text.add_argument("--label-column", help="label field of .csv/.tsv/.jsonl (default: label)")
    text.add_argument("--tokenizer", choices=TOKENIZERS, help="text files (default: char)")
    text.add_argument("--min-freq", type=int, metavar="N", help="vocabulary min count (default 1)")
    text.add_argument(
        "--max-size", type=int, metavar="N", help="vocabulary size cap (default: none)"
    )
    text.add_argument(
        "--mode", dest="lm_mode", choices=LM_MODES, help=".txt: a sequence per line or fixed "
        "chunks (default: line)"
    )  # fmt: skip
    text.add_argument("--chunk-size", type=int, metavar="N", help=".txt chunk length (default 128)")
    text.add_argument(
        "--max-length", type=int, metavar="N", help=_d("max_length", "limit on training lengths")
    )
    text.add_argument(
        "--overlong",
        choices=OVERLONG,
        help=_d("overlong", "training sequences over --max-length; evaluate/predict truncate only"),
    )
    p.set_defaults(func=run)


def overrides_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The flags that were given, as TrainConfig fields. ``--max-steps`` alone means steps, not
    epochs, bound the run."""
    changes = {name: getattr(args, name) for name in _FIELDS if getattr(args, name) is not None}
    if args.max_steps is not None and args.epochs is None:
        changes["epochs"] = None
    if args.quick:
        changes.update(epochs=None, max_steps=QUICK_STEPS)
    return changes


def run(args: argparse.Namespace) -> int:
    config = resolve_config(
        overrides_from_args(args),
        config_file=args.config if args.recipe is None else recipe_path(args.recipe),
        resume=args.resume,
        require_data=not args.resume,
    )
    # A second Ctrl-C, or one before training starts, reaches cli/app.py: exit 130, one line.
    result = train(config, force=args.force, resume=args.resume)
    if result.interrupted:
        print(
            f"seqbucket: interrupted at epoch {result.epochs + 1}, step {result.steps}; "
            f"checkpoint saved to {result.run_dir / 'checkpoints' / 'last.pt'}. Resume with: "
            f"seqbucket train {config.data} --out {result.run_dir} --resume",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    if result.val is None:
        kept = "no validation split, so the last epoch's weights are kept"
    else:
        kept = f"best validation epoch {result.best_epoch}"
    print(
        f"trained {plural(result.epochs, 'epoch')} ({plural(result.steps, 'step')}, stopped by "
        f"{result.stop_reason}), {kept}, in {result.seconds:.1f} s; run in {result.run_dir}"
    )
    if result.val:
        print("validation: " + format_metrics(result.val))
    if result.test:
        print("test: " + format_metrics(result.test))
    return 0
