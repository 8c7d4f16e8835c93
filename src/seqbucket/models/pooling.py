"""Masked summaries over time, exact on padded batches: per-series normalisation of the inputs
and mean/max pooling of encoder outputs. Each reduces over one sequence's real steps only
(the mask of NOTE [padding convention] in ``seqbucket._mask``), so padding never enters them."""

from __future__ import annotations

import torch

from seqbucket._mask import lengths_to_mask

# Floor of a series' standard deviation, relative to its offset: ``_FLOOR_ULPS`` times the
# dtype's resolution (machine epsilon) times ``|mean|``, over ten times the spread that
# rounding alone leaves on a constant at that offset. A spread below it is rounding, not shape;
# any spread above it keeps its shape, however small in absolute terms. (An absolute
# floor, ``var + 1e-5``, flattened half of PLAID's training series, whose variance after the
# feature standardisation lies between 1e-12 and 1e-5, toward zero.)
_FLOOR_ULPS = 4.0


def _mask(lengths: torch.Tensor, x: torch.Tensor, padding: str) -> torch.Tensor:
    """``(B, T, 1)`` float mask of ``x`` ``(B, T, *)`` on its device."""
    return lengths_to_mask(lengths, x.shape[1], padding).to(x.device).unsqueeze(-1).to(x.dtype)


def series_normalize(
    x: torch.Tensor, lengths: torch.Tensor, padding: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each sequence of ``x`` ``(B, T, F)`` z-normalised per channel over its own real steps,
    ``z = (x - mean) / std`` with ``std = sqrt(var + floor)`` (``(B, T, F)``, zero at padded
    steps; ``floor`` is relative, see ``_FLOOR_ULPS``: a constant series maps to zeros, a
    low-amplitude one keeps its shape), and what that removed, as numbers: ``summary``
    ``(B, 2F + 1)`` holds ``log(std)`` and ``asinh(mean)`` per channel and the sequence's
    ``log(length)``.

    The shape of every signal is then on one scale for the front end, while its magnitude (a
    kettle draws far more current than a phone charger), offset and duration still reach the
    head (see ``SequenceModel``) rather than being lost."""
    m = _mask(lengths, x, padding)  # (B, T, 1)
    n = lengths.to(x.device, x.dtype).view(-1, 1, 1)  # (B, 1, 1)
    # Sums taken around one of the series' own values (its max over real steps): a constant
    # series centres to exactly 0, and a small spread on a large offset keeps its digits.
    shift = x.masked_fill(m == 0, float("-inf")).amax(1, keepdim=True)  # (B, 1, F)
    offset = ((x - shift) * m).sum(1, keepdim=True) / n  # (B, 1, F)
    mean = shift + offset
    centred = (x - shift - offset) * m
    var = (centred * centred).sum(1, keepdim=True) / n  # (B, 1, F), population variance
    info = torch.finfo(x.dtype)
    floor = (_FLOOR_ULPS * info.eps * mean) ** 2 + info.tiny  # tiny: an all-zero series
    std = torch.sqrt(var + floor)
    summary = torch.cat([torch.log(std), torch.asinh(mean), torch.log(n)], dim=-1)  # (B,1,2F+1)
    return centred / std, summary.squeeze(1)


def masked_mean_max(outputs: torch.Tensor, lengths: torch.Tensor, padding: str) -> torch.Tensor:
    """``(B, 2*H)``: the mean and the max over each sequence's real steps of ``outputs``
    ``(B, T, H)``, concatenated. The max's gradient goes to the arg-max real step only."""
    m = _mask(lengths, outputs, padding)  # (B, T, 1)
    n = lengths.to(outputs.device, outputs.dtype).unsqueeze(1)  # (B, 1)
    mean = (outputs * m).sum(1) / n  # (B, H)
    peak = outputs.masked_fill(m == 0, float("-inf")).amax(1)  # (B, H)
    return torch.cat([mean, peak], dim=-1)
