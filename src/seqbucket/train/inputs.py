"""Sequences held in memory -> a ``SequenceDataset`` read as a run read its training data: what
``LoadedRun.predict(sequences)`` feeds the model.

- A text model (it has a vocabulary) takes strings, tokenized with the run's tokenizer and
  encoded with its vocabulary (unknown tokens become ``<unk>``). A language model trained line
  by line sees ``<bos>`` first, as each training line did.
- A feature model takes arrays ``(T, F)`` (or ``(T,)`` when ``F`` is 1) of finite numbers,
  ``F`` being the model's input width; they are standardised as training inputs were.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from seqbucket.data import SequenceDataset
from seqbucket.data.tokenize import get_tokenizer
from seqbucket.data.vocab import BOS
from seqbucket.errors import ConfigError, DataError

if TYPE_CHECKING:
    from seqbucket.train.artifacts import LoadedRun

NAME = "sequences"  # how errors name in-memory inputs


def dataset_from_sequences(run: LoadedRun, sequences: Sequence[Any]) -> SequenceDataset:
    """An unlabelled data set of ``sequences`` for ``run``'s model (see the module docstring).

    Raises:
        ConfigError: no sequence at all.
        DataError: an item of the wrong kind, an empty one, a wrong width or a non-finite value,
            naming its index.
    """
    if isinstance(sequences, (str, bytes)) or len(sequences) == 0:
        raise ConfigError(
            f"expected a non-empty list of sequences, got {type(sequences).__name__} "
            f"of length {len(sequences)}"
        )
    vocab = run.meta.vocab
    xs: list[np.ndarray] = []
    if vocab is not None:
        tokenize = get_tokenizer(run.config.tokenizer or "char")
        bos = [BOS] if run.meta.task == "lm" and run.config.lm_mode in (None, "line") else []
        for i, text in enumerate(sequences):
            if not isinstance(text, str):
                raise DataError(
                    f"{NAME}[{i}]: expected text (str) for the text model in {run.run_dir}, got "
                    f"{type(text).__name__}"
                )
            tokens = bos + tokenize(text)
            if not tokens:
                raise DataError(f"{NAME}[{i}]: empty sequence (no tokens in {text!r})")
            xs.append(vocab.encode(tokens))
    else:
        width = run.model_config.input_size
        for i, item in enumerate(sequences):
            if isinstance(item, str):
                raise DataError(
                    f"{NAME}[{i}]: expected an array of {width} channels per step for the "
                    f"feature model in {run.run_dir}, got text"
                )
            try:
                x = np.asarray(item, dtype=np.float32)
            except (TypeError, ValueError):
                raise DataError(f"{NAME}[{i}]: expected a (T, F) array of numbers") from None
            x = x[:, None] if x.ndim == 1 else x
            if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] != width:
                raise DataError(
                    f"{NAME}[{i}]: expected shape (T>=1, {width}), got {tuple(np.shape(item))}"
                )
            if not np.isfinite(x).all():
                raise DataError(f"{NAME}[{i}]: expected finite values, got NaN or infinity")
            xs.append(x)
    lengths = np.fromiter((len(x) for x in xs), dtype=np.int64, count=len(xs))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return SequenceDataset(
        np.concatenate(xs),
        offsets,
        None,
        run.meta.task,
        name=NAME,
        vocab=vocab,
        label_names=run.meta.label_names,
    )
