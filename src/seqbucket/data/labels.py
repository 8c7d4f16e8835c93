"""Class labels as strings -> int64 ids, in one deterministic order; and the one place where
the kind of a file's labels is inferred.

Without a given order, labels are sorted: numerically when every label is a number
(``"2" < "10"``), else as strings. A test split passes the training ``label_names`` so that ids
agree; a label outside them raises ``DataError`` naming where it was found.

Label kinds (:func:`label_kinds`): every label of a file is ``"text"``, ``"number"`` or
``"bool"``, never a mix (``pos,neg,3,1.5`` is a typo or a merged file, not four classes), and
never missing (JSON ``null``, an empty cell). Numbers are a class id or a quantity, which only the
user knows: :func:`check_numeric_classes` asks for ``--task classify`` or ``--task regress``
when they look like a quantity (a fraction such as ``1.5``, a JSON float such as ``1.0``, or many
distinct values).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from seqbucket.errors import DataError

# More distinct integer labels than this look like a quantity (ages, counts), not class ids.
MAX_IMPLICIT_CLASSES = 20
LABEL_KINDS = ("text", "number", "bool")


def _number(label: str) -> float | None:
    try:
        value = float(label)
    except ValueError:
        return None
    return value if math.isfinite(value) else None  # "nan", "inf" are names, not numbers


def _kind(value: object, where: str) -> str:
    if value is None:
        raise DataError(f"{where}: label is null; expected a class name or a number")
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        if not value.strip():
            raise DataError(f"{where}: empty label")
        return "number" if _number(value) is not None else "text"
    raise DataError(
        f"{where}: expected a label that is text, a number or true/false, "
        f"got {type(value).__name__}"
    )


def label_kinds(raw: Sequence[tuple[object, str]]) -> str:
    """The one kind (``LABEL_KINDS``) of every label in ``raw = [(value, where), ...]``.

    Raises:
        DataError: a missing label, or the first label whose kind differs from the first
            label's, naming both places.
    """
    kind = ""
    first_where = ""
    for value, where in raw:
        k = _kind(value, where)
        if not kind:
            kind, first_where = k, where
        elif k != kind:
            raise DataError(
                f"{where}: label {value!r} is {_a(k)}, but the labels before it are {_a(kind)} "
                f"(from {first_where}); expected one kind of label per file"
            )
    return kind


def _a(kind: str) -> str:
    return {"text": "text", "number": "a number", "bool": "true/false"}[kind]


def check_numeric_classes(raw: Sequence[tuple[object, str]], file: str) -> None:
    """Numeric labels read as classes without ``--task``: ``DataError`` when they look like a
    quantity (see the module docstring), asking for ``--task classify`` or ``--task regress``."""
    reason = ""
    for value, where in raw:
        if isinstance(value, str):
            number = _number(value)
        elif isinstance(value, (int, float)):
            number = float(value)
        else:  # label_kinds said "number": nothing else arrives here
            continue
        if isinstance(value, float) or (number is not None and not number.is_integer()):
            reason = f"{where} holds {value!r}"
            break
    if not reason:
        distinct = len({label_text(v) for v, _ in raw})
        if distinct > MAX_IMPLICIT_CLASSES:
            reason = f"{distinct} distinct values"
    if reason:
        raise DataError(
            f"{file}: numeric labels ({reason}) could be classes or quantities; pass --task "
            "regress to predict the number, or --task classify to make each value a class "
            "(Python: task='regress' or 'classify')"
        )


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
