"""When a run stops, as pure functions: after an epoch (its epoch limit or its patience), and
whether a resumed run whose limit was raised continues (:func:`still_stopped`)."""

from __future__ import annotations


def stop_after_epoch(
    epochs_done: int, epochs: int | None, bad_epochs: int, patience: int | None
) -> str:
    """``"epochs"`` once ``epochs_done`` reaches the limit ``epochs``, else ``"patience"`` once
    ``bad_epochs`` (epochs since the best one) reaches ``patience``, else ``""`` (go on). None
    means no such limit."""
    if epochs is not None and epochs_done >= epochs:
        return "epochs"
    if patience is not None and bad_epochs >= patience:
        return "patience"
    return ""


def still_stopped(
    reason: str, epoch: int, global_step: int, epochs: int | None, max_steps: int | None
) -> str:
    """A saved ``reason`` as the resumed run sees it: a run that stopped at its epoch or step
    limit continues (``""``) when the resumed settings raised or removed that limit; any other
    reason stands."""
    if reason == "epochs" and (epochs is None or epoch < epochs):
        return ""
    if reason == "max_steps" and (max_steps is None or global_step < max_steps):
        return ""
    return reason
