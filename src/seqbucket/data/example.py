"""One example, and a dataset of variable-length examples stored as ragged values + offsets.

Storage (N examples, ``total = lengths.sum()`` steps in all):

- ``values``: ``np.float32 (total, F)`` features, or ``np.int64 (total,)`` token ids. Example
  ``i`` is ``values[offsets[i]:offsets[i+1]]``.
- ``offsets``: ``np.int64 (N+1,)``, ``offsets[0] == 0``, strictly increasing (no empty example).
- ``targets``: ``np.int64 (N,)`` class ids (classify), ``np.float32 (N,)`` values (regress),
  ``np.int64 (total,)`` per-step ids sharing ``offsets`` (tag, lm), or ``None`` (unlabelled).

``lengths = np.diff(offsets)`` is computed once, so batching reads it without touching any
example. Every stored array is made read-only: ``ds[i]`` hands out views, never copies, and a
caller cannot corrupt the dataset through them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from torch.utils.data import Dataset

from seqbucket._tasks import PER_STEP_TASKS, TASKS
from seqbucket.errors import DataError

if TYPE_CHECKING:
    from seqbucket.data.vocab import Vocab

# Tasks whose targets are one id per step (ragged, sharing the example offsets).

Target = int | float | np.ndarray | None


# eq=False: a generated __eq__/__hash__ would compare numpy arrays elementwise and fail.
@dataclass(frozen=True, eq=False)
class Example:
    """One sequence and its target.

    Attributes:
        x: ``np.float32 (T, F)`` features or ``np.int64 (T,)`` token ids, ``T >= 1``.
        y: ``int`` class id (classify), ``float`` (regress), ``np.int64 (T,)`` per-step targets
            (tag; lm: the next-token ids), or ``None`` for unlabelled input (prediction).
    """

    x: np.ndarray
    y: Target

    def __len__(self) -> int:
        return int(self.x.shape[0])


class PaddedExamples(list[Example]):
    """The examples of one planned batch, carrying the plan's padded length ``pad_to`` (None:
    pad to the batch maximum). ``DataLoader`` hands this list to its ``collate_fn``, and
    ``collate`` pads to ``pad_to`` when it is not given one itself."""

    pad_to: int | None = None


def _readonly(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def ragged_gather(offsets: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat row indices and new offsets that select examples ``indices`` from ragged storage.

    Returns ``(rows, new_offsets)``: ``values[rows]`` holds the chosen examples back to back and
    ``new_offsets`` (``(len(indices)+1,)``) delimits them. Vectorised: no Python loop over examples.
    """
    starts = offsets[indices]  # (M,)
    lens = offsets[indices + 1] - starts  # (M,)
    new_offsets = np.zeros(len(indices) + 1, dtype=np.int64)
    np.cumsum(lens, out=new_offsets[1:])
    # Row r of the output belongs to example k = searchsorted(...); its source row is
    # starts[k] + (r - new_offsets[k]).
    rows = np.arange(new_offsets[-1], dtype=np.int64)
    rows += np.repeat(starts - new_offsets[:-1], lens)
    return rows, new_offsets


@dataclass(frozen=True)
class OverlongReport:
    """What an over-length policy (``overlong.apply_max_length``) did to one data set."""

    policy: str  # "drop" or "truncate" ("error" never produces a report: it raises)
    max_length: int  # the limit N
    affected: int  # examples longer than N (dropped, or cut to their first N steps)
    total: int  # examples before the policy ran
    longest: int  # the longest length before the policy ran

    def __str__(self) -> str:
        verb = "dropped" if self.policy == "drop" else f"truncated to {self.max_length} steps"
        return (
            f"{self.affected} of {self.total} examples longer than max_length={self.max_length} "
            f"(longest {self.longest}) {verb} (overlong='{self.policy}')"
        )


