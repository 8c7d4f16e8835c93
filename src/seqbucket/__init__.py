"""seqbucket: shared-weight recurrent networks on variable-length sequences.

Batching strategies from one sequence at a time to optimal automatic buckets, measured side by
side, with padding that never changes a result.
"""

from typing import TYPE_CHECKING

from seqbucket.errors import CheckpointError, ConfigError, DataError, SeqbucketError

if TYPE_CHECKING:  # type checkers see the real signatures; at run time they load lazily
    from seqbucket._mask import lengths_to_mask
    from seqbucket.train.artifacts import load_run

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # The mask needs torch; loading it lazily keeps `import seqbucket.batching` numpy-only.
    if name == "lengths_to_mask":
        from seqbucket._mask import lengths_to_mask

        return lengths_to_mask
    if name == "load_run":  # a trained run: model, vocabulary, standardiser, labels, predict
        from seqbucket.train.artifacts import load_run

        return load_run
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CheckpointError",
    "ConfigError",
    "DataError",
    "SeqbucketError",
    "__version__",
    "lengths_to_mask",
    "load_run",
]
