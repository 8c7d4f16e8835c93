"""seqbucket: shared-weight recurrent networks on variable-length sequences.

Batching strategies from one sequence at a time to optimal automatic buckets, measured side by
side, with padding that never changes a result.
"""

from seqbucket.errors import CheckpointError, ConfigError, DataError, SeqbucketError

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # The mask needs torch; loading it lazily keeps `import seqbucket.batching` numpy-only.
    if name == "lengths_to_mask":
        from seqbucket._mask import lengths_to_mask

        return lengths_to_mask
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CheckpointError",
    "ConfigError",
    "DataError",
    "SeqbucketError",
    "__version__",
    "lengths_to_mask",
]
