"""``train --compile``: one compiled graph per distinct batch shape of the plan, and compiled
steps that give the eager losses and gradients. The ``aot_eager`` back end needs no C++
compiler, so these run anywhere."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqbucket.batching import parse_batching, plan
from seqbucket.data import collate, load_dataset
from seqbucket.errors import ConfigError
from seqbucket.models import ModelConfig, build_model
from seqbucket.train import compiled
from seqbucket.train.compiled import StepLoss, check_backend


@pytest.fixture(scope="module")
def vowels():
    ds = load_dataset("japanese-vowels")
    return ds.subset(np.arange(0, len(ds), 9))  # 30 examples of lengths 7..26


def _model(bidirectional: bool) -> torch.nn.Module:
    torch.manual_seed(0)
    config = ModelConfig(
        kind="lstm", task="classify", input_size=12, hidden_size=6,
        bidirectional=bidirectional, num_classes=9,
    )  # fmt: skip
    return build_model(config)


def _graphs_for(ds, spec: str, **settings) -> tuple[int, int, dict]:
    """Train-step losses for one epoch of ``spec``'s plan; returns (distinct (B, T) shapes of the
    plan, graphs compiled, stats)."""
    batch_plan = plan(ds.lengths, parse_batching(spec, **settings), seed=0)
    model = _model(bidirectional=False)
    step = StepLoss(model, "classify", None, backend="aot_eager")
    shapes = set()
    for indices, pad_to in zip(batch_plan.batches, batch_plan.pad_lengths, strict=True):
        batch = collate([ds[int(i)] for i in indices], pad_to=int(pad_to))
        shapes.add(tuple(batch.x.shape[:2]))
        step(batch).backward()
    return len(shapes), step.compiled_graphs, step.stats()


def test_pad_all_compiles_one_graph(vowels):
    # Invariant: every batch has one shape, so the step compiles once and never again.
    shapes, graphs, stats = _graphs_for(vowels, "pad-all", batch_size=10)
    assert shapes == 1 and graphs == 1 and stats["recompiles"] == 0


def test_buckets_padded_to_their_boundary_compile_one_graph_per_shape(vowels):
    # Invariant: graphs compiled == the plan's distinct (B, T) shapes; with pad_to="boundary"
    # and batches that fill up, that is one per bucket.
    shapes, graphs, stats = _graphs_for(
        vowels, "buckets:12,18,30", batch_size=4, pad_to="boundary", drop_last=True
    )
    assert shapes == 3  # every bucket fills at least one batch of 4
    assert graphs == shapes
    assert stats["recompiles"] == shapes - 1


def test_compiled_steps_give_the_eager_losses_and_gradients(vowels):
    model = _model(bidirectional=True)
    eager = StepLoss(model, "classify", None)
    fast = StepLoss(model, "classify", None, backend="aot_eager")
    params = list(model.parameters())
    for start, pad_to in ((0, None), (6, 30)):
        batch = collate([vowels[i] for i in range(start, start + 6)], pad_to=pad_to)
        want = eager(batch)
        want_grads = torch.autograd.grad(want, params)
        got = fast(batch)
        got_grads = torch.autograd.grad(got, params)
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
        for g, w in zip(got_grads, want_grads, strict=True):
            torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-6)
    assert fast.compiled_graphs == 2  # two shapes, each compiled once


def test_dynamic_compiles_fewer_graphs_than_a_per_length_plan_has_shapes(vowels):
    # Invariant: with a symbolic time axis, new lengths reuse the graph (Dynamo may still
    # specialise once more, e.g. on the batch size); the losses stay the eager ones.
    batch_plan = plan(vowels.lengths, parse_batching("per-length", batch_size=4), seed=0)
    model = _model(bidirectional=True)
    eager = StepLoss(model, "classify", None)
    dynamic = StepLoss(model, "classify", None, backend="aot_eager", dynamic=True)
    shapes = set()
    for indices, pad_to in list(zip(batch_plan.batches, batch_plan.pad_lengths, strict=True))[:8]:
        batch = collate([vowels[int(i)] for i in indices], pad_to=int(pad_to))
        shapes.add(tuple(batch.x.shape[:2]))
        torch.testing.assert_close(dynamic(batch), eager(batch), rtol=1e-5, atol=1e-6)
    assert len(shapes) >= 6 and dynamic.compiled_graphs <= 2


def test_an_unknown_back_end_is_refused():
    with pytest.raises(ConfigError, match=r"expected a torch.compile back end in .*'nope'"):
        check_backend("nope")


def test_inductor_without_a_cxx_compiler_suggests_aot_eager(monkeypatch):
    monkeypatch.setattr(compiled.shutil, "which", lambda name: None)
    with pytest.raises(ConfigError, match=r"C\+\+ compiler.*--compile-backend aot_eager"):
        check_backend("inductor")
