"""Entry point: builds the argument parser from one registry of subcommand modules and turns
user errors into one line on stderr with exit code 2 (never a traceback)."""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys
from collections.abc import Sequence

from seqbucket import __version__
from seqbucket.cli._common import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, EXIT_USER_ERROR
from seqbucket.errors import SeqbucketError

# One entry per subcommand; each module defines ``register(subparsers)`` which adds its parser
# and sets ``func`` (a callable taking the parsed args and returning an exit code).
COMMANDS = (
    *("datasets", "inspect", "plan", "train", "evaluate", "predict", "generate", "report"),
    *("study", "bench", "export"),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seqbucket",
        description="Train recurrent networks on variable-length sequences with little padding.",
    )
    parser.add_argument("--version", action="version", version=f"seqbucket {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"seqbucket.cli.{name}").register(sub)
    return parser


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USER_ERROR
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        # `train` handles Ctrl-C itself (it checkpoints first); elsewhere nothing is lost.
        print("seqbucket: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `seqbucket inspect plaid | head`: the reader left before the output ended. Exit 141
        # (128 + SIGPIPE), as a shell tool killed by SIGPIPE would, so `set -o pipefail` sees
        # that the output was cut. `train` never gets here: it ignores a closed pipe and
        # finishes its run. Point stdout at devnull so Python's exit-time flush stays silent.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except SeqbucketError as exc:
        print(f"seqbucket: error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as exc:
        # Out of disk, permission denied, a path that is a directory...: the user's environment,
        # not a bug, so one line and exit 2.
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        reason = exc.strerror or errno.errorcode.get(exc.errno or 0, "") or str(exc)
        print(f"seqbucket: error: {reason}{where}", file=sys.stderr)
        return EXIT_USER_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