class SequenceDataset(Dataset):
    """A dataset of variable-length examples (see the module docstring for the storage).

    Args:
        values: ``np.float32 (total, F)`` or ``np.int64 (total,)``.
        offsets: ``np.int64 (N+1,)``, starting at 0, strictly increasing, ending at ``total``.
        targets: see the module docstring, or ``None`` for unlabelled data.
        task: one of ``"classify"``, ``"tag"``, ``"lm"``, ``"regress"``.
        name: where the data came from (file name or embedded name); used in messages.
        vocab: the :class:`~seqbucket.data.vocab.Vocab` of token-id data, else ``None``.
        label_names: class (or tag) names in id order, else ``None``.
        overlong_report: what a ``max_length`` policy did when the data was loaded, else ``None``.
    """

    def __init__(
        self,
        values: np.ndarray,
        offsets: np.ndarray,
        targets: np.ndarray | None,
        task: str,
        *,
        name: str = "data",
        vocab: Vocab | None = None,
        label_names: Sequence[str] | None = None,
        overlong_report: OverlongReport | None = None,
    ) -> None:
        if task not in TASKS:
            raise DataError(f"{name}: task must be one of {', '.join(TASKS)}, got {task!r}")
        offsets = np.asarray(offsets, dtype=np.int64)
        if offsets.ndim != 1 or len(offsets) < 2 or offsets[0] != 0:
            raise DataError(f"{name}: expected at least one example (offsets starting at 0)")
        if offsets[-1] != len(values):
            raise DataError(
                f"{name}: offsets end at {int(offsets[-1])} but there are {len(values)} values"
            )
        lengths = np.diff(offsets)
        bad = np.flatnonzero(lengths < 1)
        if len(bad):
            raise DataError(f"{name}: example {int(bad[0])} is an empty sequence (length 0)")
        if values.ndim == 2:
            values = np.ascontiguousarray(values, dtype=np.float32)
        elif values.ndim == 1:
            values = np.ascontiguousarray(values, dtype=np.int64)
        else:
            raise DataError(f"{name}: values must be (total, F) floats or (total,) ids")
        if targets is not None:
            targets = self._check_targets(
                np.asarray(targets), task, len(lengths), len(values), name
            )
        self.name = name
        self.task = task
        self.vocab = vocab
        self.label_names = list(label_names) if label_names is not None else None
        self.overlong_report = overlong_report
        self._values = _readonly(values)
        self._offsets = _readonly(offsets)
        self._lengths = _readonly(lengths)
        self._targets = _readonly(targets) if targets is not None else None

    @staticmethod
    def _check_targets(
        targets: np.ndarray, task: str, num_examples: int, total: int, name: str
    ) -> np.ndarray:
        if task in PER_STEP_TASKS:
            if targets.shape != (total,):
                raise DataError(f"{name}: {task} targets must be one per step ({total})")
            return np.ascontiguousarray(targets, dtype=np.int64)
        if targets.shape != (num_examples,):
            raise DataError(f"{name}: {task} targets must be one per example ({num_examples})")
        dtype = np.float32 if task == "regress" else np.int64
        return np.ascontiguousarray(targets, dtype=dtype)

    # -- the Dataset protocol -------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._lengths)

    def __getitem__(self, index: int) -> Example:
        n = len(self._lengths)
        i = int(index)
        if i < 0:
            i += n
        if not 0 <= i < n:
            # IndexError (not DataError) so that plain iteration over the dataset stops here.
            raise IndexError(f"{self.name}: example index {index} out of range for {n} examples")
        start, stop = int(self._offsets[i]), int(self._offsets[i + 1])
        x = self._values[start:stop]
        t = self._targets
        if t is None:
            y: Target = None
        elif self.task in PER_STEP_TASKS:
            y = t[start:stop]
        elif self.task == "regress":
            y = float(t[i])
        else:
            y = int(t[i])
        return Example(x, y)

    def __getitems__(self, indices: Sequence[int]) -> PaddedExamples:
        """The examples at ``indices`` (``DataLoader`` fetches a batch through this). A batch
        from ``BucketBatchSampler`` carries its padded length, which is kept for ``collate``."""
        out = PaddedExamples(self[i] for i in indices)
        out.pad_to = getattr(indices, "pad_to", None)
        return out

    # -- cheap properties ------------------------------------------------------------------
    @property
    def lengths(self) -> np.ndarray:
        """``np.int64 (N,)`` true lengths; read-only, computed once, touches no example."""
        return self._lengths

    @property
    def offsets(self) -> np.ndarray:
        """``np.int64 (N+1,)`` start of each example in :attr:`values` (read-only)."""
        return self._offsets

    @property
    def values(self) -> np.ndarray:
        """The ragged storage: ``(total, F)`` float32 or ``(total,)`` int64 (read-only)."""
        return self._values

    @property
    def targets(self) -> np.ndarray | None:
        """Per-example or per-step targets (see the module docstring), or ``None``."""
        return self._targets

    @property
    def num_features(self) -> int | None:
        """``F`` for feature data; ``None`` for token ids."""
        return int(self._values.shape[1]) if self._values.ndim == 2 else None

    @property
    def labelled(self) -> bool:
        """Whether examples carry targets (False for prediction inputs)."""
        return self._targets is not None

    @property
    def num_classes(self) -> int | None:
        """Number of classes (classify) or tags (tag), from ``label_names``; else ``None``."""
        return len(self.label_names) if self.label_names is not None else None

    def __repr__(self) -> str:
        feats = f"F={self.num_features}" if self.num_features else f"vocab={len(self.vocab or ())}"
        return (
            f"SequenceDataset(name={self.name!r}, task={self.task!r}, N={len(self)}, {feats}, "
            f"lengths {int(self._lengths.min())}..{int(self._lengths.max())})"
        )

    # -- new datasets from this one ------------------------------------------------------------
    def _with(self, values: np.ndarray, offsets: np.ndarray, targets: np.ndarray | None, **kw):
        options: dict[str, Any] = {
            "name": self.name,
            "vocab": self.vocab,
            "label_names": self.label_names,
            "overlong_report": self.overlong_report,
        }
        options.update(kw)
        return SequenceDataset(values, offsets, targets, self.task, **options)

    def subset(self, indices: Sequence[int] | np.ndarray) -> SequenceDataset:
        """A new dataset holding examples ``indices`` in that order (copies; vectorised)."""
        raw = np.asarray(indices)
        if raw.dtype == np.bool_:
            raise DataError(
                f"{self.name}: subset takes indices, not a boolean mask (np.flatnonzero)"
            )
        idx = raw.astype(np.int64).reshape(-1)
        n = len(self)
        if len(idx) == 0:
            raise DataError(f"{self.name}: subset needs at least one index")
        if idx.min() < -n or idx.max() >= n:
            raise DataError(f"{self.name}: subset index out of range for {n} examples")
        idx = np.where(idx < 0, idx + n, idx)
        rows, offsets = ragged_gather(self._offsets, idx)
        targets = self._targets
        if targets is not None:
            targets = targets[rows] if self.task in PER_STEP_TASKS else targets[idx]
        return self._with(self._values[rows], offsets, targets)

    @staticmethod
    def concat(datasets: Sequence[SequenceDataset], name: str | None = None) -> SequenceDataset:
        """Examples of ``datasets`` back to back (e.g. ``split="all"`` = train then test).

        All parts must agree on task, feature width, labelling, label names and vocabulary.
        """
        if not datasets:
            raise DataError("concat needs at least one dataset")
        first = datasets[0]
        for other in datasets[1:]:
            for what in ("task", "num_features", "labelled", "label_names"):
                if getattr(other, what) != getattr(first, what):
                    raise DataError(
                        f"cannot concatenate {first.name} and {other.name}: {what} differs "
                        f"({getattr(first, what)!r} vs {getattr(other, what)!r})"
                    )
            if other.vocab != first.vocab:
                raise DataError(f"cannot concatenate {first.name} and {other.name}: vocab differs")
        values = np.concatenate([d.values for d in datasets])
        offsets = np.concatenate(
            [[0], np.cumsum(np.concatenate([d.lengths for d in datasets]))]
        ).astype(np.int64)
        targets = None
        if first.labelled:
            targets = np.concatenate([d.targets for d in datasets])  # type: ignore[misc]
        return first._with(
            values,
            offsets,
            targets,
            name=name or "+".join(d.name for d in datasets),
            overlong_report=None,
        )
