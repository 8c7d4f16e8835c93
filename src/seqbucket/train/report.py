"""PNG plots of a run's curves, drawn from ``<run>/metrics.jsonl`` (needs the ``plot`` extra)."""

from __future__ import annotations

from pathlib import Path

from seqbucket.errors import CheckpointError, ConfigError
from seqbucket.train.metrics import read_metrics
from seqbucket.train.rundir import RunDir

# (file name, title, y label, [(metric key, legend label)], y axis as a percentage?)
_PLOTS = (
    ("loss.png", "Loss", "loss", [("train_loss", "train"), ("val_loss", "validation")], False),
    ("accuracy.png", "Validation accuracy", "accuracy", [("val_accuracy", "validation")], True),
    ("rmse.png", "Validation RMSE", "RMSE", [("val_rmse", "validation")], False),
    ("throughput.png", "Real tokens per second", "tokens/s", [("tokens_per_s", "train")], False),
    ("padding.png", "Padding overhead", "padded / real - 1", [("padding_overhead", "train")], True),
    ("lr.png", "Learning rate at epoch end", "lr", [("lr", "AdamW")], False),
)


def write_report(run_dir: str | Path) -> list[Path]:
    """Write one PNG per curve that the run logged into ``run_dir``; return their paths.

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
    return written
