"""``EpochBatches``: a peer's sampler as a batch source of the training loop.

A peer is a function ``(lengths, batch_size, seed, epoch) -> list of int64 index arrays`` (one
epoch's batches). The loop reads it exactly as it reads seqbucket's own ``BucketBatchSampler``
(``seqbucket.train.loop_types.BatchSource``); each batch is padded to its longest member, which is
what every peer does. Also: the plain ``DataLoader`` peer, built from torch's own samplers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

EpochFn = Callable[[np.ndarray, int, int, int], list[np.ndarray]]


class EpochBatches:
    """Batches of ``epoch_fn`` over ``lengths`` ``(N,)``, epoch by epoch; state ``(epoch, step)``.

    An epoch's batches are computed once and kept until the epoch changes."""

    def __init__(self, epoch_fn: EpochFn, lengths: np.ndarray, batch_size: int, seed: int) -> None:
        self._fn = epoch_fn
        self._lengths = np.asarray(lengths, dtype=np.int64)
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.epoch = 0
        self.step = 0
        self._cache: tuple[int, list[np.ndarray]] | None = None

    def batches(self, epoch: int | None = None) -> list[np.ndarray]:
        """The batches of ``epoch`` (default: the current one), as int64 index arrays."""
        e = self.epoch if epoch is None else int(epoch)
        if self._cache is not None and self._cache[0] == e:
            return self._cache[1]
        out = [np.asarray(b, dtype=np.int64) for b in self._fn(self._lengths, self.batch_size,
                                                               self.seed, e)]  # fmt: skip
        if epoch is None or e == self.epoch:
            self._cache = (e, out)
        return out

    def set_epoch(self, epoch: int) -> None:
        if int(epoch) != self.epoch:
            self.epoch = int(epoch)
            self.step = 0

    def __len__(self) -> int:
        return len(self.batches())

    def iter_batches(self) -> Iterator[tuple[int, np.ndarray, int | None]]:
        """``(step, indices (B,), None)`` from the current step on: None pads to the batch max."""
        batches = self.batches()
        while self.step < len(batches):
            s = self.step
            self.step = s + 1
            yield s, batches[s], None
        self.step = 0

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "step": self.step, "seed": self.seed}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch = int(state["epoch"])
        self.step = int(state["step"])


def dataloader_batches(lengths: np.ndarray, b: int, seed: int, epoch: int) -> list[np.ndarray]:
    """The index batches a ``DataLoader(dataset, batch_size=b, shuffle=True)`` yields: torch's
    own loader over the indices, with a generator seeded per (seed, epoch)."""
    import torch
    from torch.utils.data import DataLoader

    generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
    indices: Any = range(len(lengths))  # a sequence is all DataLoader needs of a dataset
    loader: DataLoader[int] = DataLoader(
        indices, batch_size=b, shuffle=True, generator=generator, collate_fn=list
    )
    return [np.asarray(batch, dtype=np.int64) for batch in loader]
