"""Peak activation memory of training, on any device: the bytes autograd keeps for backward.

On a GPU ``torch.cuda.max_memory_allocated`` says it all; on a CPU the process's peak RSS mixes
every run of a bench and the interpreter itself. What a batching strategy changes is what the
forward pass saves for the backward pass (it grows with ``B x T``), so that is what is counted:
every tensor handed to autograd's saved-tensor hooks adds its bytes while it is alive, and the
peak of that sum over the run is reported. Views of one storage are counted once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch


class SavedTensorPeak:
    """Live and peak bytes of the tensors saved for backward while :meth:`track` is active."""

    def __init__(self) -> None:
        self.live = 0
        self.peak = 0
        self._storages: dict[int, list[int]] = {}  # storage pointer -> [bytes, references]

    @property
    def peak_mb(self) -> float:
        return self.peak / 2**20

    def _pack(self, tensor: torch.Tensor) -> Any:
        storage = tensor.untyped_storage()
        key = storage.data_ptr()
        entry = self._storages.get(key)
        if entry is None:
            entry = self._storages[key] = [storage.nbytes(), 0]
            self.live += entry[0]
            self.peak = max(self.peak, self.live)
        entry[1] += 1
        return _Saved(self, key, tensor)

    def _release(self, key: int) -> None:
        entry = self._storages.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] == 0:
            self.live -= entry[0]
            del self._storages[key]

    @contextlib.contextmanager
    def track(self) -> Iterator[SavedTensorPeak]:
        with torch.autograd.graph.saved_tensors_hooks(self._pack, _unpack):
            yield self


class _Saved:
    """One saved tensor; its bytes stop counting when autograd drops it (graph freed)."""

    __slots__ = ("key", "owner", "tensor")

    def __init__(self, owner: SavedTensorPeak, key: int, tensor: torch.Tensor) -> None:
        self.owner = owner
        self.key = key
        self.tensor = tensor

    def __del__(self) -> None:
        self.owner._release(self.key)


def _unpack(saved: _Saved) -> torch.Tensor:
    return saved.tensor
