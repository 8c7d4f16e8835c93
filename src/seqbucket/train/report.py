"""PNG plots of a run's curves, drawn from ``<run>/metrics.jsonl``, and of a classifier's
confusion matrix, drawn from ``<run>/result.json`` (needs the ``plot`` extra)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from seqbucket.errors import CheckpointError, ConfigError
from seqbucket.train.metrics import read_metrics
from seqbucket.train.rundir import RunDir

# (file name, title, y label, [(metric key, legend label)], y axis as a percentage?)
_PLOTS = (
    ("loss.png", "Loss", "loss", [("train_loss", "train"), ("val_loss", "validation")], False),
    ("accuracy.png", "Validation accuracy", "accuracy", [("val_accuracy", "validation")], True),
    ("rmse.png", "Validation RMSE", "RMSE", [("val_rmse", "validation")], False),
    (
        "perplexity.png",
        "Validation perplexity",
        "perplexity",
        [("val_perplexity", "validation")],
        False,
    ),
    ("throughput.png", "Real tokens per second", "tokens/s", [("tokens_per_s", "train")], False),
    ("padding.png", "Padding overhead", "padded / real - 1", [("padding_overhead", "train")], True),
    ("lr.png", "Learning rate at epoch end", "lr", [("lr", "AdamW")], False),
)


def write_report(run_dir: str | Path) -> list[Path]:
    """Write one PNG per curve that the run logged into ``run_dir``, and ``confusion.png``
    when ``result.json`` holds a confusion matrix (the test one, else validation's); return
    their paths.

    Raises:
        CheckpointError: ``run_dir`` or its ``metrics.jsonl`` is missing or holds no epoch.
        ConfigError: matplotlib is not installed.
    """
    run = RunDir(Path(run_dir))
    run.require_exists()
    if not run.metrics.is_file():
        raise CheckpointError(f"expected {run.metrics} from a training run, got no such file")
    records = read_metrics(run.metrics, skip_torn_tail=False)
    if not records:
        raise CheckpointError(f"expected at least one epoch in {run.metrics}, got none")
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only, never a window
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator, PercentFormatter
    except ImportError as exc:
        raise ConfigError(
            "expected matplotlib for plots (pip install 'seqbucket[plot]'), got none installed"
        ) from exc

    epochs = [r["epoch"] for r in records]  # 1-based
    written = []
    for name, title, ylabel, series, percent in _PLOTS:
        present = [(k, lbl) for k, lbl in series if any(r.get(k) is not None for r in records)]
        if not present:
            continue
        fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
        for key, label in present:
            points = [
                (e, r[key]) for e, r in zip(epochs, records, strict=True) if r.get(key) is not None
            ]
            ax.plot([p[0] for p in points], [p[1] for p in points], marker=".", label=label)
        ax.set_title(f"{title} ({run.path.name})")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no "epoch 1.5" ticks
        ax.set_ylabel(ylabel)
        if percent:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.grid(alpha=0.3)
        if len(present) > 1:
            ax.legend()
        fig.tight_layout()
        out = run.path / name
        fig.savefig(out)
        plt.close(fig)
        written.append(out)
    confusion = _confusion_from_result(run.result)
    if confusion is not None:
        written.append(_plot_confusion(plt, run.path, *confusion))
    return written


def _confusion_from_result(path: Path) -> tuple[str, list[list[int]], list[str]] | None:
    """(split, matrix, class labels) from ``result.json``: test first, else validation."""
    if not path.is_file():
        return None
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{path}: expected JSON, got unreadable text ({exc.msg})") from None
    for split, key in (("test", "test"), ("validation", "val")):
        metrics = result.get(key) if isinstance(result, dict) else None
        if isinstance(metrics, dict) and metrics.get("confusion"):
            labels = [r["label"] for r in metrics.get("per_class", [])]
            return split, metrics["confusion"], labels
    return None


def _plot_confusion(
    plt: Any, out_dir: Path, split: str, cm: list[list[int]], labels: list[str]
) -> Path:
    """``confusion.png``: counts per (true, predicted) class, with the counts written in."""
    n = len(cm)
    labels = labels if len(labels) == n else [str(c) for c in range(n)]
    side = min(12.0, max(4.0, 0.45 * n + 2))
    fig, ax = plt.subplots(figsize=(side, side), dpi=100)
    image = ax.imshow(cm, cmap="Blues")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(n), labels, rotation=90 if n > 8 else 0)
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(f"Confusion matrix, {split} ({out_dir.name})")
    if n <= 30:  # beyond that the numbers are unreadable; the colours still show the pattern
        peak = max((max(row) for row in cm), default=0)
        for i, row in enumerate(cm):
            for j, value in enumerate(row):
                colour = "white" if value > peak / 2 else "black"
                ax.text(j, i, str(value), ha="center", va="center", color=colour, fontsize=8)
    fig.tight_layout()
    out = out_dir / "confusion.png"
    fig.savefig(out)
    plt.close(fig)
    return out
