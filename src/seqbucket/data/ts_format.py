"""Reader for the ``.ts`` format of the UEA & UCR time-series archive (as sktime/aeon write it).

A file is ``#`` comment lines, then ``@`` header lines, then ``@data`` and one example per line:
channels separated by ``:``, values within a channel by ``,``, and the label last (when
``@classLabel true ...`` or ``@targetLabel true`` is declared). Supported headers (any case):
``@problemName``, ``@timeStamps`` (only ``false``), ``@missing``, ``@univariate``,
``@dimensions``, ``@equalLength``, ``@seriesLength``, ``@classLabel true <labels>|false``,
``@targetLabel true|false`` (regression) and ``@data``.

Each example becomes ``np.float32 (T, F)`` with ``F`` the channel count; all channels of one
example must have the same length ``T >= 1``. Values must be finite numbers: ``?`` (missing),
NaN and infinities are rejected with the file, line and channel, as is anything else that breaks
the format. Parsing is vectorised per line (one ``np.array(..., dtype=float32)`` over all the
line's values), so both PLAID files (3 MB) read in well under a second.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from seqbucket.data._files import read_text
from seqbucket.data.example import SequenceDataset
from seqbucket.errors import DataError

_BOOL_HEADERS = ("timestamps", "missing", "univariate", "equallength", "targetlabel")
_INT_HEADERS = ("dimensions", "serieslength")
_KNOWN = ("problemname", "classlabel", "data", *_BOOL_HEADERS, *_INT_HEADERS)


@dataclass
class _Header:
    """What the ``@`` lines declared (``None`` where a header was absent)."""

    problem_name: str | None = None
    univariate: bool | None = None
    dimensions: int | None = None
    equal_length: bool = False
    series_length: int | None = None
    class_labels: list[str] | None = None  # declared labels in the header's order
    target_label: bool = False
    seen: set[str] = field(default_factory=set)

    @property
    def labelled(self) -> bool:
        return self.class_labels is not None or self.target_label

    @property
    def channels(self) -> tuple[int | None, str]:
        """The declared channel count and where it was declared (for messages)."""
        if self.dimensions is not None:
            return self.dimensions, "as declared by @dimensions"
        if self.univariate:
            return 1, "as declared by @univariate true"
        return None, ""


def _parse_header(line: str, header: _Header, where: str) -> bool:
    """Record one ``@`` line in ``header``; return True when it is ``@data``."""
    words = line[1:].split(None, 1)  # "@tag value", space or tab separated
    tag = words[0] if words else ""
    rest = words[1].strip() if len(words) > 1 else ""
    key = tag.lower()
    if key not in _KNOWN:
        raise DataError(
            f"{where}: unknown header @{tag} (expected one of @problemName, @timeStamps, "
            "@missing, @univariate, @dimensions, @equalLength, @seriesLength, @classLabel, "
            "@targetLabel, @data)"
        )
    if key in header.seen:
        raise DataError(f"{where}: @{tag} declared twice")
    header.seen.add(key)
    if key == "data":
        return True
    if key == "problemname":
        header.problem_name = rest
    elif key in _BOOL_HEADERS:
        if rest.lower() not in ("true", "false"):
            raise DataError(f"{where}: @{tag} must be true or false, got {rest!r}")
        value = rest.lower() == "true"
        if key == "timestamps" and value:
            raise DataError(f"{where}: @timeStamps true is not supported (only plain values)")
        if key == "univariate":
            header.univariate = value
        elif key == "equallength":
            header.equal_length = value
        elif key == "targetlabel":
            header.target_label = value
    elif key in _INT_HEADERS:
        try:
            number = int(rest)
        except ValueError:
            number = 0
        if number < 1:
            raise DataError(f"{where}: @{tag} must be a whole number >= 1, got {rest!r}")
        if key == "dimensions":
            header.dimensions = number
        else:
            header.series_length = number
    else:  # classlabel
        words = rest.split()
        if not words or words[0].lower() not in ("true", "false"):
            raise DataError(f"{where}: @classLabel must be 'true <labels...>' or 'false'")
        if words[0].lower() == "true":
            if len(words) < 2:
                raise DataError(f"{where}: @classLabel true declares no labels")
            header.class_labels = words[1:]
    return False


def _values_of(channels: list[str], where: str) -> tuple[np.ndarray, int]:
    """``(T, F)`` float32 array of one example's channel strings, or a precise DataError."""
    split = [c.split(",") for c in channels]
    lengths = [len(s) if c.strip() else 0 for s, c in zip(split, channels, strict=True)]
    for k, n in enumerate(lengths):
        if n == 0:
            raise DataError(f"{where} channel {k + 1}: empty sequence (no values)")
    if len(set(lengths)) > 1:
        listed = ", ".join(str(n) for n in lengths)
        raise DataError(
            f"{where}: channels have different lengths ({listed}); all channels of one example "
            "must be equally long"
        )
    t = lengths[0]
    try:
        # Overflow beyond float32 becomes inf here and is reported by the finiteness check below.
        with np.errstate(over="ignore"):
            flat = np.array([v for s in split for v in s], dtype=np.float32)  # (F*T,)
    except ValueError:
        for k, s in enumerate(split):
            for j, v in enumerate(s):
                try:
                    float(v)
                except ValueError:
                    what = "missing value '?'" if v.strip() == "?" else f"cannot read {v.strip()!r}"
                    raise DataError(
                        f"{where} channel {k + 1} step {j + 1}: {what}, expected a finite number"
                    ) from None
        raise  # pragma: no cover  (numpy and float() disagree: let the real error show)
    finite = np.isfinite(flat)
    if not finite.all():
        bad = int(np.argmin(finite))
        k, j = divmod(bad, t)
        raise DataError(
            f"{where} channel {k + 1} step {j + 1}: value {split[k][j].strip()!r} is not finite "
            "(NaN, infinity or beyond float32), expected a finite number"
        )
    return flat.reshape(len(channels), t).T, t  # (T, F)


