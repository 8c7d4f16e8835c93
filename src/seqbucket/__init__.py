"""seqbucket: shared-weight recurrent networks on variable-length sequences.

Batching strategies from one sequence at a time to optimal automatic buckets, measured side by
side, with padding that never changes a result.
"""

from seqbucket._mask import lengths_to_mask
from seqbucket.errors import CheckpointError, ConfigError, DataError, SeqbucketError

__version__ = "0.1.0"

__all__ = [
    "CheckpointError",
    "ConfigError",
    "DataError",
    "SeqbucketError",
    "__version__",
    "lengths_to_mask",
]
