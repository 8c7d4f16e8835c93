"""The bench's parts: peer batch sources, saved-activation memory, time to accuracy, summary."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from seqbucket.bench.batch_source import EpochBatches, dataloader_batches
from seqbucket.bench.memory import SavedTensorPeak
from seqbucket.bench.runner import RunFigures
from seqbucket.bench.strategies import pick, registry
from seqbucket.bench.summary import summarise, unranked_pairs
from seqbucket.bench.time_to_accuracy import default_target, time_to_target
from seqbucket.errors import ConfigError


def test_dataloader_batches_are_torch_dataloaders_own():
    lengths = np.arange(1, 24)
    ours = dataloader_batches(lengths, 5, seed=2, epoch=3)
    generator = torch.Generator().manual_seed(2 * 100_003 + 3)
    loader = DataLoader(range(len(lengths)), batch_size=5, shuffle=True, generator=generator)
    assert [b.tolist() for b in ours] == [b.tolist() for b in loader]


def test_epoch_batches_cover_each_example_once_and_resume_mid_epoch():
    lengths = np.random.default_rng(0).integers(1, 50, 41)
    src = EpochBatches(dataloader_batches, lengths, 8, seed=1)
    for epoch in (0, 1):
        src.set_epoch(epoch)
        seen = np.concatenate([idx for _, idx, pad in src.iter_batches()])
        # Invariant: every example exactly once per epoch.
        assert sorted(seen.tolist()) == list(range(41))
    pairs = zip(src.batches(0), src.batches(1), strict=False)
    assert not all(np.array_equal(a, b) for a, b in pairs)
    src.set_epoch(2)
    first = [idx for _, idx, _ in src.iter_batches()]
    src.set_epoch(2)
    it = src.iter_batches()
    next(it), next(it)
    state = src.state_dict()
    other = EpochBatches(dataloader_batches, lengths, 8, seed=1)
    other.load_state_dict(state)
    rest = [(s, idx) for s, idx, pad in other.iter_batches()]
    assert [s for s, _ in rest] == list(range(2, len(first)))
    assert all(np.array_equal(a, b) for (_, a), b in zip(rest, first[2:], strict=False))


def test_saved_tensor_peak_counts_what_backward_keeps_then_frees_it():
    x = torch.randn(100, 50, requires_grad=True)  # 20,000 bytes
    w = torch.randn(50, 50, requires_grad=True)  # 10,000 bytes
    memory = SavedTensorPeak()
    with memory.track():
        y = (x @ w).sum()  # mm saves x and w
        assert memory.live == 30_000
        y.backward()
    del y
    assert memory.peak == 30_000 and memory.live == 0


def test_time_to_target_counts_training_seconds_until_the_first_epoch_that_reaches_it():
    records = [
        {"train_seconds": 1.0, "val_accuracy": 0.5},
        {"train_seconds": 2.0, "val_accuracy": 0.9},
        {"train_seconds": 4.0, "val_accuracy": 0.8},
    ]
    assert time_to_target(records, 0.9) == 3.0
    assert time_to_target(records, 0.5) == 1.0
    assert time_to_target(records, 0.95) is None
    assert default_target({"a": 0.8, "b": 1.0}) == pytest.approx(0.95)
    assert default_target({}) is None


def _fig(name: str, seed: int, speed: float, acc: float) -> RunFigures:
    records = [{"train_seconds": 1.0, "val_accuracy": acc}]
    return RunFigures(name, seed, speed, 1.0, 0.1, 3, 1.0, 0.1, 0.5, acc, 0.5, acc, records)


def test_summary_takes_medians_and_flags_overlapping_ranges():
    figures = [_fig("a", s, v, 0.9) for s, v in enumerate([10.0, 12.0, 11.0])]
    figures += [_fig("b", s, v, 0.5) for s, v in enumerate([5.0, 6.0, 13.0])]
    figures += [_fig("c", s, v, 0.9) for s, v in enumerate([1.0, 1.5, 2.0])]
    rows, target = summarise(figures)
    assert target == pytest.approx(0.95 * 0.9)
    a, b, _c = rows
    assert (a.tokens_per_s.median, a.tokens_per_s.low, a.tokens_per_s.high) == (11.0, 10.0, 12.0)
    assert a.reached == 3 and b.reached == 0 and b.time_to_target is None
    # a (10-12) and b (5-13) overlap: not ranked; b (5-13) and c (1-2) do not.
    assert unranked_pairs(rows) == [("a", "b")]


def test_strategy_names_are_checked():
    from seqbucket.bench.strategies import NAMES

    assert tuple(registry()) == NAMES  # the static list the names are checked against
    assert [s.name for s in pick("auto,packed")] == ["auto", "packed"]
    assert len(pick(None)) == len(registry())
    with pytest.raises(ConfigError, match="got 'nope' in --strategies"):
        pick("auto,nope")


def test_a_randomness_setting_reaches_auto_and_leaves_the_others_alone():
    # A user's config with auto's knob must not stop the strategies that have no such knob.
    from seqbucket.batching import parse_batching
    from seqbucket.train.config import TrainConfig

    lengths = np.array([5, 9, 14, 30, 31, 60, 61, 90] * 4)
    base = TrainConfig(randomness=0.8)
    for name, strategy in registry().items():
        config = strategy.configure(lengths, base)
        auto = config.batching == "auto"
        assert config.randomness == (0.8 if auto else None), name
        parse_batching(config.batching, batch_size=4, randomness=config.randomness)
