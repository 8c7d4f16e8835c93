"""From runs to one row per strategy: medians, the spread over seeds, time to the target
accuracy, and which speed rankings the spread does not support."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from seqbucket.bench.runner import RunFigures
from seqbucket.bench.time_to_accuracy import default_target, time_to_target


@dataclass(frozen=True)
class Spread:
    """Median and range of one figure over a strategy's runs."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread | None:
        vals = [float(v) for v in values if v is not None]
        if not vals:
            return None
        return cls(statistics.median(vals), min(vals), max(vals))


@dataclass(frozen=True)
class Row:
    """One strategy's summary (``None``: the figure does not apply, e.g. accuracy on regress)."""

    strategy: str
    runs: int
    tokens_per_s: Spread
    epoch_seconds: Spread
    padding_overhead: float
    distinct_shapes: float
    peak_saved_mb: float
    repeat_pairs: float
    val_accuracy: Spread | None
    test_loss: Spread | None
    test_accuracy: Spread | None
    time_to_target: Spread | None  # over the runs that reached the target
    reached: int  # runs that reached it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarise(
    figures: Sequence[RunFigures], target: float | None = None
) -> tuple[list[Row], float | None]:
    """One :class:`Row` per strategy (in first-run order) and the accuracy target used (the
    given one, else ``time_to_accuracy.default_target`` of the median final accuracies)."""
    by: dict[str, list[RunFigures]] = {}
    for f in figures:
        by.setdefault(f.strategy, []).append(f)
    if target is None:
        finals = {
            name: statistics.median(f.val_accuracy for f in runs if f.val_accuracy is not None)
            for name, runs in by.items()
            if any(f.val_accuracy is not None for f in runs)
        }
        target = default_target(finals)
    rows = []
    for name, runs in by.items():
        times = [time_to_target(f.records, target) for f in runs] if target is not None else []
        reached = [t for t in times if t is not None]
        rows.append(
            Row(
                strategy=name,
                runs=len(runs),
                tokens_per_s=Spread.of([f.tokens_per_s for f in runs]),  # type: ignore[arg-type]
                epoch_seconds=Spread.of([f.epoch_seconds for f in runs]),  # type: ignore[arg-type]
                padding_overhead=statistics.median(f.padding_overhead for f in runs),
                distinct_shapes=statistics.median(f.distinct_shapes for f in runs),
                peak_saved_mb=statistics.median(f.peak_saved_mb for f in runs),
                repeat_pairs=statistics.median(f.repeat_pairs for f in runs),
                val_accuracy=Spread.of([f.val_accuracy for f in runs]),  # type: ignore[misc]
                test_loss=Spread.of([f.test_loss for f in runs]),  # type: ignore[misc]
                test_accuracy=Spread.of([f.test_accuracy for f in runs]),  # type: ignore[misc]
                time_to_target=Spread.of(reached),
                reached=len(reached),
            )
        )
    return rows, target


def unranked_pairs(rows: Sequence[Row]) -> list[tuple[str, str]]:
    """Neighbours in the tokens/s ranking whose ranges over seeds overlap: the measurement
    cannot order them (with one run per strategy, no range: every ranking is unsupported)."""
    ranked = sorted(rows, key=lambda r: -r.tokens_per_s.median)
    pairs = []
    for faster, slower in itertools.pairwise(ranked):
        single = faster.runs < 2 or slower.runs < 2
        if single or faster.tokens_per_s.low <= slower.tokens_per_s.high:
            pairs.append((faster.strategy, slower.strategy))
    return pairs


def ratio(rows: Sequence[Row], a: str, b: str) -> float | None:
    """Median real tokens/s of ``a`` over that of ``b`` (None if either is missing)."""
    table = {r.strategy: r for r in rows}
    if a not in table or b not in table:
        return None
    return table[a].tokens_per_s.median / table[b].tokens_per_s.median
