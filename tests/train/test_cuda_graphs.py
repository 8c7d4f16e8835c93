"""``train --cuda-graphs`` (``train/cuda_graphs.py``).

Without a GPU: the shape-keyed graph cache counts one graph per distinct batch shape; the
captured work (``GraphedStep`` with ``capture=False``: same static buffers and ``.grad`` pointing,
re-run eagerly instead of replayed) gives the eager losses and gradients, also when a shape comes
back with other lengths; and that work, run on the ``meta`` device, touches no CPU tensor (on a
GPU such an op would be a sync or a value frozen at capture). The capture itself runs only on a
GPU: the ``cuda``-marked tests below (``scripts/gpu_check.sh``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from seqbucket.batching import parse_batching, plan
from seqbucket.data import collate, load_dataset
from seqbucket.errors import ConfigError
from seqbucket.models import ModelConfig, build_model, masked_loss
from seqbucket.models.validate import trusted_inputs
from seqbucket.train import cuda_graphs
from seqbucket.train.artifacts import DataMeta
from seqbucket.train.compiled import StepLoss
from seqbucket.train.config import TrainConfig
from seqbucket.train.cuda_graphs import GraphedStep, check_cuda_graphs
from seqbucket.train.metrics import MetricsLogger
from seqbucket.train.rundir import RunDir
from seqbucket.train.trainer import Trainer
from seqbucket.train.wiring import model_config

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.fixture(scope="module")
def vowels():
    ds = load_dataset("japanese-vowels")
    return ds.subset(np.arange(0, len(ds), 9))  # 30 examples of lengths 7..26


def _model(device: str = "cpu", **changes) -> torch.nn.Module:
    torch.manual_seed(0)
    settings = dict(
        kind="lstm", task="classify", input_size=12, hidden_size=6, bidirectional=True,
        num_classes=9,
    )  # fmt: skip
    return build_model(ModelConfig(**{**settings, **changes})).to(device)


def _eager(model, task, batch) -> tuple[torch.Tensor, list[torch.Tensor]]:
    loss = StepLoss(model, task, None)(batch)
    return loss.detach(), list(torch.autograd.grad(loss, list(model.parameters())))


def _check_against_eager(model, vowels, device: str, capture: bool) -> GraphedStep:
    step = GraphedStep(model, "classify", capture=capture)
    # Batches 3 and 4 come back to the shapes of 1 and 2 (6 x 26 post, 6 x 29 pre) with other
    # lengths and data: the static buffers must follow, and no new graph is built.
    cases = [(0, 26, "post"), (6, 29, "pre"), (12, 26, "post"), (0, 29, "pre")]
    for start, pad_to, padding in cases:
        examples = [vowels[i] for i in range(start, start + 6)]
        batch = collate(examples, pad_to=pad_to, padding=padding).to(device)
        want, want_grads = _eager(model, "classify", batch)
        got = step(batch)
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
        for p, w in zip(model.parameters(), want_grads, strict=True):
            torch.testing.assert_close(p.grad, w, rtol=1e-5, atol=1e-6)
    return step


@pytest.mark.parametrize(
    "changes",
    [{}, {"frontend": "conv", "frontend_channels": 4, "pooling": "mean-max", "series_norm": True}],
    ids=["bilstm", "conv-front-end"],
)
def test_the_captured_work_gives_the_eager_loss_and_gradients(vowels, changes):
    step = _check_against_eager(_model(**changes), vowels, "cpu", capture=False)
    assert step.stats() == {"compiled_graphs": 2, "recompiles": 1}


def test_one_graph_per_distinct_shape_of_a_bucket_plan(vowels):
    # Invariant: graphs built == the plan's distinct (B, T) shapes (one per bucket here).
    batch_plan = plan(
        vowels.lengths,
        parse_batching("buckets:12,18,30", batch_size=4, pad_to="boundary", drop_last=True),
        seed=0,
    )
    step = GraphedStep(_model(bidirectional=False), "classify", capture=False)
    shapes = set()
    for indices, pad_to in zip(batch_plan.batches, batch_plan.pad_lengths, strict=True):
        batch = collate([vowels[int(i)] for i in indices], pad_to=int(pad_to))
        shapes.add(tuple(batch.x.shape[:2]))
        step(batch)
    assert len(shapes) == 3 and len(batch_plan.batches) > 3
    assert step.stats() == {"compiled_graphs": 3, "recompiles": 2}


def test_a_graphed_trainer_ends_with_the_eager_weights(vowels, tmp_path):
    # Invariant: the trainer's graphed branch (zero_grad first, .grad from the graph, then clip
    # and AdamW eagerly) trains exactly as its eager loop does, and logs one graph per shape.
    def fit(name: str, graphed: bool) -> tuple[dict, list[dict]]:
        path = tmp_path / name
        config = TrainConfig(
            hidden_size=4, bidirectional=True, quiet=True, out=str(path), epochs=2,
            batch_size=8, batching="buckets:12,18,30", warmup_steps=1,
        )  # fmt: skip
        mcfg = model_config(config, vowels)
        meta = DataMeta(vowels.task, vowels.label_names, None, None, np.zeros(0, dtype=np.int64))
        torch.manual_seed(0)
        model = build_model(mcfg)
        run = RunDir(path)
        trainer = Trainer(config, model, mcfg, vowels, None, meta, run, device=torch.device("cpu"))
        if graphed:
            trainer.graphed = GraphedStep(trainer.model, vowels.task, capture=False)
        records = trainer.fit(MetricsLogger(path / "metrics.jsonl")).records
        return trainer.model.state_dict(), records

    want, eager_records = fit("eager", graphed=False)
    got, records = fit("graphed", graphed=True)
    for name, value in want.items():
        torch.testing.assert_close(got[name], value, rtol=1e-5, atol=1e-6)
    assert [r["train_loss"] for r in records] == pytest.approx(
        [r["train_loss"] for r in eager_records], rel=1e-5
    )
    assert records[-1]["compiled_graphs"] == records[-1]["distinct_shapes"] >= 2


class _CpuTensors(TorchDispatchMode):
    """Records every op that reads or makes a CPU tensor."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: list[str] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        flat = tree_flatten((args, kwargs, out))[0]
        if any(isinstance(t, torch.Tensor) and t.device.type == "cpu" for t in flat):
            self.ops.append(str(func))
        return out


