"""The strategies ``seqbucket bench`` compares: one registry, each entry a way to batch (and, for
``packed``, to run the encoder) that the same training loop then trains under.

- ours: seqbucket's own plans (``--batching`` specs), with quantile boundaries for ``buckets``
  and a token budget of ``batch_size x mean length`` for ``auto-budget``;
- the peers: Hugging Face's ``LengthGroupedSampler`` and Lhotse's ``DynamicBucketingSampler``
  (live from ``seqbucket.bench.live_peers`` when the ``peers`` extra is installed, else our
  re-implementations from ``seqbucket.bench.peers``, marked as such), and a plain ``DataLoader``
  (``shuffle=True``), whose batches come from torch's own samplers;
- ``packed``: the same DataLoader batches through ``pack_padded_sequence``, as users write it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from seqbucket.batching import DEFAULT_RANDOMNESS, quantile_boundaries
from seqbucket.bench import peers
from seqbucket.bench.batch_source import EpochBatches, EpochFn, dataloader_batches
from seqbucket.errors import ConfigError
from seqbucket.train.config import TrainConfig


@dataclass(frozen=True)
class Strategy:
    """One column of the comparison.

    ``changes(lengths, config)``: the TrainConfig fields this strategy sets (batching, impl...).
    ``epoch_fn``: when set, batches come from it (padded to the batch max) instead of the plan.
    """

    name: str
    family: str  # "seqbucket" or "peer"
    about: str  # one line for the report
    changes: Callable[[np.ndarray, TrainConfig], dict[str, Any]]
    epoch_fn: EpochFn | None = None

    def configure(self, lengths: np.ndarray, config: TrainConfig) -> TrainConfig:
        """``config`` as this strategy trains it. A ``randomness`` from the user's settings is
        auto's knob: it stays for the strategies that plan with ``auto`` and is dropped for the
        others, which have no such knob (and would refuse it)."""
        changed = config.replace(**self.changes(lengths, config))
        if changed.batching != "auto":
            changed = changed.replace(randomness=None)
        return changed

    def sampler(self, config: TrainConfig) -> Callable[[np.ndarray], EpochBatches] | None:
        """The batch-source factory ``seqbucket.train.train`` takes (None: the plan)."""
        fn = self.epoch_fn
        if fn is None:
            return None
        return lambda lengths: EpochBatches(fn, lengths, config.batch_size, config.seed)


def _spec(spec: str) -> Callable[[np.ndarray, TrainConfig], dict[str, Any]]:
    return lambda lengths, config: {"batching": spec}


def _quantile(lengths: np.ndarray, config: TrainConfig) -> dict[str, Any]:
    edges = quantile_boundaries(lengths, 4)
    return {"batching": "buckets:" + ",".join(str(e) for e in edges)}


def _budget(lengths: np.ndarray, config: TrainConfig) -> dict[str, Any]:
    # The tokens of an average plain batch: short buckets then take more examples per batch.
    return {"batching": "auto", "max_tokens": round(config.batch_size * lengths.mean())}


def _live(name: str) -> EpochFn | None:
    """``seqbucket.bench.live_peers.<name>`` when that module and its library are installed."""
    try:
        module = importlib.import_module("seqbucket.bench.live_peers")
    except ImportError:
        return None
    available = getattr(module, "available", None)
    fn = getattr(module, name, None)
    if fn is None or (callable(available) and not _available(available, name)):
        return None
    return fn  # type: ignore[no-any-return]


def _available(available: Callable[..., Any], name: str) -> bool:
    try:
        result = available()
    except Exception:  # a broken optional install means "not available", never a crash
        return False
    if isinstance(result, dict):  # {peer: None when it runs here, else why not}
        return name in result and result[name] is None
    return bool(result)


def _peer(name: str, live: str, fallback: EpochFn, about: str) -> Strategy:
    fn = _live(live)
    suffix = " (live)" if fn is not None else " (re-implemented: the peers extra runs it live)"
    return Strategy(
        name, "peer", about + suffix, _spec("random"), epoch_fn=fn if fn is not None else fallback
    )


def registry() -> dict[str, Strategy]:
    """Every strategy by name, in the report's order (peers resolved live when installed)."""
    ours = [
        Strategy("per-sample", "seqbucket", "one sequence per step, no padding",
                 _spec("per-sample")),
        Strategy("per-length", "seqbucket", "batches of one length, no padding",
                 _spec("per-length")),
        Strategy("pad-all", "seqbucket", "every batch padded to the longest sequence",
                 _spec("pad-all")),
        Strategy("random", "seqbucket", "random batches padded to the batch max", _spec("random")),
        Strategy("buckets-quantile", "seqbucket", "4 buckets at length quartiles", _quantile),
        Strategy("auto", "seqbucket", "optimal buckets at the run's randomness (default "
                 f"{DEFAULT_RANDOMNESS})", _spec("auto")),
        Strategy("auto-budget", "seqbucket", "auto with a token budget (B x mean length)", _budget),
    ]  # fmt: skip
    theirs = [
        _peer("hf-length-grouped", "hf_length_grouped", peers.megabatch_batches,
              "Hugging Face LengthGroupedSampler (group_by_length)"),
        _peer("lhotse-dynamic", "lhotse_dynamic_bucketing", peers.lhotse_batches,
              "Lhotse DynamicBucketingSampler"),
        Strategy("dataloader", "peer", "DataLoader(shuffle=True) + pad to the batch max",
                 _spec("random"), epoch_fn=dataloader_batches),
        Strategy("packed", "peer", "DataLoader batches through pack_padded_sequence",
                 lambda lengths, config: {"batching": "random", "impl": "packed"},
                 epoch_fn=dataloader_batches),
    ]  # fmt: skip
    return {s.name: s for s in (*ours, *theirs)}


# Every name registry() holds, in its order: names are checked against this before the
# registry is built (building it imports the peer libraries, which takes seconds).
NAMES = (
    *("per-sample", "per-length", "pad-all", "random", "buckets-quantile", "auto"),
    *("auto-budget", "hf-length-grouped", "lhotse-dynamic", "dataloader", "packed"),
)


def pick(names: str | None) -> list[Strategy]:
    """``--strategies a,b,c`` (None: all) -> strategies, in the order given."""
    wanted = list(NAMES) if names is None else [n.strip() for n in names.split(",") if n.strip()]
    for name in wanted:
        if name not in NAMES:
            raise ConfigError(
                f"expected strategies among {', '.join(NAMES)}; got {name!r} in --strategies"
            )
    if not wanted:
        raise ConfigError("expected at least one strategy in --strategies, got none")
    table = registry()
    return [table[name] for name in wanted]
