"""The ``seqbucket`` command. Thin: each subcommand lives in its own module, maps flags onto
config dataclasses and calls library functions. No logic lives here."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from seqbucket.cli._common import EXIT_INTERRUPTED


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point (imported lazily so ``python -m seqbucket.cli.app`` runs
    without runpy's double-import warning)."""
    try:
        from seqbucket.cli.app import main as _main  # imports torch: seconds on a cold start
    except KeyboardInterrupt:
        print("seqbucket: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return _main(argv)


__all__ = ["main"]