@pytest.mark.parametrize(("kind", "impl"), [("lstm", "fused"), ("gru", "loop"), ("rnn", "fused")])
def test_the_captured_work_never_touches_the_cpu(kind, impl):
    # Invariant: with lengths on the model's device, the trusted forward + backward has no op on
    # a CPU tensor and reads no value (meta tensors have none: such a read raises), so a CUDA
    # graph captures all of it. Two layers with dropout, both directions, pre padding, tag loss.
    model = _model("meta", kind=kind, impl=impl, task="tag", num_layers=2, dropout=0.1)
    x = torch.empty(3, 17, 12, device="meta")
    lengths = torch.empty(3, dtype=torch.int64, device="meta")
    y = torch.empty(3, 17, dtype=torch.int64, device="meta")
    with _CpuTensors() as seen, trusted_inputs():
        loss = masked_loss("tag", model(x, lengths, padding="pre"), y)
        torch.autograd.grad(loss, list(model.parameters()))
    assert seen.ops == []


def test_without_cuda_the_setting_is_refused_in_one_line(monkeypatch):
    monkeypatch.setattr(cuda_graphs.torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match=r"expected a CUDA device for --cuda-graphs, got none"):
        check_cuda_graphs(TrainConfig(cuda_graphs=True))
    check_cuda_graphs(TrainConfig())  # off: nothing to check


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"device": "cpu"}, "got --device cpu"),
        ({"compile": True}, "not both"),
        ({"precision": "bf16"}, "got --precision bf16"),
        ({"impl": "packed"}, "got --impl packed"),
        ({"model": "unshared"}, "got --model unshared"),
    ],
)
def test_settings_a_graph_cannot_capture_are_refused(monkeypatch, changes, needle):
    monkeypatch.setattr(cuda_graphs.torch.cuda, "is_available", lambda: True)
    with pytest.raises(ConfigError, match=needle):
        check_cuda_graphs(TrainConfig(cuda_graphs=True, **changes))


@pytest.mark.cuda
@needs_cuda
def test_cuda_captured_graphs_give_the_eager_loss_and_gradients(vowels):
    model = _model("cuda")
    with torch.backends.cudnn.flags(deterministic=True):
        step = _check_against_eager(model, vowels, "cuda", capture=True)
    assert step.stats() == {"compiled_graphs": 2, "recompiles": 1}
