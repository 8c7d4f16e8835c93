"""``seqbucket train DATA``: flags -> ``TrainConfig`` -> ``seqbucket.train.train``.

Settings resolve as defaults < ``--config FILE.toml`` (or, with ``--resume``, the run's saved
``config.toml``) < the flags given here. The resolved copy is saved as ``<run>/config.toml``.
Every flag is generated from a ``TrainConfig`` field and its comment (``cli/_flags.py``), and
defaults to "unset" so that a config file's value is not overridden; the help shows the
``TrainConfig`` default that then applies.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from seqbucket.cli._common import EXIT_INTERRUPTED, EXIT_USER_ERROR, format_metrics, plural
from seqbucket.cli._flags import add_config_flags
from seqbucket.errors import SeqbucketError
from seqbucket.train import TrainConfig, resolve_config, train
from seqbucket.train.config import CHOICES, field_types, is_optional
from seqbucket.train.progress import write_line
from seqbucket.train.recipes import recipe_names, recipe_path

# How some generated flags are shown or spelled; what they mean lives in TrainConfig alone.
_METAVARS = {"batching": "STRATEGY", "out": "RUN_DIR", "test": "DATA_OR_SPLIT"}
_ALIASES = {"lm_mode": ("--mode",)}
_FIELDS: tuple[str, ...] = ()  # every TrainConfig field, filled by register()
# --quick: enough steps to pass through every stage (train, validate, checkpoint, test).
QUICK_STEPS = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    global _FIELDS
    p = subparsers.add_parser(
        "train",
        help="train a model on a data set (embedded name or file) and test it",
        description="Train a recurrent model with bucketed batching; evaluate the best "
        "validation checkpoint on the test split. Settings resolve as defaults < --config "
        "FILE.toml (or, with --resume, the run's saved config.toml) < flags.",
    )
    source = p.add_mutually_exclusive_group()
    source.add_argument("--config", metavar="FILE.toml", help="settings file; flags override it")
    source.add_argument(
        "--recipe",
        choices=recipe_names(),
        help="a shipped settings file tuned for one data set (flags override it)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke-test the settings (a recipe's, say): stop after {QUICK_STEPS} optimiser "
        "steps, then validate and test as usual",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing run directory")
    p.add_argument("--resume", action="store_true", help="continue from <run>/checkpoints/last.pt")
    _FIELDS = add_config_flags(
        p,
        TrainConfig,
        types=field_types,
        optional=is_optional,
        choices=CHOICES,
        positional="data",
        metavars=_METAVARS,
        aliases=_ALIASES,
    )
    p.set_defaults(func=run)


def overrides_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The flags that were given, as TrainConfig fields. ``--max-steps`` alone means steps, not
    epochs, bound the run."""
    changes = {name: getattr(args, name) for name in _FIELDS if hasattr(args, name)}
    if changes.get("max_steps") is not None and "epochs" not in changes:
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
    from seqbucket.train.distributed import launched_worker

    if launched_worker():  # started by torchrun or --nproc: one of several processes
        return _run_worker(config, args)
    if config.nproc is not None and config.nproc > 1:
        from seqbucket.train.launch import launch

        return launch(config, force=args.force, resume=args.resume)
    # A second Ctrl-C, or one before training starts, reaches cli/app.py: exit 130, one line.
    return _report(config, train(config, force=args.force, resume=args.resume))


def _run_worker(config: TrainConfig, args: argparse.Namespace) -> int:
    """One process of a multi-process run: join the group, train, report on rank 0. An error
    goes to the launcher's error file too; under ``--nproc`` the launcher alone prints it."""
    from seqbucket.train.distributed import LAUNCHED_BY_SEQBUCKET, process_group
    from seqbucket.train.launch import die_with_launcher, record_failure
    from seqbucket.train.wiring import pick_device

    die_with_launcher()
    try:
        with process_group(pick_device(config.device), config.dist_timeout) as world:
            result = train(config, force=args.force, resume=args.resume)
            if world.main:
                return _report(config, result)
            return EXIT_INTERRUPTED if result.interrupted else 0
    except SeqbucketError as exc:
        record_failure(exc)
        if os.environ.get(LAUNCHED_BY_SEQBUCKET):
            return EXIT_USER_ERROR
        raise


def _report(config: TrainConfig, result: Any) -> int:
    """Print how the run ended; the exit code."""
    if result.interrupted:
        write_line(
            sys.stderr,
            f"seqbucket: interrupted at epoch {result.epochs + 1}, step {result.steps}; "
            f"checkpoint saved to {result.run_dir / 'checkpoints' / 'last.pt'}. Resume with: "
            f"seqbucket train {config.data} --out {result.run_dir} --resume",
        )
        return EXIT_INTERRUPTED
    if result.val is None:
        kept = "no validation split, so the last epoch's weights are kept"
    else:
        kept = f"best validation epoch {result.best_epoch}"
    # A closed stdout (`| head`) is ignored: the run and its result.json are already complete.
    write_line(
        sys.stdout,
        f"trained {plural(result.epochs, 'epoch')} ({plural(result.steps, 'step')}, stopped by "
        f"{result.stop_reason}), {kept}, in {result.seconds:.1f} s; run in {result.run_dir}",
    )
    if result.val:
        write_line(sys.stdout, "validation: " + format_metrics(result.val))
    if result.test:
        write_line(sys.stdout, "test: " + format_metrics(result.test))
    return 0
