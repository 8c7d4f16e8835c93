"""``plan``: lengths -> one epoch's batches for one rank, a pure function of its arguments."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from seqbucket.batching.config import BatchingConfig, check_lengths
from seqbucket.batching.engine import rng_for
from seqbucket.batching.pairs import repeat_pair_fraction
from seqbucket.batching.ranks import rank_slice
from seqbucket.batching.stats import compute_stats, plane_position, report_text
from seqbucket.batching.strategies import STRATEGY_REGISTRY
from seqbucket.errors import ConfigError

_STEPS = 4  # rng stream for batch/step order


@dataclass
class BatchPlan:
    """One epoch for one rank.

    ``batches[s]`` holds the int64 example indices of step ``s`` (``B_s`` of them; with ranks,
    this rank's slice of the global batch, NOTE [rank slices], possibly empty);
    ``pad_lengths[s]`` is the padded ``T`` of that step (equal on all ranks). An example longer
    than its pad length (``overlong="truncate"``) is cut to it by ``collate(..., truncate=True)``.
    """

    batches: list[np.ndarray]
    pad_lengths: np.ndarray  # (S,) int64
    bucket: np.ndarray  # (S,) int64 bucket of each batch (0 when the strategy has no buckets)
    boundaries: tuple[int, ...] | None
    stats: dict[str, object] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.batches)

    def report(self) -> str:
        """Printable statistics, per bucket and in total (see ``stats.report_text``)."""
        return report_text(self.stats, str(self.stats.get("title", "plan")))


def plan(
    lengths: np.ndarray,
    config: BatchingConfig,
    *,
    seed: int = 0,
    epoch: int = 0,
    rank: int = 0,
    world_size: int = 1,
) -> BatchPlan:
    """Plan one epoch: every example exactly once (up to the documented overlong/drop_last
    policies; over all ranks together), batch order shuffled.

    Args:
        lengths: ``(N,)`` positive integer sequence lengths.
        config: the strategy and its settings.
        seed, epoch: the plan is a function of both; a new epoch gives a new plan.
        rank, world_size: this process's part: its slice of each global batch (NOTE [rank
            slices] in ``ranks.py``). The global batches do not depend on ``world_size``; all
            ranks get the same number of steps and the same pad length at each step.
    """
    if world_size < 1 or not 0 <= rank < world_size:
        raise ConfigError(
            f"expected 0 <= rank < world_size >= 1, got rank={rank}, world_size={world_size}"
        )
    if epoch < 0 or seed < 0:
        raise ConfigError(f"seed and epoch must be >= 0, got seed={seed}, epoch={epoch}")
    lengths = check_lengths(lengths)
    g = STRATEGY_REGISTRY[config.strategy](lengths, config, seed, epoch)
    order = rng_for(seed, epoch, _STEPS).permutation(g.pad_lengths.size)  # the step order
    starts, stops = g.begin[order], g.end[order]
    step_pad = g.pad_lengths[order]
    batches = [g.flat[a:b] for a, b in zip(starts.tolist(), stops.tolist(), strict=True)]
    real = g.real_tokens[order]
    if world_size > 1:
        batches = [rank_slice(b, rank, world_size) for b in batches]
        # real tokens of each slice, after any truncation to the step's pad length
        pads = step_pad.tolist()
        real = np.array(
            [np.minimum(lengths[b], t).sum() for b, t in zip(batches, pads, strict=True)],
            dtype=np.int64,
        )
    bucket = g.bucket[order]
    extra: dict[str, object] = {
        "strategy": config.strategy,
        "num_examples": int(lengths.size),
        "dropped": g.dropped,
        "truncated": g.truncated,
        "steps": int(order.size),
        "rank": rank,
        "world_size": world_size,
        "expected_repeat": g.expected_repeat,
        **g.notes,
    }
    sizes = np.array([b.size for b in batches], dtype=np.int64)
    stats = compute_stats(sizes, real, step_pad, bucket, boundaries=g.boundaries, extra=extra)
    total = stats["total"]
    total["plane"] = plane_position(total["padding_overhead"], g.expected_repeat)  # type: ignore[index]
    edges = ""
    if g.boundaries is not None:
        shown = list(map(str, g.boundaries))
        if len(shown) > 12:  # per-length can have thousands
            shown = [*shown[:6], f"... ({len(shown)} in all) ...", *shown[-3:]]
        edges = f", boundaries {','.join(shown)}"
    stats["title"] = (
        f"plan: strategy {config.strategy}, seed {seed}, epoch {epoch}, rank {rank}/{world_size}"
        f"{edges}"
    )
    return BatchPlan(
        batches=batches,
        pad_lengths=step_pad.astype(np.int64),
        bucket=bucket,
        boundaries=g.boundaries,
        stats=stats,
    )


def repeat_over_gaps(
    lengths: np.ndarray,
    config: BatchingConfig,
    *,
    seed: int = 0,
    epoch: int = 0,
    gaps: int = 10,
    rank: int = 0,
    world_size: int = 1,
) -> dict[str, object]:
    """The run's randomness: the repeat-pair fraction between epoch ``epoch`` and each of the
    ``gaps`` epochs after it (a run of ``gaps + 1`` epochs; gaps 1 to 10 by default).

    Returns ``{"mean", "max", "per_gap"}``: ``per_gap[g-1]`` compares ``epoch`` with
    ``epoch + g``. A shuffle that repeats itself every few epochs shows in ``max``."""
    if gaps < 1:
        raise ConfigError(f"expected gaps >= 1, got {gaps}")
    where = dict(seed=seed, rank=rank, world_size=world_size)
    first = plan(lengths, config, epoch=epoch, **where)
    per_gap = [
        repeat_pair_fraction(first, plan(lengths, config, epoch=epoch + g, **where))
        for g in range(1, gaps + 1)
    ]
    return {"mean": float(np.mean(per_gap)), "max": float(np.max(per_gap)), "per_gap": per_gap}
