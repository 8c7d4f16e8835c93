"""Run the bench: every strategy through the one training loop (``seqbucket.train.train``), for
the same epochs, over several seeds, alternating strategies within each repeat so that a load
change on a shared machine hits them alike.

One run gives a :class:`RunFigures`: real tokens/s and seconds per epoch of the training steps,
padding overhead, distinct shapes, peak saved-activation memory, the repeat-pair fraction of its
batches (epoch 1 against epoch 2, as the loop drew them), the final validation and test loss and
accuracy, and the per-epoch records that time-to-accuracy reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seqbucket.batching.pairs import repeat_pair_fraction_batches
from seqbucket.bench.memory import SavedTensorPeak
from seqbucket.bench.progress import RunBar
from seqbucket.bench.strategies import Strategy
from seqbucket.train import TrainConfig, train
from seqbucket.train.metrics import read_metrics
from seqbucket.train.progress import Progress
from seqbucket.train.wiring import make_sampler


@dataclass
class RunFigures:
    """The figures of one strategy, one seed (see the module docstring)."""

    strategy: str
    seed: int
    tokens_per_s: float  # real tokens per second of training steps, over all epochs
    epoch_seconds: float  # mean seconds of training steps per epoch
    padding_overhead: float  # padded / real tokens - 1, over all epochs
    distinct_shapes: int
    peak_saved_mb: float  # peak bytes saved for backward (bench.memory)
    repeat_pairs: float  # repeat-pair fraction, epoch 1 batches vs epoch 2 batches
    val_loss: float | None
    val_accuracy: float | None
    test_loss: float | None
    test_accuracy: float | None
    records: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _batches_of(strategy: Strategy, config: TrainConfig, lengths: np.ndarray, epoch: int) -> list:
    """The batches the loop draws in ``epoch`` under ``strategy`` (same seed, same source)."""
    factory = strategy.sampler(config)
    if factory is not None:
        return factory(lengths).batches(epoch)
    sampler = make_sampler(lengths, config)
    sampler.set_epoch(epoch)
    return list(sampler.plan.batches)


def run_one(
    strategy: Strategy,
    config: TrainConfig,
    lengths: np.ndarray,
    out: Path,
    progress: Progress | None = None,
) -> RunFigures:
    """Train ``config`` (already holding the strategy's changes and the seed) into ``out``.

    ``lengths``: the whole training data's lengths; only the repeat-pair fraction reads them, on
    the training split the loop uses (``train`` splits the same way with the same seed)."""
    memory = SavedTensorPeak()
    with memory.track():
        result = train(
            config.replace(out=str(out)),
            force=True,
            sampler=strategy.sampler(config),
            progress=progress,
        )
    records = [r for r in read_metrics(out / "metrics.jsonl") if not r.get("partial")]
    seconds = sum(float(r["train_seconds"]) for r in records)
    real = sum(float(r["tokens_per_s"]) * float(r["train_seconds"]) for r in records)
    padded = sum(
        float(r["tokens_per_s"]) * float(r["train_seconds"]) * (1 + float(r["padding_overhead"]))
        for r in records
    )
    last = records[-1]
    test = result.test or {}
    return RunFigures(
        strategy=strategy.name,
        seed=config.seed,
        tokens_per_s=real / max(seconds, 1e-9),
        epoch_seconds=seconds / max(len(records), 1),
        padding_overhead=padded / max(real, 1e-9) - 1,
        distinct_shapes=int(last["distinct_shapes"]),
        peak_saved_mb=memory.peak_mb,
        repeat_pairs=max_repeat_over_gaps(strategy, config, lengths),
        val_loss=last.get("val_loss"),
        val_accuracy=last.get("val_accuracy"),
        test_loss=test.get("loss"),
        test_accuracy=test.get("accuracy"),
        records=records,
    )


REPEAT_GAPS = 10  # the randomness column is the worst of epoch gaps 1..10, as in batching


def max_repeat_over_gaps(strategy: Strategy, config: TrainConfig, lengths: np.ndarray) -> float:
    """The largest share of epoch 0's batch-mate pairs that meet again ``g`` epochs later, over
    ``g`` = 1..REPEAT_GAPS: a shuffle that repeats itself every few epochs cannot hide."""
    first = _batches_of(strategy, config, lengths, 0)
    return max(
        repeat_pair_fraction_batches(first, _batches_of(strategy, config, lengths, g))
        for g in range(1, REPEAT_GAPS + 1)
    )


def split_lengths(config: TrainConfig) -> np.ndarray:
    """Lengths of the training split that ``train`` carves (same split function, same seed)."""
    from seqbucket.train.split import stratified_split
    from seqbucket.train.wiring import load_data

    full = load_data(config.data, "train", config=config, training=True)
    labels = np.asarray(full.targets) if full.task == "classify" and full.labelled else None
    train_idx, _ = stratified_split(len(full), config.val_fraction, labels=labels, seed=config.seed)
    return np.asarray(full.lengths)[train_idx]


def run_bench(
    strategies: list[Strategy],
    base: TrainConfig,
    *,
    repeats: int,
    out: Path,
    warmup: bool = True,
    progress_for: Callable[[str, int], Progress] | None = None,
) -> list[RunFigures]:
    """Every strategy once per repeat (seed ``base.seed + repeat``), strategies alternating.

    ``warmup``: one discarded short run first (imports, allocator, caches), so the first measured
    strategy is not charged for them. Results are also appended to ``out/runs.jsonl``."""
    out.mkdir(parents=True, exist_ok=True)
    log = out / "runs.jsonl"
    log.write_text("", encoding="utf-8")
    if warmup:
        first = strategies[0]
        lengths = split_lengths(base)
        warm = first.configure(lengths, base).replace(epochs=1, max_steps=None)
        train(warm.replace(out=str(out / "warmup"), quiet=True), force=True,
              sampler=first.sampler(warm), progress=RunBar("warm-up", 1))  # fmt: skip
    figures: list[RunFigures] = []
    for repeat in range(repeats):
        seeded = base.replace(seed=base.seed + repeat)
        lengths = split_lengths(seeded)
        for strategy in strategies:
            config = strategy.configure(lengths, seeded)
            progress = progress_for(strategy.name, seeded.seed) if progress_for else None
            run_dir = out / "runs" / f"{strategy.name}-seed{seeded.seed}"
            fig = run_one(strategy, config, lengths, run_dir, progress)
            figures.append(fig)
            with log.open("a", encoding="utf-8") as f:
                f.write(json.dumps(fig.to_dict()) + "\n")
    return figures


def read_runs(path: Path) -> list[RunFigures]:
    """The runs a bench wrote to ``runs.jsonl`` (one per line, as they finished)."""
    from seqbucket.errors import MissingFileError

    if not path.is_file():
        raise MissingFileError(f"expected a bench's runs.jsonl at {path}, got no such file")
    lines = path.read_text(encoding="utf-8").splitlines()
    return [RunFigures(**json.loads(line)) for line in lines if line.strip()]
