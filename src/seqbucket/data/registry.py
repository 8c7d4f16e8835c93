"""``load_dataset``: one entry point for embedded data sets (by name) and files (by path).

Embedded sets (``list_datasets()``):

- ``japanese-vowels`` (default): UEA JapaneseVowels, 270 train / 370 test, 12 channels, 9 speakers;
- ``plaid``: UEA PLAID, 537 / 537, 1 channel, lengths 100 to 1344, 11 appliance types;
- ``word-language``: char-level word -> language, built from wordfreq (the ``text`` extra).

The ``.ts`` sets are gzip copies of the archive files inside the package (``seqbucket/datasets``),
read with the same reader as a user's file. Parsed sets are cached per process; every call
returns a new :class:`SequenceDataset` over the same read-only arrays.

Files are dispatched by suffix: ``.ts`` (and ``.ts.gz``), ``.csv``, ``.tsv``, ``.jsonl``,
``.txt``, ``.npz``. For a file, the file is the split: ``split`` is ignored.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from seqbucket.data._files import check_readable, decode_text
from seqbucket.data.example import SequenceDataset
from seqbucket.data.lm_text import read_lm_text
from seqbucket.data.npz_format import read_npz
from seqbucket.data.overlong import apply_max_length
from seqbucket.data.text_files import read_records
from seqbucket.data.ts_format import parse_ts, read_ts
from seqbucket.data.vocab import Vocab
from seqbucket.data.word_language import (
    DESCRIPTION as WORD_LANGUAGE_DESCRIPTION,
)
from seqbucket.data.word_language import (
    load_word_language,
    wordfreq_available,
)
from seqbucket.errors import ConfigError, DataError, MissingFileError

SPLITS = ("train", "test", "all")
DEFAULT_DATASET = "japanese-vowels"


@dataclass(frozen=True)
class DatasetInfo:
    """What ``seqbucket datasets`` shows about one embedded data set."""

    name: str
    description: str
    task: str
    splits: dict[str, int]  # split -> number of examples ({} when the set is unavailable)
    num_features: int | None  # channels F; None for token ids
    num_classes: int | None
    min_length: int | None
    max_length: int | None
    available: bool  # False when an optional extra is missing
    requires: str | None  # how to make it available, e.g. "pip install seqbucket[text]"


@dataclass(frozen=True)
class _Embedded:
    description: str
    task: str
    files: dict[str, str] | None  # split -> file in seqbucket/datasets (None: built in code)
    extra: str | None = None  # optional dependency group this set needs


_EMBEDDED: dict[str, _Embedded] = {
    "japanese-vowels": _Embedded(
        "9 male speakers uttering the vowels /ae/: 12 LPC cepstrum channels (UCI/UEA)",
        "classify",
        {"train": "JapaneseVowels_TRAIN.ts.gz", "test": "JapaneseVowels_TEST.ts.gz"},
    ),
    "plaid": _Embedded(
        "11 appliance types from plug-load current; long, skewed lengths (PLAID1/UEA)",
        "classify",
        {"train": "PLAID_TRAIN.ts.gz", "test": "PLAID_TEST.ts.gz"},
    ),
    "word-language": _Embedded(WORD_LANGUAGE_DESCRIPTION, "classify", None, extra="text"),
}


def dataset_names() -> list[str]:
    """Names accepted by :func:`load_dataset` as embedded data sets."""
    return list(_EMBEDDED)


@lru_cache(maxsize=16)
def _embedded_ts(file: str) -> SequenceDataset:
    raw = resources.files("seqbucket").joinpath("datasets").joinpath(file).read_bytes()
    return parse_ts(decode_text(raw, file), file.removesuffix(".gz"))


def _embedded_split(
    name: str, split: str, label_names: Sequence[str] | None, vocab: Vocab | None
) -> SequenceDataset:
    spec = _EMBEDDED[name]
    if spec.files is None:
        if vocab is not None:
            ds = load_word_language(split, vocab=vocab)
        else:
            ds = _cached_word_language(split)
    else:
        if vocab is not None:
            raise DataError(f"{name} holds feature series, not tokens: a vocabulary does not apply")
        ds = _embedded_ts(spec.files[split])
    if label_names is not None and list(label_names) != ds.label_names:
        ds = _relabel(ds, list(label_names))
    return ds._with(ds.values, ds.offsets, ds.targets, name=f"{name}-{split}")


@lru_cache(maxsize=2)
def _cached_word_language(split: str) -> SequenceDataset:
    return load_word_language(split)


def _relabel(ds: SequenceDataset, names: list[str]) -> SequenceDataset:
    """``ds`` with class ids re-mapped to the order ``names`` (e.g. a training run's order)."""
    index = {n: i for i, n in enumerate(names)}
    own = ds.label_names or []
    missing = [n for n in own if n not in index]
    used = set(np.unique(ds.targets).tolist()) if ds.targets is not None else set()
    for k, label in enumerate(own):
        if label in missing and k in used:
            first = int(np.argmax(ds.targets == k))  # type: ignore[operator]
            raise DataError(
                f"{ds.name} example {first}: label {label!r} is not among the known labels "
                f"({' '.join(names)})"
            )
    mapping = np.array([index.get(n, -1) for n in own], dtype=np.int64)
    targets = mapping[ds.targets] if ds.targets is not None else None
    return ds._with(ds.values, ds.offsets, targets, label_names=names)


def list_datasets() -> list[DatasetInfo]:
    """Every embedded data set with its sizes, channels and length range."""
    out = []
    for name, spec in _EMBEDDED.items():
        available = spec.extra != "text" or wordfreq_available()
        requires = None if available else f"pip install seqbucket[{spec.extra}]"
        splits: dict[str, int] = {}
        nf = nc = lo = hi = None
        if available:
            parts = [_embedded_split(name, s, None, None) for s in ("train", "test")]
            splits = {"train": len(parts[0]), "test": len(parts[1])}
            nf, nc = parts[0].num_features, parts[0].num_classes
            lo = min(int(p.lengths.min()) for p in parts)
            hi = max(int(p.lengths.max()) for p in parts)
        out.append(
            DatasetInfo(
                name, spec.description, spec.task, splits, nf, nc, lo, hi, available, requires
            )
        )
    return out


# suffix -> (reader, the reader options a user may pass)
_READERS: dict[str, Callable[..., SequenceDataset]] = {
    ".ts": read_ts,
    ".csv": read_records,
    ".tsv": read_records,
    ".jsonl": read_records,
    ".txt": read_lm_text,
    ".npz": read_npz,
}


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes[-1:] == [".gz"] and len(suffixes) >= 2:
        return suffixes[-2]
    return suffixes[-1] if suffixes else ""


def _read_file(
    path: Path, vocab: Vocab | None, label_names: Sequence[str] | None, options: dict[str, Any]
) -> SequenceDataset:
    check_readable(path)
    suffix = _suffix(path)
    reader = _READERS.get(suffix)
    if reader is None:
        raise DataError(
            f"{path.name}: unsupported file type {suffix or '(no suffix)'!r}; expected one of "
            f"{', '.join(_READERS)}"
        )
    accepted = set(inspect.signature(reader).parameters) - {"path"}
    kwargs = dict(options)
    if vocab is not None:
        kwargs["vocab"] = vocab
    if label_names is not None:
        kwargs["label_names"] = label_names
    if reader is read_lm_text:
        # A language model's targets come from the text itself: always labelled.
        kwargs.pop("require_labels", None)
        kwargs.pop("label_names", None)
    for key in kwargs:
        if key not in accepted:
            what = "vocabulary" if key == "vocab" else f"option {key!r}"
            raise ConfigError(
                f"{what} does not apply to {suffix} files (accepted: {', '.join(sorted(accepted))})"
            )
    return reader(path, **kwargs)


def load_dataset(
    source: str | os.PathLike[str] = DEFAULT_DATASET,
    split: str = "train",
    *,
    vocab: Vocab | None = None,
    label_names: Sequence[str] | None = None,
    max_length: int | None = None,
    overlong: str = "error",
    **reader_options: Any,
) -> SequenceDataset:
    """Load an embedded data set by name, or a file by path.

    Args:
        source: an embedded name (``list_datasets()``) or a path (.ts, .csv, .tsv, .jsonl, .txt,
            .npz).
        split: ``"train"``, ``"test"`` or ``"all"`` (train then test) for embedded sets; ignored
            for a file (the file is the split).
        vocab: the training vocabulary, so that a test split encodes tokens with the same ids.
        label_names: the training label order; a label outside it raises ``DataError``.
        max_length / overlong: sequences longer than ``max_length`` raise (``"error"``), are
            dropped (``"drop"``) or cut to ``max_length`` steps (``"truncate"``); what happened is
            in ``ds.overlong_report``.
        reader_options: for text files ``text_column``, ``label_column``, ``tokenizer``
            (``"char"``/``"word"``), ``min_freq``, ``max_size``, ``task``, ``lowercase``;
            for ``.txt`` ``mode`` (``"line"``/``"chunk"``) and ``chunk_size``; for every format but
            ``.txt`` ``require_labels`` (False for prediction inputs: ``y`` is ``None``).

    Returns:
        A :class:`SequenceDataset`.
    """
    if isinstance(source, str) and source in _EMBEDDED:
        if split not in SPLITS:
            raise ConfigError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
        options = dict(reader_options)
        require_labels = options.pop("require_labels", True)
        if options:
            raise ConfigError(
                f"option(s) {', '.join(sorted(options))} do not apply to the embedded data set "
                f"{source!r} (only to files)"
            )
        parts = [split] if split != "all" else ["train", "test"]
        loaded = [_embedded_split(source, s, label_names, vocab) for s in parts]
        ds = loaded[0] if len(loaded) == 1 else SequenceDataset.concat(loaded, f"{source}-all")
        if not require_labels:
            ds = ds._with(ds.values, ds.offsets, None)
    else:
        path = Path(source)
        if not path.exists():
            if isinstance(source, str) and not path.suffix and os.sep not in source:
                known = ", ".join(_EMBEDDED)
                raise DataError(
                    f"unknown dataset {source!r}: expected an embedded name ({known}) or a path "
                    f"to a {', '.join(_READERS)} file"
                )
            raise MissingFileError(
                f"file not found: {path} (expected an existing data file or an embedded "
                f"data set name: {', '.join(_EMBEDDED)})"
            )
        ds = _read_file(path, vocab, label_names, reader_options)
    if max_length is not None:
        ds = apply_max_length(ds, max_length, overlong)
    elif overlong != "error":
        raise ConfigError(f"overlong={overlong!r} needs max_length")
    return ds
