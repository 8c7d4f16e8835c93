"""Class labels as strings -> int64 ids, in one deterministic order.

Without a given order, labels are sorted: numerically when every label is a number
(``"2" < "10"``), else as strings. A test split passes the training ``label_names`` so that ids
agree; a label outside them raises ``DataError`` naming where it was found.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from seqbucket.errors import DataError


def _number(label: str) -> float | None:
    try:
        return float(label)
    except ValueError:
        return None


def sorted_labels(labels: Iterable[str]) -> list[str]:
    """Distinct labels in id order: numeric order if all are numbers, else string order."""
    distinct = set(labels)
    numbers = {label: _number(label) for label in distinct}
    if all(v is not None for v in numbers.values()):
        return sorted(distinct, key=lambda s: (numbers[s], s))
    return sorted(distinct)


def label_text(value: object) -> str:
    """A label read from JSON or CSV as a string (JSON ``1`` and CSV ``"1"`` agree)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def encode_labels(
    raw: Sequence[tuple[str, str]], names: Sequence[str], *, what: str = "label"
) -> np.ndarray:
    """``np.int64 (len(raw),)`` ids of ``raw`` = ``[(label, where), ...]`` under ``names``."""
    index = {name: i for i, name in enumerate(names)}
    out = np.empty(len(raw), dtype=np.int64)
    for k, (label, where) in enumerate(raw):
        i = index.get(label)
        if i is None:
            shown = " ".join(names) if len(names) <= 20 else " ".join(names[:20]) + " ..."
            raise DataError(f"{where}: {what} {label!r} is not among the known labels ({shown})")
        out[k] = i
    return out
