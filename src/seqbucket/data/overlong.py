"""The policy for sequences longer than ``max_length``: ``error`` (default), ``drop``, ``truncate``.

Applied once when a data set is loaded (``load_dataset(..., max_length=N, overlong=...)``). What
the policy did is kept on the returned dataset as ``ds.overlong_report`` so that ``inspect``,
training logs and statistics can say how many examples were affected.
"""

from __future__ import annotations

import numpy as np

from seqbucket._tasks import OVERLONG_POLICIES
from seqbucket.data.example import PER_STEP_TASKS, OverlongReport, SequenceDataset, ragged_gather
from seqbucket.errors import ConfigError, DataError


def apply_max_length(
    ds: SequenceDataset, max_length: int, overlong: str = "error"
) -> SequenceDataset:
    """``ds`` with every example at most ``max_length`` steps long, under policy ``overlong``.

    - ``"error"``: raise ``DataError`` naming how many examples exceed the limit and the longest.
    - ``"drop"``: leave those examples out.
    - ``"truncate"``: keep their first ``max_length`` steps (per-step targets are cut alike).

    Returns ``ds`` itself when nothing is too long; otherwise a new dataset whose
    ``overlong_report`` says what happened.
    """
    if overlong not in OVERLONG_POLICIES:
        raise ConfigError(
            f"overlong must be one of {', '.join(OVERLONG_POLICIES)}, got {overlong!r}"
        )
    if int(max_length) < 1:
        raise ConfigError(f"max_length must be >= 1, got {max_length}")
    lengths = ds.lengths
    too_long = lengths > max_length
    affected = int(too_long.sum())
    if affected == 0:
        return ds
    longest = int(lengths.max())
    if overlong == "error":
        first = int(np.argmax(too_long))
        raise DataError(
            f"{ds.name}: {affected} of {len(ds)} examples are longer than max_length={max_length} "
            f"(longest {longest}, first at example {first}); use overlong='drop' or 'truncate' "
            "(CLI: --overlong)"
        )
    report = OverlongReport(overlong, int(max_length), affected, len(ds), longest)
    if overlong == "drop":
        keep = np.flatnonzero(~too_long)
        if len(keep) == 0:
            raise DataError(
                f"{ds.name}: all {len(ds)} examples are longer than max_length={max_length}; "
                "dropping them leaves nothing"
            )
        out = ds.subset(keep)
    else:
        # Keep the first min(length, N) rows of every example: a ragged gather over new lengths.
        new_lengths = np.minimum(lengths, max_length)
        rows, offsets = _prefix_rows(ds.offsets[:-1], new_lengths)
        targets = ds.targets
        if targets is not None and ds.task in PER_STEP_TASKS:
            targets = targets[rows]
        out = SequenceDataset(
            ds.values[rows],
            offsets,
            targets,
            ds.task,
            name=ds.name,
            vocab=ds.vocab,
            label_names=ds.label_names,
        )
    out.overlong_report = report
    return out


def _prefix_rows(starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``starts[i] .. starts[i] + lengths[i] - 1`` of each example, and their offsets."""
    # ragged_gather reads spans from an offsets array; interleave (start, start + len) pairs.
    spans = np.empty(2 * len(starts), dtype=np.int64)
    spans[0::2] = starts
    spans[1::2] = starts + lengths
    return ragged_gather(spans, np.arange(0, len(spans), 2, dtype=np.int64))
