"""Every JSON file seqbucket writes (``metrics.jsonl``, ``result.json``) goes through
:func:`to_json`, so it is valid JSON: a NaN or infinity becomes ``null`` ("not a number"), and
``json.dumps(allow_nan=False)`` guarantees nothing non-finite slips through as a bare ``NaN``."""

from __future__ import annotations

import json
import math
from typing import Any


def finite_or_none(value: Any) -> Any:
    """``value`` with every non-finite float (in nested dicts, lists and tuples) as ``None``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(v) for v in value]
    return value


def to_json(value: Any, *, indent: int | None = None) -> str:
    """Strict JSON text of ``value`` (non-finite floats as ``null``; see the module docstring)."""
    return json.dumps(finite_or_none(value), indent=indent, allow_nan=False)
