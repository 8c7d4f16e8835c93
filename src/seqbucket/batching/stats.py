"""Plan statistics: a dict and printable text (the repeat-pair fraction lives in ``pairs.py``)."""

from __future__ import annotations

import numpy as np


def compute_stats(
    sizes: np.ndarray,
    real_b: np.ndarray,
    pads: np.ndarray,
    bucket: np.ndarray,
    *,
    boundaries: tuple[int, ...] | None,
    extra: dict[str, object],
) -> dict[str, object]:
    """Statistics of one rank's plan from per-step ``sizes``, real tokens ``real_b`` and pad
    lengths ``pads`` (all ``(S,)``): ``total`` and ``buckets`` (a list, one dict per bucket),
    each with real tokens, padded tokens, overhead (padded/real - 1), batches, mean batch size
    and distinct shapes; ``extra`` adds dropped/truncated counts and the plane."""
    padded_b = sizes * pads
    everything = summarise(sizes, real_b, padded_b, pads, np.zeros(sizes.size, dtype=np.int64), 1)
    per_bucket = []
    if boundaries is not None:
        k = len(boundaries)
        rows = summarise(sizes, real_b, padded_b, pads, bucket, k)
        per_bucket = [
            {"bucket": i, "boundary": int(boundaries[i]), **rows[i]}
            for i in range(k)
            if rows[i]["batches"]
        ]
    return {"total": {**everything[0], **extra}, "buckets": per_bucket}


def summarise(
    sizes: np.ndarray,
    real_b: np.ndarray,
    padded_b: np.ndarray,
    pads: np.ndarray,
    group: np.ndarray,
    k: int,
) -> list[dict[str, object]]:
    """Per-group sums (``bincount``, one pass each): one dict per group id in ``0..k-1``."""
    real = np.bincount(group, weights=real_b, minlength=k)
    padded = np.bincount(group, weights=padded_b, minlength=k)
    batches = np.bincount(group, minlength=k)
    examples = np.bincount(group, weights=sizes, minlength=k)
    shapes = np.zeros(k, dtype=np.int64)
    if group.size:
        pairs = np.unique(group.astype(np.int64) * (int(pads.max()) + 1) + pads)
        shapes = np.bincount(pairs // (int(pads.max()) + 1), minlength=k)
    return [
        {
            "real_tokens": int(real[i]),
            "padded_tokens": int(padded[i]),
            "padding_overhead": float(padded[i] / real[i] - 1.0) if real[i] else 0.0,
            "batches": int(batches[i]),
            "examples": int(examples[i]),
            "mean_batch_size": float(examples[i] / batches[i]) if batches[i] else 0.0,
            "distinct_shapes": int(shapes[i]),
        }
        for i in range(k)
    ]


def plane_position(overhead: float, repeat: float | None) -> str:
    """Where a plan sits on the padding/randomness plane, in words."""
    if repeat is None:
        return f"padding {overhead:.1%}, repeat-pair fraction unknown"
    return f"padding {overhead:.1%} at repeat-pair fraction ~{repeat:.3f} (expected, any gap)"


def report_text(stats: dict[str, object], title: str) -> str:
    """The printable report: one row per bucket and a total row, then the policy counts."""
    head = f"{'bucket':>6} {'edge':>6} {'batches':>8} {'mean B':>7} {'shapes':>6}"
    head += f" {'real tok':>11} {'padded tok':>11} {'overhead':>9}"
    lines = [title, head]

    def row(name: str, edge: str, s: dict) -> str:
        return (
            f"{name:>6} {edge:>6} {s['batches']:>8} {s['mean_batch_size']:>7.1f}"
            f" {s['distinct_shapes']:>6} {s['real_tokens']:>11} {s['padded_tokens']:>11}"
            f" {s['padding_overhead']:>8.1%}"
        )

    for b in stats["buckets"]:  # type: ignore[attr-defined,union-attr]
        lines.append(row(str(b["bucket"]), str(b["boundary"]), b))
    t = stats["total"]  # type: dict  # type: ignore[assignment]
    lines.append(row("total", "", t))  # type: ignore[arg-type]
    lines.append(
        f"dropped {t['dropped']}, truncated {t['truncated']}"  # type: ignore[index]
    )
    lines.append("plane: " + str(t["plane"]))  # type: ignore[index]
    return "\n".join(lines)
