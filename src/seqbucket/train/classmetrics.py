"""Per-class metrics of a classifier or tagger: the confusion matrix and, from it, each class's
precision, recall, F1 and support. Pure functions over integer arrays.

Conventions (as scikit-learn's ``confusion_matrix`` and ``precision_recall_fscore_support``):
row ``i`` of the confusion matrix is the true class ``i``, column ``j`` the predicted class
``j``. A ratio whose denominator is zero (a class never predicted, or never present) is 0.0, and
such a class still appears, so tables have one row per class of the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """``np.int64 (C, C)``: ``[i, j]`` counts positions of true class ``i`` predicted as ``j``.

    ``y_true`` and ``y_pred`` are int arrays of one shape, every value in ``0..C-1`` (callers
    drop ignored positions first)."""
    t = np.asarray(y_true, dtype=np.int64).ravel()
    p = np.asarray(y_pred, dtype=np.int64).ravel()
    flat = np.bincount(t * num_classes + p, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


def per_class_metrics(
    confusion: np.ndarray, label_names: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """One record per class, in id order: ``label``, ``precision``, ``recall``, ``f1``,
    ``support`` (true positions of the class). ``label_names`` default to the ids as text."""
    cm = np.asarray(confusion, dtype=np.int64)
    tp = np.diag(cm).astype(np.float64)
    predicted = cm.sum(axis=0)  # (C,) column sums: how often each class was predicted
    support = cm.sum(axis=1)  # (C,) row sums: how often each class is the truth
    names = list(label_names) if label_names is not None else [str(c) for c in range(len(cm))]
    out = []
    for c in range(len(cm)):
        precision = tp[c] / predicted[c] if predicted[c] else 0.0
        recall = tp[c] / support[c] if support[c] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out.append(
            {
                "label": names[c] if c < len(names) else str(c),
                "precision": float(precision),
                "recall": float(recall),
                "f1": float(f1),
                "support": int(support[c]),
            }
        )
    return out


def macro_f1(per_class: list[dict[str, Any]]) -> float:
    """The mean F1 over the classes present in the data (support > 0)."""
    present = [r["f1"] for r in per_class if r["support"] > 0]
    return float(np.mean(present)) if present else 0.0


def format_class_table(per_class: list[dict[str, Any]], confusion: Sequence[Sequence[int]]) -> str:
    """A per-class table (precision, recall, F1, support) and the confusion matrix, as text.

    Matrix rows are true classes, columns predicted ones, headed by class numbers so that wide
    label names do not widen every column (the table above maps number -> name)."""
    width = max([5, *(len(r["label"]) for r in per_class)])
    lines = [f"{'#':>3}  {'class':<{width}}  precision  recall     f1  support"]
    for c, r in enumerate(per_class):
        lines.append(
            f"{c:>3}  {r['label']:<{width}}  {r['precision']:>9.2%}  {r['recall']:>6.1%}  "
            f"{r['f1']:>5.3f}  {r['support']:>7}"
        )
    lines.append(f"macro F1 {macro_f1(per_class):.3f}")
    cm = np.asarray(confusion, dtype=np.int64)
    cell = max(3, len(str(int(cm.max()))) if cm.size else 1)
    lines.append("confusion matrix (rows: true class #, columns: predicted class #)")
    lines.append("     " + " ".join(f"{c:>{cell}}" for c in range(len(cm))))
    for c, row in enumerate(cm):
        lines.append(f"{c:>3}  " + " ".join(f"{int(v):>{cell}}" for v in row))
    return "\n".join(lines)
