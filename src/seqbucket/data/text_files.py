"""Readers for labelled records: CSV, TSV and JSONL.

Each record (a CSV/TSV row, or a JSON object on one line) holds either

- **text** in ``text_column`` (default ``"text"``), tokenized (``"char"`` or ``"word"``) and
  encoded with a :class:`~seqbucket.data.vocab.Vocab` -> ``x: np.int64 (T,)``; or
- (JSONL only) a **numeric series** in the field ``"x"``: a list of numbers ``(T,)`` or a list of
  lists ``(T, F)`` -> ``x: np.float32 (T, F)``, so prediction can read JSONL for series models;

and a target in ``label_column`` (default ``"label"``):

- ``task="classify"``: a class label (text, a number or true/false; one kind per file, see
  :mod:`seqbucket.data.labels`);
- ``task="regress"``: a number;
- ``task=None`` (default): classify, except that numeric labels that look like quantities
  (``1.5``) raise ``DataError`` asking for ``classify`` or ``regress``;
- (JSONL) a *list* of labels, one per token or step: the task becomes ``"tag"``.

``require_labels=False`` reads prediction inputs: the label column may be absent and ``y`` is
``None``. Every error names the file and line.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from seqbucket.data._files import read_text
from seqbucket.data.example import SequenceDataset
from seqbucket.data.labels import (
    check_numeric_classes,
    encode_labels,
    label_kinds,
    label_text,
    sorted_labels,
)
from seqbucket.data.tokenize import get_tokenizer
from seqbucket.data.vocab import Vocab
from seqbucket.errors import ConfigError, DataError

SERIES_FIELD = "x"
_TEXT_TASKS = ("classify", "regress")

Record = tuple[str, dict[str, Any]]  # (where: "file line N", fields)


def _csv_records(text: str, name: str, delimiter: str, columns: Sequence[str]) -> list[Record]:
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        raise DataError(f"{name} line 1: unreadable header ({exc})") from None
    if not header:
        raise DataError(f"{name}: empty file, expected a header line naming the columns")
    for column in columns:
        if column not in header:
            raise DataError(
                f"{name} line 1: no column {column!r}; the header has {', '.join(header)}"
            )
    records = []
    try:
        for row in reader:
            if None in row.values() or None in row:
                raise DataError(
                    f"{name} line {reader.line_num}: expected {len(header)} fields like the header"
                )
            records.append((f"{name} line {reader.line_num}", row))
    except csv.Error as exc:
        raise DataError(f"{name} line {reader.line_num}: {exc}") from None
    return records


def _jsonl_records(text: str, name: str) -> list[Record]:
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{name} line {number}: not valid JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise DataError(
                f"{name} line {number}: expected a JSON object, got {type(obj).__name__}"
            )
        records.append((f"{name} line {number}", obj))
    return records


def _series(value: Any, where: str) -> np.ndarray:
    try:
        x = np.asarray(value, dtype=np.float32)
    except (ValueError, TypeError):
        raise DataError(
            f"{where}: field {SERIES_FIELD!r} must be a list of numbers or of equal-length lists"
        ) from None
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise DataError(f"{where}: field {SERIES_FIELD!r} must be (T,) or (T, F), got {x.shape}")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise DataError(f"{where}: empty sequence in field {SERIES_FIELD!r}")
    if not np.isfinite(x).all():
        t, f = np.argwhere(~np.isfinite(x))[0]
        raise DataError(f"{where}: value at step {t + 1} channel {f + 1} is NaN or infinite")
    return x


def read_records(
    path: str | os.PathLike[str],
    *,
    text_column: str = "text",
    label_column: str = "label",
    tokenizer: str = "char",
    vocab: Vocab | None = None,
    label_names: Sequence[str] | None = None,
    min_freq: int = 1,
    max_size: int | None = None,
    require_labels: bool = True,
    task: str | None = None,
    lowercase: bool = False,
) -> SequenceDataset:
    """Read a ``.csv``, ``.tsv`` or ``.jsonl`` file (see the module docstring).

    Args:
        text_column / label_column: field names of the text and the target.
        tokenizer: ``"char"`` or ``"word"``.
        vocab: reuse this vocabulary (a test split takes the training one); default: build one
            from this file with ``min_freq`` and ``max_size``.
        label_names: reuse this label order; default: the sorted labels of this file.
        require_labels: False for prediction inputs (``y`` is ``None``).
        task: ``"classify"``, ``"regress"`` or None (infer; see the module docstring); JSONL
            list labels give ``"tag"``.
        lowercase: lowercase text before tokenizing.
    """
    if task is not None and task not in _TEXT_TASKS:
        raise ConfigError(f"task for text records must be classify or regress, got {task!r}")
    tokenize = get_tokenizer(tokenizer)
    text, name = read_text(path)
    suffix = name.removesuffix(".gz").rsplit(".", 1)[-1].lower()
    if suffix in ("csv", "tsv"):
        columns = [text_column] + ([label_column] if require_labels else [])
        records = _csv_records(text, name, "\t" if suffix == "tsv" else ",", columns)
    else:
        records = _jsonl_records(text, name)
    if not records:
        raise DataError(f"{name}: no records")
    first = records[0][1]
    series = text_column not in first and SERIES_FIELD in first
    field = SERIES_FIELD if series else text_column
    xs: list[np.ndarray] = []
    token_lists: list[list[str]] = []
    raw_labels: list[Any] = []
    for where, rec in records:
        if field not in rec:
            raise DataError(f"{where}: no field {field!r} (fields: {', '.join(map(str, rec))})")
        if series:
            xs.append(_series(rec[field], where))
        else:
            value = rec[field]
            if not isinstance(value, str):
                raise DataError(
                    f"{where}: field {field!r} must be text, got {type(value).__name__}"
                )
            tokens = tokenize(value.lower() if lowercase else value)
            if not tokens:
                raise DataError(f"{where}: empty sequence (no {tokenizer} tokens in {field!r})")
            token_lists.append(tokens)
        if require_labels:
            if label_column not in rec:
                raise DataError(f"{where}: no label field {label_column!r}")
            raw_labels.append(rec[label_column])
    if series:
        widths = {x.shape[1] for x in xs}
        if len(widths) > 1:
            raise DataError(f"{name}: series have different channel counts {sorted(widths)}")
    else:
        if vocab is None:
            vocab = Vocab.build(token_lists, min_freq=min_freq, max_size=max_size)
        xs = [vocab.encode(tokens) for tokens in token_lists]
    lengths = np.fromiter((len(x) for x in xs), dtype=np.int64, count=len(xs))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    values = np.concatenate(xs)
    targets, names, task = _targets(raw_labels, records, lengths, task, label_names, require_labels)
    return SequenceDataset(
        values,
        offsets,
        targets,
        task,
        name=name,
        vocab=None if series else vocab,
        label_names=names,
    )


def _targets(
    raw: list[Any],
    records: list[Record],
    lengths: np.ndarray,
    task: str | None,
    label_names: Sequence[str] | None,
    require_labels: bool,
) -> tuple[np.ndarray | None, list[str] | None, str]:
    """``(targets, label_names, task)`` from the raw label values (see the module docstring)."""
    if not require_labels:
        return None, list(label_names) if label_names is not None else None, task or "classify"
    wheres = [where for where, _ in records]
    if any(isinstance(v, list) for v in raw):
        # Per-step tags: one label per token or step.
        pairs: list[tuple[str, str]] = []
        for value, where, n in zip(raw, wheres, lengths.tolist(), strict=True):
            if not isinstance(value, list) or len(value) != n:
                got = len(value) if isinstance(value, list) else type(value).__name__
                raise DataError(f"{where}: expected a list of {n} tags (one per step), got {got}")
            pairs.extend((label_text(v), where) for v in value)
            label_kinds([(v, where) for v in value])
        names = list(label_names) if label_names is not None else sorted_labels(p[0] for p in pairs)
        return encode_labels(pairs, names, what="tag"), names, "tag"
    if task == "regress":
        out = np.empty(len(raw), dtype=np.float32)
        for k, (value, where) in enumerate(zip(raw, wheres, strict=True)):
            if isinstance(value, bool) or value is None:
                raise DataError(f"{where}: target {value!r} is not a number")
            try:
                out[k] = float(value)
            except (TypeError, ValueError):
                raise DataError(f"{where}: target {value!r} is not a number") from None
            if not np.isfinite(out[k]):
                raise DataError(f"{where}: target {value!r} is not finite")
        return out, None, "regress"
    located = list(zip(raw, wheres, strict=True))
    kind = label_kinds(located)  # one kind per file; null and empty labels raise here
    if kind == "number" and task is None and label_names is None:
        check_numeric_classes(located, records[0][0].rsplit(" line ", 1)[0])
    pairs = [(label_text(v), where) for v, where in located]
    names = list(label_names) if label_names is not None else sorted_labels(p[0] for p in pairs)
    return encode_labels(pairs, names), names, "classify"
