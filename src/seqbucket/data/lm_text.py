"""Plain text (``.txt``) for language modelling: next-token prediction, ``task="lm"``.

Two ways to cut a file into examples (``x = ids[:-1]``, ``y = ids[1:]`` in both):

- ``mode="line"`` (default): one example per non-blank line. ``ids = <bos> tokens <eos>``, so a
  line of n tokens gives an example of n + 1 steps: the model predicts the first token from
  ``<bos>`` and the end of the line after the last. No example is ever empty (a one-character line
  gives 2 steps). Blank lines hold no sequence and are skipped.
- ``mode="chunk"``: the whole file is one token stream (char: the raw text, newlines included;
  word: each line's tokens then ``<eos>``), cut into windows of ``chunk_size + 1`` ids that overlap
  by one, so every token after the first is predicted exactly once. Each example has
  ``chunk_size`` steps except the last, which has what remains (at least 1). A file with fewer
  than 2 tokens cannot make one example and raises ``DataError``.

The vocabulary holds ``<pad>`` = 0, ``<unk>`` = 1, ``<bos>`` = 2, ``<eos>`` = 3, then the
tokens of the file (or reuse a training ``vocab``).
"""

from __future__ import annotations

import os

import numpy as np

from seqbucket.data._files import read_text
from seqbucket.data.example import SequenceDataset
from seqbucket.data.tokenize import get_tokenizer
from seqbucket.data.vocab import BOS, DEFAULT_SPECIALS, EOS, Vocab
from seqbucket.errors import ConfigError, DataError

LM_SPECIALS = (*DEFAULT_SPECIALS, BOS, EOS)
MODES = ("line", "chunk")


def read_lm_text(
    path: str | os.PathLike[str],
    *,
    mode: str = "line",
    chunk_size: int = 128,
    tokenizer: str = "char",
    vocab: Vocab | None = None,
    min_freq: int = 1,
    max_size: int | None = None,
    lowercase: bool = False,
) -> SequenceDataset:
    """Read a text file as a language-modelling dataset (see the module docstring).

    Returns:
        ``task="lm"``; ``x`` and ``y`` are ``np.int64 (T,)`` with ``y[t] = x[t+1]`` within the
        underlying id stream.
    """
    if mode not in MODES:
        raise ConfigError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if chunk_size < 1:
        raise ConfigError(f"chunk_size must be >= 1, got {chunk_size}")
    tokenize = get_tokenizer(tokenizer)
    text, name = read_text(path)
    if lowercase:
        text = text.lower()
    if mode == "line":
        sequences = [[BOS, *tokenize(line), EOS] for line in text.splitlines() if line.strip()]
        if not sequences:
            raise DataError(f"{name}: no non-blank lines, expected text to model")
    else:
        if tokenizer == "char":
            stream = list(text)
        else:
            stream = [tok for line in text.splitlines() for tok in (*tokenize(line), EOS)]
        if len(stream) < 2:
            raise DataError(
                f"{name}: {len(stream)} token(s); language modelling needs at least 2 "
                "(an input and the next token)"
            )
        sequences = [stream]
    if vocab is None:
        vocab = Vocab.build(sequences, min_freq=min_freq, max_size=max_size, specials=LM_SPECIALS)
    if mode == "line":
        ids = [vocab.encode(s) for s in sequences]
        lengths = np.fromiter((len(s) - 1 for s in ids), dtype=np.int64, count=len(ids))
        x = np.concatenate([s[:-1] for s in ids])
        y = np.concatenate([s[1:] for s in ids])
    else:
        stream_ids = vocab.encode(sequences[0])  # (S,)
        steps = len(stream_ids) - 1  # predictions available
        starts = np.arange(0, steps, chunk_size, dtype=np.int64)
        lengths = np.minimum(chunk_size, steps - starts)
        # Overlapping windows share their boundary token: x = stream[:-1], y = stream[1:], and the
        # chunks tile those two arrays exactly.
        x = stream_ids[:-1]
        y = stream_ids[1:]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return SequenceDataset(x, offsets, y, "lm", name=name, vocab=vocab)