def parse_ts(
    text: str,
    name: str,
    *,
    label_names: Sequence[str] | None = None,
    require_labels: bool = True,
) -> SequenceDataset:
    """Parse ``.ts`` text (see the module docstring) into a :class:`SequenceDataset`.

    Args:
        text: the file's content.
        name: file name used in every message (``"PLAID_TRAIN.ts line 40: ..."``).
        label_names: class names in id order to reuse (a test split takes the training order);
            default: the order declared by ``@classLabel``.
        require_labels: False for prediction inputs: labels in the file are ignored and
            ``y`` is ``None``. True: the file must declare labels.

    Returns:
        ``task="classify"`` (``@classLabel true``) or ``"regress"`` (``@targetLabel true``);
        examples ``np.float32 (T, F)``.
    """
    header = _Header()
    in_data = False
    expected: int | None = None  # channels per example, fixed by the header or first example
    source = ""
    examples: list[np.ndarray] = []
    raw_labels: list[tuple[str, int]] = []  # (label text, line number)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{name} line {number}"
        if line.startswith("@"):
            if in_data:
                raise DataError(f"{where}: header line after @data")
            in_data = _parse_header(line, header, where)
            if in_data and header.univariate and (header.dimensions or 1) != 1:
                raise DataError(
                    f"{where}: @univariate true contradicts @dimensions {header.dimensions}"
                )
            continue
        if not in_data:
            raise DataError(f"{where}: data before the @data header line")
        parts = line.split(":")
        if header.labelled:
            if len(parts) < 2:
                raise DataError(f"{where}: expected channel values then ':' and a label")
            raw_labels.append((parts[-1].strip(), number))
            parts = parts[:-1]
        if expected is None:
            expected, source = header.channels
            if expected is None:  # undeclared: the first example sets the channel count
                expected, source = len(parts), f"like the first example (line {number})"
        if len(parts) != expected:
            plural = "channel" if expected == 1 else "channels"
            raise DataError(f"{where}: expected {expected} {plural} {source}, got {len(parts)}")
        x, t = _values_of(parts, where)
        if header.equal_length:
            want = header.series_length
            if want is None and examples:
                want = len(examples[0])
            if want is not None and t != want:
                raise DataError(f"{where}: length {t}, but @equalLength true requires {want}")
        examples.append(x)
    if not in_data:
        raise DataError(f"{name}: no @data line (is this a .ts file?)")
    if not examples:
        raise DataError(f"{name}: no examples after @data")
    if require_labels and not header.labelled:
        raise DataError(f"{name}: no labels (@classLabel true or @targetLabel true) declared")
    lengths = np.fromiter((len(x) for x in examples), dtype=np.int64, count=len(examples))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    values = np.concatenate(examples, axis=0)  # (total, F)
    task = "regress" if header.target_label else "classify"
    targets = None
    names: list[str] | None = None
    if require_labels and header.target_label:
        targets = _regression_targets(raw_labels, name)
    elif require_labels:
        declared = header.class_labels or []
        names = list(label_names) if label_names is not None else declared
        targets = _class_targets(raw_labels, declared, names, name)
    return SequenceDataset(values, offsets, targets, task, name=name, label_names=names)


def _class_targets(
    raw: list[tuple[str, int]], declared: list[str], names: list[str], name: str
) -> np.ndarray:
    declared_set = set(declared)
    index = {label: i for i, label in enumerate(names)}
    out = np.empty(len(raw), dtype=np.int64)
    for k, (label, number) in enumerate(raw):
        if label not in declared_set:
            raise DataError(
                f"{name} line {number}: label {label!r} is not declared in @classLabel "
                f"({' '.join(declared)})"
            )
        if label not in index:
            raise DataError(
                f"{name} line {number}: label {label!r} is not among the training labels "
                f"({' '.join(names)})"
            )
        out[k] = index[label]
    return out


def _regression_targets(raw: list[tuple[str, int]], name: str) -> np.ndarray:
    out = np.empty(len(raw), dtype=np.float32)
    for k, (label, number) in enumerate(raw):
        try:
            out[k] = float(label)
        except ValueError:
            raise DataError(
                f"{name} line {number}: target {label!r} is not a number (@targetLabel true)"
            ) from None
        if not np.isfinite(out[k]):
            raise DataError(f"{name} line {number}: target {label!r} is not finite")
    return out


def read_ts(
    path: str | os.PathLike[str],
    *,
    label_names: Sequence[str] | None = None,
    require_labels: bool = True,
) -> SequenceDataset:
    """Read a ``.ts`` (or ``.ts.gz``) file; see :func:`parse_ts`. Messages name the file."""
    text, name = read_text(path)
    return parse_ts(text, name, label_names=label_names, require_labels=require_labels)
