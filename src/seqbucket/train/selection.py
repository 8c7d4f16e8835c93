"""Which epoch is the best one, and what an epoch's record says about its validation.

Pure functions of an epoch's validation metrics (``evaluate_dataset``'s dict): the trainer
keeps the epoch whose :func:`epoch_score` is the greatest so far (lists compare element by
element, so later entries break ties).
"""

from __future__ import annotations

from typing import Any


def validation_fields(val: dict[str, Any]) -> dict[str, Any]:
    """The ``val_*`` entries of an epoch record (``metrics.jsonl``): the loss, the accuracy
    (classify/tag/lm) or RMSE (regress), and perplexity (lm) or macro F1 (classify/tag)."""
    fields: dict[str, Any] = {"val_loss": val["loss"]}
    key = "val_rmse" if "rmse" in val else "val_accuracy"
    fields[key] = val.get("rmse", val.get("accuracy"))
    for extra in ("perplexity", "macro_f1"):
        if extra in val:
            fields["val_" + extra] = val[extra]
    return fields


def epoch_score(task: str, val: dict[str, Any] | None, global_step: int) -> list[float]:
    """The best-epoch rule, greater is better. Classify/tag: accuracy first, ties broken by the
    lower loss; lm/regress: the lower loss. Without validation (``val`` None) the latest model
    is the best: steps, not epochs, so that a whole epoch also beats its own partial part."""
    if val is None:
        return [float(global_step)]
    if task in ("classify", "tag"):
        return [val["accuracy"], -val["loss"]]
    return [-val["loss"]]
