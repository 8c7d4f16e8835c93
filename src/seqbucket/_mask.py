"""The one definition of the padding mask and of the two padding sides.

NOTE [padding convention]: a padded batch holds ``B`` sequences in a ``(B, T, ...)`` tensor.
Sequence ``b`` has ``lengths[b]`` real steps (``1 <= lengths[b] <= T``).

- ``padding="post"``: real steps are ``0 .. lengths[b]-1``; padding fills the end.
- ``padding="pre"``:  real steps are ``T-lengths[b] .. T-1``; padding fills the start.

``mask[b, t]`` is True exactly on real steps. ``lengths`` is a CPU ``int64`` tensor of shape
``(B,)``, as ``torch.nn.utils.rnn.pack_padded_sequence`` expects. Everything else in seqbucket
(collation, encoders, losses, statistics) points here rather than re-deriving the convention.
"""

from __future__ import annotations

import torch

PADDING_SIDES = ("post", "pre")


def check_padding_side(padding: str) -> str:
    """Return ``padding`` if it is ``'post'`` or ``'pre'``; raise ``ValueError`` otherwise."""
    if padding not in PADDING_SIDES:
        raise ValueError(f"padding must be 'post' or 'pre', got {padding!r}")
    return padding


def lengths_to_mask(
    lengths: torch.Tensor, total_length: int, padding: str = "post"
) -> torch.Tensor:
    """Boolean mask ``(B, T)`` that is True on real steps (see NOTE [padding convention]).

    Args:
        lengths: ``(B,)`` integer tensor of true lengths, each in ``1..total_length``.
        total_length: ``T``, the padded length.
        padding: ``'post'`` or ``'pre'``.

    Returns:
        ``(B, T)`` bool tensor on ``lengths.device``.
    """
    check_padding_side(padding)
    steps = torch.arange(total_length, device=lengths.device)  # (T,)
    if padding == "post":
        return steps.unsqueeze(0) < lengths.unsqueeze(1)  # (B, T)
    return steps.unsqueeze(0) >= (total_length - lengths).unsqueeze(1)  # (B, T)
