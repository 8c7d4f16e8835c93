"""The ``seqbucket`` command. Thin: each subcommand lives in its own module, maps flags onto
config dataclasses and calls library functions. No logic lives here."""

from seqbucket.cli.main import main

__all__ = ["main"]
