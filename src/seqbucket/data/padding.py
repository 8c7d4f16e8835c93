"""``pad_sequences`` with exactly the semantics of Keras' function of that name, and ``unpad``.

NOTE [Keras defaults]: Keras pads and truncates at the *start* (``'pre'``) by default, and its
default dtype is ``'int32'``, so float data is silently cut to integers unless ``dtype`` is given.
Both are kept here for compatibility. seqbucket's own :func:`~seqbucket.data.collate.collate`
defaults to ``'post'`` instead (see NOTE [padding convention] in :mod:`seqbucket._mask`).

The pair is inverse: for sequences no longer than ``maxlen``,
``unpad(pad_sequences(s, padding=p, dtype=d), lengths, padding=p) == s``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from seqbucket._mask import check_padding_side
from seqbucket.errors import DataError


def pad_sequences(
    sequences: Sequence[Any],
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> np.ndarray:
    """Pad (and cut) sequences to one length: ``(N, maxlen, *sample_shape)``.

    Args:
        sequences: N sequences (lists or arrays), each ``(T_i, *sample_shape)``; may be empty.
        maxlen: output length; default: the longest sequence.
        dtype: output dtype (Keras' default ``'int32'``; strings are allowed with object dtype).
        padding: ``'pre'`` pads before each sequence, ``'post'`` after.
        truncating: ``'pre'`` drops the start of longer sequences, ``'post'`` their end.
        value: the padding value.

    Returns:
        ``np.ndarray (N, maxlen, *sample_shape)`` of ``dtype``; empty sequences are all padding.
    """
    if not hasattr(sequences, "__len__"):
        raise DataError("pad_sequences: `sequences` must be iterable")
    check_padding_side(padding)
    if truncating not in ("pre", "post"):
        raise DataError(f"pad_sequences: truncating must be 'pre' or 'post', got {truncating!r}")
    num_samples = len(sequences)
    lengths = []
    sample_shape: tuple[int, ...] = ()
    found_shape = False
    for i, seq in enumerate(sequences):
        try:
            lengths.append(len(seq))
        except TypeError:
            raise DataError(
                f"pad_sequences: sequence {i} has no length (got {type(seq).__name__}); "
                "`sequences` must be a list of iterables"
            ) from None
        if not found_shape and len(seq):
            # Keras takes the per-step shape from the first non-empty sequence.
            sample_shape = np.asarray(seq).shape[1:]
            found_shape = True
    if maxlen is None:
        maxlen = max(lengths) if lengths else 0
    if maxlen < 0:
        raise DataError(f"pad_sequences: maxlen must be >= 0, got {maxlen}")
    is_str = np.issubdtype(np.dtype(dtype), np.str_) or np.issubdtype(np.dtype(dtype), np.object_)
    if isinstance(value, str) and dtype is not object and not is_str:
        raise DataError(
            f"pad_sequences: dtype {dtype!r} cannot hold the string padding value {value!r}; "
            "use dtype=object"
        )
    out = np.full((num_samples, maxlen, *sample_shape), value, dtype=dtype)
    if maxlen == 0:
        return out
    for i, seq in enumerate(sequences):
        if not len(seq):
            continue
        cut = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        cut = np.asarray(cut, dtype=dtype)
        if cut.shape[1:] != sample_shape:
            raise DataError(
                f"pad_sequences: sequence {i} has step shape {cut.shape[1:]}, expected "
                f"{sample_shape} like the first non-empty sequence"
            )
        if padding == "post":
            out[i, : len(cut)] = cut
        else:
            out[i, maxlen - len(cut) :] = cut
    return out


def unpad(padded: np.ndarray, lengths: Sequence[int] | np.ndarray, padding: str = "pre") -> list:
    """Inverse of :func:`pad_sequences`: the real steps of each row.

    Args:
        padded: ``(N, T, *sample_shape)`` array (numpy, or anything ``np.asarray`` accepts, such
            as a CPU tensor).
        lengths: ``(N,)`` true lengths, each in ``0..T``.
        padding: the side that holds the padding (Keras' default ``'pre'``).

    Returns:
        A list of N arrays ``(lengths[i], *sample_shape)`` (views into ``padded``).
    """
    check_padding_side(padding)
    padded = np.asarray(padded)
    lens = np.asarray(lengths, dtype=np.int64).reshape(-1)
    if padded.ndim < 2 or len(lens) != padded.shape[0]:
        raise DataError(
            f"unpad: expected lengths for each of {padded.shape[0] if padded.ndim else 0} rows "
            f"of a (N, T, ...) array, got {len(lens)} lengths for shape {padded.shape}"
        )
    t = padded.shape[1]
    bad = np.flatnonzero((lens < 0) | (lens > t))
    if len(bad):
        i = int(bad[0])
        raise DataError(f"unpad: length {int(lens[i])} of row {i} outside 0..{t}")
    if padding == "post":
        return [padded[i, :n] for i, n in enumerate(lens.tolist())]
    return [padded[i, t - n :] for i, n in enumerate(lens.tolist())]
