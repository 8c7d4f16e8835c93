"""The peers' own samplers, run live on a lengths array (the ``peers`` extra).

Each adapter maps a lengths array to one epoch's batches, ``list[np.ndarray]`` of int64 example
indices, by calling the peer library itself (nothing here re-implements a peer):

- :func:`hf_length_grouped`: Hugging Face ``transformers.trainer_pt_utils.LengthGroupedSampler``
  (``TrainingArguments(group_by_length=True)``), its index stream chunked into batches of
  ``batch_size`` as the ``Trainer``'s ``DataLoader`` does (the last batch may be short).
- :func:`lhotse_dynamic_bucketing`: Lhotse ``DynamicBucketingSampler`` over a ``CutSet`` of
  dummy cuts whose duration (seconds) is the length, ``shuffle=True``, batches capped by
  ``max_cuts=batch_size`` (or by ``max_duration=max_tokens`` real tokens).

Both are pure functions of ``(lengths, settings, seed, epoch)``: HF gets a ``torch.Generator``
seeded from ``(seed, epoch)`` (the ``Trainer`` draws from its globally seeded RNG, a fresh
permutation each epoch); Lhotse gets ``seed=seed`` and ``set_epoch(epoch)``, its own way.

:func:`available` says which peers are installed and, if not, why; an adapter whose library is
missing raises :class:`PeerMissing` with one line naming the extra to install.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from types import ModuleType

import numpy as np

PeerSampler = Callable[[np.ndarray, int, int, int], list[np.ndarray]]

_INSTALL = "install the peers extra: pip install 'seqbucket[peers]'"
_MODULES = {  # peer name -> the module its adapter imports
    "hf_length_grouped": "transformers.trainer_pt_utils",
    "lhotse_dynamic_bucketing": "lhotse",
}


class PeerMissing(ImportError):
    """A peer library is not installed (or fails to import); the message is one line."""


def available() -> dict[str, str | None]:
    """``{peer name: None if it runs here, else one line saying why not}``."""
    out: dict[str, str | None] = {}
    for name, module in _MODULES.items():
        try:
            importlib.import_module(module)
            out[name] = None
        except Exception as err:  # any import failure means the peer cannot run here
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            out[name] = f"{module} is not importable ({first}); {_INSTALL}"
    return out


def _require(name: str) -> ModuleType:
    try:
        return importlib.import_module(_MODULES[name])
    except Exception as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise PeerMissing(f"peer {name} needs {_MODULES[name]} ({first}); {_INSTALL}") from None


def _epoch_seed(seed: int, epoch: int) -> int:
    # One 63-bit seed per (seed, epoch), independent across epochs (numpy's SeedSequence mixing).
    return int(np.random.SeedSequence([int(seed), int(epoch)]).generate_state(1, np.uint64)[0] >> 1)


def _check(lengths: np.ndarray) -> np.ndarray:
    arr = np.asarray(lengths)
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(
            f"expected a non-empty 1-D integer lengths array, got {arr.dtype} {arr.shape}"
        )
    return arr.astype(np.int64, copy=False)


def hf_length_grouped(
    lengths: np.ndarray, batch_size: int, seed: int = 0, epoch: int = 0
) -> list[np.ndarray]:
    """One epoch of ``transformers``' ``LengthGroupedSampler(batch_size, lengths=...)``: a random
    permutation cut into megabatches of ``min(N // (4 B), 50) * B``, each sorted by length
    descending, the longest example's batch first; chunked into batches of ``batch_size``.

    Returns ``ceil(N / batch_size)`` int64 arrays covering ``0..N-1`` once each.
    """
    import torch

    trainer_pt_utils = _require("hf_length_grouped")
    lengths = _check(lengths)
    gen = torch.Generator().manual_seed(_epoch_seed(seed, epoch))
    sampler = trainer_pt_utils.LengthGroupedSampler(
        int(batch_size), lengths=lengths.tolist(), generator=gen
    )
    order = np.fromiter((int(i) for i in sampler), dtype=np.int64, count=lengths.size)
    return [order[i : i + batch_size] for i in range(0, order.size, batch_size)]


def lhotse_dynamic_bucketing(
    lengths: np.ndarray,
    batch_size: int | None,
    seed: int = 0,
    epoch: int = 0,
    *,
    num_buckets: int = 10,
    max_tokens: int | None = None,
) -> list[np.ndarray]:
    """One epoch of Lhotse's ``DynamicBucketingSampler(cuts, max_cuts=batch_size,
    max_duration=max_tokens, num_buckets=num_buckets, shuffle=True, seed=seed)`` after
    ``set_epoch(epoch)``; cut ``i`` is a ``MonoCut`` of duration ``lengths[i]`` seconds.

    Lhotse estimates ``num_buckets`` buckets of equal total duration, shuffles the stream, and
    draws each batch from one bucket; partial batches are yielded where buckets run dry.
    Give ``batch_size`` (examples per batch), ``max_tokens`` (real tokens per batch), or both.
    """
    lhotse = _require("lhotse_dynamic_bucketing")
    from lhotse.dataset.sampling.dynamic_bucketing import DynamicBucketingSampler

    lengths = _check(lengths)
    if batch_size is None and max_tokens is None:
        raise ValueError("lhotse_dynamic_bucketing needs batch_size or max_tokens, got neither")
    cuts = lhotse.CutSet.from_cuts(
        lhotse.MonoCut(id=str(i), start=0.0, duration=float(n), channel=0)
        for i, n in enumerate(lengths.tolist())
    )
    with warnings.catch_warnings():
        # Lhotse advises a lazily read CutSet for memory; an in-memory one batches the same.
        warnings.filterwarnings("ignore", message=".*eagerly read CutSet.*")
        sampler = DynamicBucketingSampler(
            cuts,
            max_duration=None if max_tokens is None else float(max_tokens),
            max_cuts=batch_size,
            num_buckets=num_buckets,
            shuffle=True,
            drop_last=False,
            seed=int(seed),
        )
        sampler.set_epoch(int(epoch))
        return [np.array([int(c.id) for c in batch], dtype=np.int64) for batch in sampler]


LIVE_PEERS: dict[str, PeerSampler] = {
    "HF LengthGroupedSampler (live)": hf_length_grouped,
    "Lhotse DynamicBucketingSampler, 10 buckets (live)": lhotse_dynamic_bucketing,
}
"""Display name -> adapter with the ``(lengths, batch_size, seed, epoch)`` signature."""

LIVE_PEER_MODULE = {
    "HF LengthGroupedSampler (live)": "hf_length_grouped",
    "Lhotse DynamicBucketingSampler, 10 buckets (live)": "lhotse_dynamic_bucketing",
}
"""Display name -> key of :func:`available`."""
