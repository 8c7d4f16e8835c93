"""NPZ files holding a ragged dataset: values plus offsets (reader and writer).

Keys (written by :func:`write_npz`; a hand-made file needs only ``values`` and ``offsets``):

- ``values``: ``float (total, F)`` features or ``int (total,)`` token ids;
- ``offsets``: ``int (N+1,)``, 0 first, strictly increasing, ``total`` last;
- ``targets`` (optional): ``(N,)`` class ids or regression values, or ``(total,)`` per-step ids;
- ``task`` (optional): ``"classify"`` (default), ``"tag"``, ``"lm"`` or ``"regress"``;
- ``label_names`` (optional): strings in id order; ``vocab`` (optional): the vocabulary JSON.

Stored without pickling (``allow_pickle=False`` on load), so reading a file never runs code.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from seqbucket.data._files import check_readable
from seqbucket.data.example import PER_STEP_TASKS, SequenceDataset
from seqbucket.data.vocab import Vocab
from seqbucket.errors import DataError

# The arrays a file may hold, as a message lists them (values and offsets are required).
_KEYS = ("values", "offsets", "targets", "task", "label_names", "vocab")


def _class_ids(targets: np.ndarray, name: str, task: str) -> np.ndarray:
    """``targets`` as int64 class ids; fractional values (0.5) are refused, never truncated."""
    if np.issubdtype(targets.dtype, np.integer):
        return targets
    if not np.issubdtype(targets.dtype, np.number) or targets.dtype.kind == "c":
        raise DataError(f"{name}: {task} targets must be integer class ids, got {targets.dtype}")
    whole = np.isfinite(targets) & (targets == np.round(targets))
    if not whole.all():
        i = int(np.flatnonzero(~whole)[0])
        raise DataError(
            f"{name}: {task} targets must be integer class ids, got {targets[i].item()!r} at "
            f"index {i}; for numeric targets store task='regress' in the file"
        )
    return targets.astype(np.int64)


def write_npz(path: str | os.PathLike[str], ds: SequenceDataset, *, compress: bool = True) -> None:
    """Save ``ds`` (values, offsets, targets, task, label names, vocabulary) to ``path``."""
    arrays: dict[str, np.ndarray] = {
        "values": ds.values,
        "offsets": ds.offsets,
        "task": np.array(ds.task),
    }
    if ds.targets is not None:
        arrays["targets"] = ds.targets
    if ds.label_names is not None:
        arrays["label_names"] = np.array(ds.label_names, dtype=str)
    if ds.vocab is not None:
        arrays["vocab"] = np.array(ds.vocab.to_json())
    save = np.savez_compressed if compress else np.savez
    with open(path, "wb") as fh:  # an open file: numpy must not append ".npz" to the name
        save(fh, **arrays)  # type: ignore[arg-type]


def read_npz(
    path: str | os.PathLike[str],
    *,
    label_names: Sequence[str] | None = None,
    vocab: Vocab | None = None,
    require_labels: bool = True,
) -> SequenceDataset:
    """Read a ragged dataset written by :func:`write_npz` (or by hand; see the module docstring).

    ``label_names``/``vocab`` given by the caller must match those stored in the file (ids in the
    file are only meaningful under the file's own label order and vocabulary).
    """
    p = check_readable(path)
    name = Path(p).name
    if not zipfile.is_zipfile(p):
        # np.load would try the file as a pickle and suggest allow_pickle, which is no help.
        raise DataError(
            f"{name}: not an .npz file (expected the zip archive numpy.savez writes, "
            f"with arrays {', '.join(_KEYS)})"
        )
    try:
        with np.load(p, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise DataError(f"{name}: not a readable .npz file ({exc})") from None
    for key in ("values", "offsets"):
        if key not in arrays:
            raise DataError(f"{name}: no array {key!r} (keys: {', '.join(arrays) or 'none'})")
    values = arrays["values"]
    task = str(arrays["task"]) if "task" in arrays else "classify"
    if values.ndim == 2:
        if not np.issubdtype(values.dtype, np.number):
            raise DataError(f"{name}: 'values' must be numbers, got dtype {values.dtype}")
        finite = np.isfinite(values)
        if not finite.all():
            row = int(np.argwhere(~finite)[0][0])
            example = int(np.searchsorted(arrays["offsets"], row, side="right")) - 1
            raise DataError(f"{name}: example {example} holds NaN or infinite values")
    elif values.ndim != 1 or not np.issubdtype(values.dtype, np.integer):
        raise DataError(
            f"{name}: 'values' must be (total, F) floats or (total,) integer ids, "
            f"got {values.dtype} {values.shape}"
        )
    offsets = arrays["offsets"]
    if offsets.ndim != 1 or not np.issubdtype(offsets.dtype, np.integer):
        raise DataError(f"{name}: 'offsets' must be a 1-D integer array")
    if len(offsets) >= 2 and np.any(np.diff(offsets) < 0):
        bad = int(np.argmax(np.diff(offsets) < 0))
        raise DataError(f"{name}: offsets decrease at example {bad}")
    stored_names = [str(s) for s in arrays["label_names"]] if "label_names" in arrays else None
    stored_vocab = Vocab.from_json(str(arrays["vocab"]), name) if "vocab" in arrays else None
    if vocab is not None and stored_vocab is not None and vocab != stored_vocab:
        raise DataError(f"{name}: its stored vocabulary differs from the one given")
    if label_names is not None and stored_names is not None and list(label_names) != stored_names:
        raise DataError(
            f"{name}: stored labels ({' '.join(stored_names)}) differ from the expected "
            f"({' '.join(label_names)})"
        )
    targets = arrays.get("targets") if require_labels else None
    if require_labels and targets is None:
        raise DataError(
            f"{name}: no 'targets' array to train or score on; expected arrays "
            f"{', '.join(_KEYS)}, got {', '.join(arrays)}"
        )
    if targets is not None and task in ("classify", *PER_STEP_TASKS):
        targets = _class_ids(targets, name, task)
    names = stored_names if stored_names is not None else label_names
    if targets is not None and task == "classify" and names is not None and len(targets):
        out_of_range = np.flatnonzero((targets < 0) | (targets >= len(names)))
        if len(out_of_range):
            raise DataError(
                f"{name}: example {int(out_of_range[0])} has class id "
                f"{int(targets[out_of_range[0]])}, outside 0..{len(names) - 1}"
            )
    if targets is not None and task in PER_STEP_TASKS and targets.shape != values.shape[:1]:
        raise DataError(f"{name}: {task} targets must have one id per step ({len(values)})")
    return SequenceDataset(
        values,
        offsets,
        targets,
        task,
        name=name,
        vocab=stored_vocab if stored_vocab is not None else vocab,
        label_names=names,
    )
