"""Parameter counts: the total, and a breakdown by component (embedding, each recurrent layer
and direction, head), for every model kind."""

from __future__ import annotations

import re

from torch import nn

# "encoder.rnn.weight_ih_l1_reverse" -> group "encoder.rnn.l1_reverse": one group per layer and
# direction, the same for nn.RNN/GRU/LSTM and the unshared baseline.
_RECURRENT = re.compile(r"^(?P<module>.*)\.(weight|bias)_(ih|hh)_(?P<layer>l\d+(_reverse)?)$")


def param_count(model: nn.Module) -> int:
    """Number of scalar parameters (each shared tensor counted once)."""
    return sum(p.numel() for p in model.parameters())


def param_breakdown(model: nn.Module) -> dict[str, int]:
    """Parameters per component, e.g. ``{"encoder.embedding": 3200, "encoder.rnn.l0": 9216,
    "head.proj": 258}``; the values sum to :func:`param_count`."""
    groups: dict[str, int] = {}
    for name, p in model.named_parameters():
        match = _RECURRENT.match(name)
        key = f"{match['module']}.{match['layer']}" if match else name.rpartition(".")[0] or name
        groups[key] = groups.get(key, 0) + p.numel()
    return groups
