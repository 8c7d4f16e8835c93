"""``train --cuda-graphs``: the training step's forward and backward captured as one CUDA graph
per batch shape, replayed from static input buffers.

NOTE [one CUDA graph per bucket]: a CUDA graph replays fixed kernels on fixed addresses, so it
serves exactly one batch shape. ``GraphedStep`` keeps one graph per key ``(x shape, x dtype,
y shape, y dtype, padding)`` (``graph_key``), each with its own static ``x``, ``lengths`` and
``y`` buffers, its own static loss and gradients, and its own private memory pool (replay order
follows the plan, not the capture order, so pools cannot be shared). The count of graphs is the
count of keys, which is the plan's distinct shapes: the same ``compiled_graphs``/``recompiles``
figures ``train --compile`` logs (NOTE [one graph per bucket] in ``compiled.py``), and the same
reason bucketing matters (``per-length`` captures one graph per length, and each graph keeps its
activations' memory for the whole run).

Per step: the batch is checked eagerly (``check_inputs`` on its CPU ``lengths``; a graph cannot
hold a check that reads a value), copied into its shape's static buffers (``lengths`` too, to the
GPU: every mask, gather and reversal is then computed inside the graph from the batch's own
lengths, NOTE [trusted inputs] in ``models/validate.py``), the graph is replayed, and each
parameter's ``.grad`` is pointed at that graph's static gradient. A new shape is first run
``WARMUP`` times on a side stream (cuDNN and the allocator settle; ``torch.autograd.grad``, so no
``.grad`` is touched and the warm-up trains nothing), then captured, then replayed once for the
real result, as the PyTorch CUDA-graph notes prescribe.

What is captured: standardised inputs -> model -> masked loss -> ``torch.autograd.grad``. What
stays eager, and why: gradient clipping and the AdamW step. The trainer's schedule writes a new
Python-float learning rate every step (a captured optimiser would freeze the first one, unless
every ``lr`` became a device tensor, which changes the checkpoint format and resume), and eager
AdamW keeps ``last.pt`` identical to an eager run's; the optimiser is a few fused ``foreach``
launches per step, small beside the recurrent kernels the graph saves launches on.

Refused up front (``check_cuda_graphs``, one line): no CUDA device; ``--device cpu``; together
with ``--compile`` (choose one way to make graphs); ``--precision`` other than fp32 (autocast's
cast cache and fp16's grad scaler, whose skipped steps need a CPU sync, are not captured here);
``--impl packed`` (``pack_padded_sequence`` needs CPU lengths) and ``--model unshared`` (it
sizes its loop by ``lengths.max()``, a value read on the CPU).

``capture=False`` keeps the same static buffers, cache and ``.grad`` pointing but re-runs the
step eagerly into the static outputs instead of replaying a graph: the CPU tests use it to check
this bookkeeping; only a GPU runs the capture itself (``scripts/gpu_check.sh``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import torch

from seqbucket.errors import ConfigError
from seqbucket.models import SequenceModel, masked_loss
from seqbucket.models.validate import check_inputs, trusted_inputs
from seqbucket.train.config import TrainConfig

WARMUP = 3  # eager runs of a new shape on a side stream before its capture (PyTorch's default)

V = TypeVar("V")
GraphKey = tuple[tuple[int, ...], str, tuple[int, ...], str, str]


def graph_key(x: torch.Tensor, y: torch.Tensor, padding: str) -> GraphKey:
    """What a captured graph is specialised on: the shapes and dtypes of its inputs and the
    padding side (the lengths' values are data, copied in at every replay)."""
    return (tuple(x.shape), str(x.dtype), tuple(y.shape), str(y.dtype), padding)


class GraphCache(Generic[V]):
    """``key -> value``, each value built once, the first time its key is looked up."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, V] = {}

    def lookup(self, key: Hashable, build: Callable[[], V]) -> V:
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = build()
        return entry

    def __len__(self) -> int:
        return len(self._entries)

    def stats(self) -> dict[str, int]:
        """``{"compiled_graphs", "recompiles"}``: graphs built, and every one after the first."""
        graphs = len(self._entries)
        return {"compiled_graphs": graphs, "recompiles": max(graphs - 1, 0)}


def check_cuda_graphs(config: TrainConfig) -> None:
    """``ConfigError`` (one line) unless ``config``'s ``cuda_graphs`` can run here (see the
    module docstring for each refusal's reason); a no-op without ``cuda_graphs``."""
    if not config.cuda_graphs:
        return
    if not torch.cuda.is_available():
        built = "a build without CUDA" if torch.version.cuda is None else "no device visible"
        raise ConfigError(
            f"expected a CUDA device for --cuda-graphs, got none (torch {torch.__version__}, "
            f"{built}); on a CPU use --compile for one graph per bucket"
        )
    refusals = [
        (config.device == "cpu", "--device cuda or auto", "--device cpu"),
        (config.compile, "--compile or --cuda-graphs, not both", "both"),
        (config.precision != "fp32", "--precision fp32", f"--precision {config.precision}"),
        (config.impl == "packed", "--impl fused or loop", "--impl packed (CPU lengths)"),
        (config.model == "unshared", "a shared recurrent --model", "--model unshared"),
    ]
    for bad, expected, got in refusals:
        if bad:
            raise ConfigError(f"expected {expected} with --cuda-graphs, got {got}")


@dataclass
class _Entry:
    """One shape's graph: static inputs, static outputs, and how to refresh the outputs."""

    x: torch.Tensor  # (B, T, F) or (B, T)
    lengths: torch.Tensor  # (B,) int64 on the model's device
    y: torch.Tensor
    loss: torch.Tensor  # () fp32
    grads: list[torch.Tensor | None]  # one per trained parameter; None when it got none
    replay: Callable[[], None]


class GraphedStep:
    """``step(batch) -> loss``: forward and backward of one collated training batch by replaying
    its shape's CUDA graph (NOTE [one CUDA graph per bucket]). Afterwards each trained
    parameter's ``.grad`` holds this batch's gradient, as after ``loss.backward()`` on zeroed
    gradients; ``loss`` is a static tensor, valid until the next call.

    Raises:
        ConfigError: ``model`` is not a ``SequenceModel``, or ``capture`` without CUDA.
    """

    def __init__(self, model: torch.nn.Module, task: str, *, capture: bool = True) -> None:
        if not isinstance(model, SequenceModel):
            raise ConfigError(f"expected a SequenceModel for CUDA graphs, got {type(model)}")
        self.device = next(model.parameters()).device
        if capture and self.device.type != "cuda":
            raise ConfigError(f"expected a model on a CUDA device to capture, got {self.device}")
        self.model = model
        self.task = task
        self.capture = capture
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.cache: GraphCache[_Entry] = GraphCache()

    def __call__(self, batch: Any) -> torch.Tensor:
        config = self.model.config
        weight = self.params[0]
        # What the eager model checks on every batch, checked here, outside the graph.
        check_inputs(
            batch.x, batch.lengths, batch.padding, input_size=config.input_size,
            vocab_size=config.vocab_size, dtype=weight.dtype, device=weight.device,
        )  # fmt: skip
        key = graph_key(batch.x, batch.y, batch.padding)
        entry = self.cache.lookup(key, lambda: self._build(batch))
        entry.x.copy_(batch.x)
        entry.lengths.copy_(batch.lengths)  # CPU -> device; masks are computed from it inside
        entry.y.copy_(batch.y)
        entry.replay()
        for p, g in zip(self.params, entry.grads, strict=True):
            p.grad = g  # the graph's own buffer: overwritten at its next replay, used before
        return entry.loss

    def stats(self) -> dict[str, int]:
        return self.cache.stats()

    def _run(
        self, x: torch.Tensor, lengths: torch.Tensor, y: torch.Tensor, padding: str
    ) -> tuple[torch.Tensor, list[torch.Tensor | None]]:
        """The captured work: loss and gradients of the batch in the static buffers."""
        with trusted_inputs():  # checked in __call__; lengths live on the device here
            loss = masked_loss(self.task, self.model(x, lengths, padding=padding).float(), y)
        grads = torch.autograd.grad(loss, self.params, allow_unused=True)
        return loss.detach(), list(grads)

    def _build(self, batch: Any) -> _Entry:
        x = batch.x.clone()
        lengths = batch.lengths.to(self.device, copy=True)
        y = batch.y.clone()

        def run() -> tuple[torch.Tensor, list[torch.Tensor | None]]:
            return self._run(x, lengths, y, batch.padding)

        if not self.capture:
            loss, grads = run()

            def rerun() -> None:  # the graph's contract: new values at the same addresses
                new_loss, new_grads = run()
                loss.copy_(new_loss)
                for g, new in zip(grads, new_grads, strict=True):
                    if g is not None and new is not None:
                        g.copy_(new)

            return _Entry(x, lengths, y, loss, grads, rerun)
        loss, grads, graph = _capture(run, self.device)
        return _Entry(x, lengths, y, loss, grads, graph.replay)


def _capture(
    run: Callable[[], tuple[torch.Tensor, list[torch.Tensor | None]]], device: torch.device
) -> tuple[torch.Tensor, list[torch.Tensor | None], torch.cuda.CUDAGraph]:
    """Warm ``run`` up on a side stream, then capture it into a new graph with its own memory
    pool. Returns the static outputs and the graph (not yet replayed: capture runs nothing)."""
    side = torch.cuda.Stream(device)
    side.wait_stream(torch.cuda.current_stream(device))
    with torch.cuda.stream(side):
        for _ in range(WARMUP):
            run()  # outputs dropped; memory returns to the allocator before the capture
    torch.cuda.current_stream(device).wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        loss, grads = run()
    return loss, grads, graph
