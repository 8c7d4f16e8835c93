"""Training-time augmentation: random crops of each sequence's real steps.

NOTE [crop augmentation]: with ``crop = c > 0``, each training sequence of ``L`` real steps is
replaced, at every step it is trained on, by a random window of its own real steps of length
``n`` drawn uniformly from ``ceil((1 - c) * L) .. L`` (at least 1), at a uniform offset. A crop
is just a shorter sequence, so the masking that makes padding exact covers it: the batch keeps
its padded length and the cut steps become padding. The draws come from a generator seeded by
the run's seed and the optimiser step alone, so a resumed run crops exactly as an uninterrupted
one. Validation, test and prediction read whole sequences.
"""

from __future__ import annotations

import dataclasses

import torch

from seqbucket.data import Batch

# Mixes the run's seed and the step into one generator seed (a large odd multiplier, so that
# neighbouring (seed, step) pairs never share a stream).
_SEED_STRIDE = 1_000_003


def crop_generator(seed: int, step: int) -> torch.Generator:
    """The generator of optimiser step ``step`` (0-based) of a run seeded ``seed``."""
    return torch.Generator().manual_seed(seed * _SEED_STRIDE + step)


def random_crop(batch: Batch, crop: float, generator: torch.Generator) -> Batch:
    """``batch`` (``x`` ``(B, T, F)``, either padding side) with each sequence cut to a random
    window of its real steps (NOTE [crop augmentation]); post-padded, same ``T``, targets
    unchanged (one per sequence). ``crop`` is in ``[0, 1)``; 0 returns ``batch`` itself."""
    if crop <= 0:
        return batch
    lengths = batch.lengths  # (B,) CPU int64
    B, T = batch.mask.shape
    shortest = torch.clamp(torch.ceil((1.0 - crop) * lengths.double()).long(), min=1)
    u = torch.rand(B, generator=generator, dtype=torch.float64)
    new = shortest + torch.floor(u * (lengths - shortest + 1).double()).long()  # (B,) in range
    new = torch.minimum(new, lengths)
    v = torch.rand(B, generator=generator, dtype=torch.float64)
    offset = torch.floor(v * (lengths - new + 1).double()).long()  # (B,) 0 .. L - n
    first = offset + (T - lengths if batch.padding == "pre" else 0)  # (B,) first kept step
    t = torch.arange(T)
    keep = t.unsqueeze(0) < new.unsqueeze(1)  # (B, T) the new post-padding mask
    src = torch.where(keep, first.unsqueeze(1) + t.unsqueeze(0), 0)  # (B, T) source steps
    device = batch.x.device
    index = src.to(device).unsqueeze(-1).expand(-1, -1, batch.x.shape[-1])
    x = torch.gather(batch.x, 1, index) * keep.to(device).unsqueeze(-1).to(batch.x.dtype)
    return dataclasses.replace(batch, x=x, lengths=new, mask=keep.to(device), padding="post")
