"""Time to accuracy: training seconds until validation accuracy first reaches a target.

Only the training steps count (validation and checkpoints are excluded, as each epoch record's
``train_seconds``), so a strategy is not charged for how often it is evaluated. The target is
checked once per epoch, at its end: the time is that of the first whole epoch that reaches it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# The default target: this share of the best strategy's median final validation accuracy. A
# fixed number would be trivial on one data set and out of reach on another.
TARGET_SHARE = 0.95


def time_to_target(records: Sequence[dict[str, Any]], target: float) -> float | None:
    """Seconds of training until the end of the first epoch whose ``val_accuracy >= target``;
    None when no epoch reached it (or the records carry no accuracy)."""
    seconds = 0.0
    for record in records:
        seconds += float(record.get("train_seconds", 0.0))
        accuracy = record.get("val_accuracy")
        if accuracy is not None and accuracy >= target:
            return seconds
    return None


def default_target(final_accuracies: dict[str, float]) -> float | None:
    """``TARGET_SHARE`` of the best of the strategies' median final validation accuracies
    (``{strategy: accuracy}``); None when there are none (e.g. a regression task)."""
    if not final_accuracies:
        return None
    return TARGET_SHARE * max(final_accuracies.values())
