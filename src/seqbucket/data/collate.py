"""``collate``: a list of variable-length examples -> one padded :class:`Batch` of tensors.

This runs every training step, so it is written for speed: one ``np.zeros``/``np.full`` per
output, a slice copy per example, then one ``torch.from_numpy`` (no copy). The mask comes from
:func:`seqbucket._mask.lengths_to_mask` (NOTE [padding convention]), never re-derived here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch

from seqbucket._mask import check_padding_side, lengths_to_mask
from seqbucket._tasks import IGNORE_INDEX
from seqbucket.data.example import Example
from seqbucket.errors import DataError


@dataclass(frozen=True)
class Batch:
    """B padded sequences of padded length T.

    Attributes:
        x: ``(B, T, F)`` float32 features, or ``(B, T)`` int64 token ids (pad id 0).
        lengths: ``(B,)`` int64 true lengths, always on the CPU (what packing and masking expect).
        mask: ``(B, T)`` bool, True on real steps.
        y: ``(B,)`` int64 class ids | ``(B,)`` float32 regression targets | ``(B, T)`` int64
            per-step targets with ``ignore_index`` on padded steps | ``None`` (unlabelled).
        padding: ``'post'`` or ``'pre'``: where the padding sits.
    """

    x: torch.Tensor
    lengths: torch.Tensor
    mask: torch.Tensor
    y: torch.Tensor | None
    padding: str

    @property
    def real_tokens(self) -> int:
        """Number of real steps in the batch (sum of lengths)."""
        return int(self.lengths.sum())

    @property
    def padded_tokens(self) -> int:
        """``B * T``: the steps computed, padding included."""
        return int(self.mask.shape[0] * self.mask.shape[1])

    def to(self, device: torch.device | str, non_blocking: bool = False) -> Batch:
        """A copy with ``x``, ``mask`` and ``y`` on ``device``; ``lengths`` stays on the CPU."""
        y = self.y.to(device, non_blocking=non_blocking) if self.y is not None else None
        return replace(
            self,
            x=self.x.to(device, non_blocking=non_blocking),
            mask=self.mask.to(device, non_blocking=non_blocking),
            y=y,
        )

    def pin_memory(self) -> Batch:
        """Pinned copy (``DataLoader(pin_memory=True)`` calls this); ``lengths`` not pinned."""
        y = self.y.pin_memory() if self.y is not None else None
        return replace(self, x=self.x.pin_memory(), mask=self.mask.pin_memory(), y=y)


def _target_kind(y: object, i: int) -> str:
    if y is None:
        return "none"
    if isinstance(y, np.ndarray) and y.ndim == 1:
        return "steps"
    if isinstance(y, (bool, np.bool_)):
        raise DataError(f"collate: example {i} has a bool target; expected int, float or ids")
    if isinstance(y, (int, np.integer)):
        return "class"
    if isinstance(y, (float, np.floating)):
        return "value"
    raise DataError(f"collate: example {i} has a target of type {type(y).__name__}")


def _as_example(item: object, i: int) -> Example:
    """``item`` as an :class:`Example`: an Example itself, or an ``(x, y)`` pair (NumPy arrays,
    tensors or lists for ``x``; ``y`` a class id, a value, per-step ids or None)."""
    if isinstance(item, Example):
        return item
    if isinstance(item, (tuple, list)) and len(item) == 2:
        x, y = item
        if isinstance(x, torch.Tensor):
            x = x.detach().cpu().numpy()
        if isinstance(y, torch.Tensor):
            y = y.item() if y.ndim == 0 else y.detach().cpu().numpy()
        return Example(np.asarray(x), y)
    raise DataError(
        f"collate: example {i} is a {type(item).__name__}; expected an Example or an (x, y) pair"
    )


def collate(
    examples: Sequence[Example] | Sequence[tuple[object, object]],
    pad_to: int | None = None,
    *,
    padding: str = "post",
    truncate: bool = False,
    truncating: str = "post",
    ignore_index: int = IGNORE_INDEX,
) -> Batch:
    """Pad ``examples`` to one length and stack them into a :class:`Batch`.

    Args:
        examples: B examples (or ``(x, y)`` pairs), all feature ``(T_i, F)`` with the same F,
            or all ids ``(T_i,)``.
        pad_to: the padded length T (e.g. a bucket boundary); ``None``: the ``pad_to`` that
            ``examples`` carries (a ``PaddedExamples`` batch fetched by a ``DataLoader`` with a
            ``BucketBatchSampler``), else the longest example.
        padding: ``'post'`` or ``'pre'`` (see NOTE [padding convention]).
        truncate: when False, an example longer than ``pad_to`` raises ``DataError``; when
            True it is cut to ``pad_to`` steps (its per-step targets with it).
        truncating: which end a cut removes: ``'post'`` keeps the first ``pad_to`` steps,
            ``'pre'`` the last.
        ignore_index: the target at padded steps of per-step targets.

    Returns:
        A :class:`Batch` (CPU tensors).
    """
    check_padding_side(padding)
    if pad_to is None:
        pad_to = getattr(examples, "pad_to", None)
    examples = [_as_example(e, i) for i, e in enumerate(examples)]
    if truncating not in ("pre", "post"):
        raise DataError(f"collate: truncating must be 'pre' or 'post', got {truncating!r}")
    b = len(examples)
    if b == 0:
        raise DataError("collate: expected at least one example, got an empty list")
    xs = [e.x for e in examples]
    lengths = np.fromiter((x.shape[0] for x in xs), dtype=np.int64, count=b)  # (B,)
    longest = int(lengths.max())
    if int(lengths.min()) < 1:
        i = int(np.argmin(lengths))
        raise DataError(f"collate: example {i} is an empty sequence (length 0)")
    t = longest if pad_to is None else int(pad_to)
    if t < 1:
        raise DataError(f"collate: pad_to must be >= 1, got {pad_to}")
    if longest > t:
        if not truncate:
            i = int(np.argmax(lengths))
            raise DataError(
                f"collate: example {i} has length {longest}, longer than pad_to={t}; "
                "pass truncate=True to cut it"
            )
        np.minimum(lengths, t, out=lengths)
    first = xs[0]
    if first.ndim == 2:
        f = first.shape[1]
        x = np.zeros((b, t, f), dtype=np.float32)  # (B, T, F)
    else:
        f = None
        x = np.zeros((b, t), dtype=np.int64)  # (B, T): pad id 0
    kinds = {_target_kind(e.y, i) for i, e in enumerate(examples)}
    if len(kinds) > 1:
        raise DataError(f"collate: examples mix target kinds {sorted(kinds)}")
    kind = kinds.pop()
    y: np.ndarray | None = None
    if kind == "class":
        y = np.fromiter((e.y for e in examples), dtype=np.int64, count=b)  # (B,)
    elif kind == "value":
        y = np.fromiter((e.y for e in examples), dtype=np.float32, count=b)  # (B,)
    elif kind == "steps":
        y = np.full((b, t), ignore_index, dtype=np.int64)  # (B, T)
    cut_front = truncating == "pre"
    for i, e in enumerate(examples):
        xi = e.x
        if xi.ndim != first.ndim or (f is not None and xi.shape[1] != f):
            raise DataError(
                f"collate: example {i} has shape {xi.shape}, expected (T, {f})"
                if f is not None
                else f"collate: example {i} has shape {xi.shape}, expected token ids (T,)"
            )
        n = int(lengths[i])
        start = xi.shape[0] - n if cut_front else 0  # first kept step (non-zero only when cut)
        lo = 0 if padding == "post" else t - n
        x[i, lo : lo + n] = xi[start : start + n]
        if y is not None and kind == "steps":
            yi = e.y
            if yi.shape[0] != xi.shape[0]:  # type: ignore[union-attr]
                raise DataError(
                    f"collate: example {i} has {yi.shape[0]} targets for {xi.shape[0]} steps"  # type: ignore[union-attr]
                )
            y[i, lo : lo + n] = yi[start : start + n]  # type: ignore[index]
    lengths_t = torch.from_numpy(lengths)
    return Batch(
        x=torch.from_numpy(x),
        lengths=lengths_t,
        mask=lengths_to_mask(lengths_t, t, padding),
        y=torch.from_numpy(y) if y is not None else None,
        padding=padding,
    )
