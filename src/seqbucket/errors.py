"""User-facing errors.

Every error a user can cause (bad data, bad flags, a corrupt checkpoint) is a subclass of
:class:`SeqbucketError`. Its message is one line that says what was expected, what arrived and
where (file, line, example index). The CLI prints it as ``seqbucket: error: <message>`` and exits
with code 2, without a traceback. Library callers can catch the specific subclass; each also
derives from the builtin a Python user would expect (``ValueError``, ``FileNotFoundError``...).
"""

from __future__ import annotations


class SeqbucketError(Exception):
    """Base of every error caused by the user's input, config or files."""


class DataError(SeqbucketError, ValueError):
    """Malformed or unusable data: empty sequence, ragged channels, NaN, unknown label..."""


class ConfigError(SeqbucketError, ValueError):
    """An invalid setting: batch size below 1, unsorted boundaries, an unknown strategy..."""


class CheckpointError(SeqbucketError):
    """A checkpoint or run directory that is missing, corrupt, truncated or incompatible."""


class MissingFileError(SeqbucketError, FileNotFoundError):
    """A path that does not exist or cannot be read."""


class TrainingError(SeqbucketError, RuntimeError):
    """Training cannot go on: the loss became NaN or infinite (divergence), or a setting would
    need more memory than the machine has."""


class ExportCheckError(SeqbucketError):
    """An exported model whose outputs, run back from the written file, differ from eager."""


class DistributedError(SeqbucketError, RuntimeError):
    """A multi-process run cannot go on: a process died, hung past the timeout, or could not
    join the others (a port in use). The message names the rank."""
