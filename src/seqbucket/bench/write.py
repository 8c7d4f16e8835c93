"""The bench's outputs: ``bench.json`` (every run and the summary), ``bench.md`` (the table, under
the command that produced it) and ``bench.png`` (speed and time to accuracy, when matplotlib is
installed: the ``plot`` extra)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seqbucket.bench.runner import RunFigures
from seqbucket.bench.summary import Row, Spread, ratio, unranked_pairs


def _spread(s: Spread | None, fmt: str, scale: float = 1.0) -> str:
    if s is None:
        return "-"
    mid = format(s.median * scale, fmt)
    if s.low == s.high:
        return mid
    return f"{mid} ({format(s.low * scale, fmt)}-{format(s.high * scale, fmt)})"


def markdown(rows: Sequence[Row], target: float | None, about: dict[str, str]) -> str:
    """The table, then what the spread cannot rank and the headline ratios."""
    goal = f"{target:.1%}" if target is not None else "-"
    head = (
        "| strategy | real tok/s | s/epoch | padding | shapes | peak saved MB | max repeat "
        f"| val acc | test loss | test acc | s to {goal} val acc |"
    )
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        ttt = _spread(r.time_to_target, ".1f")
        if r.reached < r.runs:
            ttt = f"{ttt} [{r.reached}/{r.runs} reached]" if r.reached else "not reached"
        lines.append(
            f"| {r.strategy} | {_spread(r.tokens_per_s, ',.0f')} "
            f"| {_spread(r.epoch_seconds, '.2f')} | {r.padding_overhead:.1%} "
            f"| {r.distinct_shapes:g} | {r.peak_saved_mb:.1f} | {r.repeat_pairs:.3f} "
            f"| {_spread(r.val_accuracy, '.1f', 100)} | {_spread(r.test_loss, '.3f')} "
            f"| {_spread(r.test_accuracy, '.1f', 100)} | {ttt} |"
        )
    lines.append("")
    lines.append(
        "Medians over seeds, (min-max) where they differ; accuracies in %. Padding: padded / "
        "real tokens - 1. Max repeat: the largest share of epoch 1's batch-mate pairs batched "
        "together again 1 to 10 epochs later. Peak saved MB: tensors kept for backward. "
        "Seconds: training steps only."
    )
    for name, text in about.items():
        if any(r.strategy == name for r in rows):
            lines.append(f"- `{name}`: {text}")
    unranked = unranked_pairs(rows)
    if rows and all(r.runs < 2 for r in rows):
        lines.append("")
        lines.append("One run per strategy: no spread was measured, so no ranking is supported.")
    elif unranked:
        shown = ", ".join(f"{a} vs {b}" for a, b in unranked)
        lines.append("")
        lines.append(f"Too noisy to rank by tokens/s (ranges over seeds overlap): {shown}.")
    headline = []
    for a, b in (("auto", "pad-all"), ("auto", "hf-length-grouped"), ("auto", "random")):
        value = ratio(rows, a, b)
        if value is not None:
            headline.append(f"{a}/{b} {value:.2f}x")
    if headline:
        lines.append("")
        lines.append("Real tokens/s ratios (medians): " + ", ".join(headline) + ".")
    return "\n".join(lines) + "\n"


def write_json(
    path: Path, figures: Sequence[RunFigures], rows: Sequence[Row], meta: dict[str, Any]
) -> None:
    doc = {
        **meta,
        "summary": [r.to_dict() for r in rows],
        "unranked": unranked_pairs(rows),
        "runs": [f.to_dict() for f in figures],
    }
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


def write_png(path: Path, rows: Sequence[Row], target: float | None, title: str) -> bool:
    """Two panels: real tokens/s (median, range bars) and seconds to the target accuracy.
    Returns False (and writes nothing) when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    names = [r.strategy for r in rows]
    ys = list(range(len(rows)))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 0.45 * len(rows) + 1.6), sharey=True)
    med = [r.tokens_per_s.median for r in rows]
    err = [
        [r.tokens_per_s.median - r.tokens_per_s.low for r in rows],
        [r.tokens_per_s.high - r.tokens_per_s.median for r in rows],
    ]
    left.barh(ys, med, xerr=err, color="tab:blue", alpha=0.8)
    left.set_yticks(ys, names)
    left.invert_yaxis()
    left.set_xlabel("real tokens/s (median, range over seeds)")
    tt = [r.time_to_target.median if r.time_to_target else 0.0 for r in rows]
    right.barh(ys, tt, color="tab:green", alpha=0.8)
    for y, r in zip(ys, rows, strict=True):
        if r.time_to_target is None:
            right.text(0, y, " not reached", va="center", fontsize=8)
    goal = f"{target:.1%}" if target is not None else "target"
    right.set_xlabel(f"training seconds to {goal} validation accuracy")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
