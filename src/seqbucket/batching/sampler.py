"""``BucketBatchSampler``: the torch adapter (``DataLoader(batch_sampler=...)``) over ``plan``.

State is ``(epoch, step)``: the plan of an epoch is a pure function of (lengths, config, seed,
epoch, rank, world_size), so resuming mid-epoch recomputes that epoch's plan (``O(N)``) and starts
at ``step`` in ``O(1)``, without replaying batches. The step counts global batches, which do not
depend on the world size (NOTE [rank slices] in ``ranks.py``), so a state saved by one rank of
one world size resumes any rank of any world size at the same global batch.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import numpy as np
from torch.utils.data import Sampler

from seqbucket.batching.config import BatchingConfig, check_lengths
from seqbucket.batching.planner import BatchPlan, plan
from seqbucket.errors import CheckpointError


class PlannedBatch(list[int]):
    """One batch's example indices, as the plain list ``DataLoader`` expects, carrying the
    plan's padded length ``pad_to``. ``SequenceDataset`` passes it on to ``collate`` (see
    ``SequenceDataset.__getitems__``), so ``DataLoader(ds, batch_sampler=sampler,
    collate_fn=collate)`` pads exactly as ``iter_batches`` says (bucket edges with
    ``pad_to="boundary"``). A plain list keeps working wherever a list of ints is expected."""

    pad_to: int


class BucketBatchSampler(Sampler[list[int]]):
    """Yields one rank's batches of one epoch, from the current step on.

    Call ``set_epoch(e)`` before each epoch (as with ``DistributedSampler``); a finished pass
    resets the step to 0. ``state_dict()`` holds plain ints (``torch.load(weights_only=True)``
    safe). With a ``DataLoader`` that prefetches, save the step your loop has *consumed*
    (``state_dict(step=...)``), not how far the sampler has run ahead.
    """

    def __init__(
        self,
        lengths: np.ndarray,
        config: BatchingConfig,
        *,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        lengths = check_lengths(lengths).view()
        lengths.flags.writeable = False  # the identity below is computed once, from these
        self._lengths = lengths
        self._config = config
        self.seed = int(seed)
        self.rank = int(rank)
        self.world_size = int(world_size)
        self.epoch = 0
        self.step = 0
        self._plan: BatchPlan | None = None
        self._plan_epoch = -1
        # What makes a saved step mean the same global batches: the plan is a pure function of
        # these and of the seed (ranks only slice it). CRC32s keep the state plain ints
        # (weights_only-safe) and catch another data set of the same size or another batching
        # config, which would otherwise resume silently. Computed once: O(N) per checkpoint adds
        # up on big data sets, and lengths and config cannot change (read-only properties over
        # a read-only view, a frozen config).
        self._data_identity = {
            "num_examples": int(lengths.size),
            "lengths_crc32": zlib.crc32(np.ascontiguousarray(lengths).tobytes()),
            "config_crc32": zlib.crc32(repr(config).encode()),
        }

    @property
    def lengths(self) -> np.ndarray:
        """``(N,)`` int64 lengths, read-only (the plan identity in checkpoints depends on them)."""
        return self._lengths

    @property
    def config(self) -> BatchingConfig:
        """The batching settings (frozen; the plan identity in checkpoints depends on them)."""
        return self._config

    @property
    def plan(self) -> BatchPlan:
        """This rank's plan of the current epoch (statistics in ``plan.stats``)."""
        if self._plan is None or self._plan_epoch != self.epoch:
            self._plan = plan(
                self.lengths,
                self.config,
                seed=self.seed,
                epoch=self.epoch,
                rank=self.rank,
                world_size=self.world_size,
            )
            self._plan_epoch = self.epoch
        return self._plan

    def set_epoch(self, epoch: int) -> None:
        """Move to ``epoch`` (step 0); setting the current epoch again keeps a resumed step."""
        if int(epoch) != self.epoch:
            self.epoch = int(epoch)
            self.step = 0

    def __len__(self) -> int:
        """Steps in the current epoch (all of them, including any already taken)."""
        return len(self.plan)

    def iter_batches(self) -> Iterator[tuple[int, np.ndarray, int]]:
        """Yield ``(step, indices (B,) int64, pad_to)`` from the current step to the epoch end."""
        p = self.plan
        while self.step < len(p):
            s = self.step
            self.step = s + 1
            yield s, p.batches[s], int(p.pad_lengths[s])
        self.step = 0

    def __iter__(self) -> Iterator[list[int]]:
        """The batches as ``PlannedBatch`` lists (indices that carry the plan's ``pad_to``)."""
        for _, indices, pad_to in self.iter_batches():
            batch = PlannedBatch(indices.tolist())
            batch.pad_to = pad_to
            yield batch

    def _identity(self) -> dict[str, int]:
        # The plan identity (see __init__): O(1), the CRC32s were taken once.
        return {"seed": self.seed, **self._data_identity}

    def state_dict(self, step: int | None = None) -> dict[str, int]:
        """``{"epoch", "step"}`` plus what identifies the global plan (seed, number of examples,
        CRC32s of the lengths and the config); plain ints. Rank and world size are not part of
        it: any rank of any world size resumes at the same global batch."""
        return {
            "epoch": self.epoch,
            "step": self.step if step is None else int(step),
            **self._identity(),
        }

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Resume at ``state["epoch"]``, ``state["step"]``. The saved plan identity must match
        this sampler's (keys absent from an older state, or not part of the identity any more,
        such as the rank and world size older states hold, are not checked)."""
        mine = self._identity()
        for key, value in mine.items():
            if key in state and int(state[key]) != value:
                what = {
                    "lengths_crc32": "the lengths differ (another data set or order)",
                    "config_crc32": "the batching settings differ",
                }.get(key, f"{key}={int(state[key])}, expected {value}")
                raise CheckpointError(f"sampler state does not fit this run: {what}")
        self.epoch = int(state["epoch"])
        self.step = int(state["step"])
        n = len(self.plan)
        if not 0 <= self.step <= n:
            raise CheckpointError(
                f"sampler state step {self.step} outside 0..{n} of epoch {self.epoch}"
            )
