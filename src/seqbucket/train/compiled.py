"""The training step's loss, run eagerly or compiled with ``torch.compile``: one graph per shape.

NOTE [one graph per bucket]: the compiled step is traced with ``dynamic=False``, so every
distinct batch shape ``(B, T)`` the plan produces compiles the step once, and nothing else
does. ``pad-all`` compiles one graph; ``buckets`` with ``pad_to="boundary"`` one per bucket;
``random`` and ``per-length`` one per distinct batch maximum, which is why bucketing matters to a
graph compiler. The count is measured, not predicted: ``compiled_graphs`` counts the steps during
which the back end was handed anything to compile (each compiles the step for its batch's
shape); every one after the first is a recompilation (``recompiles``). A shape compiled twice,
or a shape that never compiled, would show as a count that differs from the plan's distinct
shapes. Each instance compiles its own copy of the step's code, so runs in one process never
share Dynamo's cache (kept on the code object) and each counts its own compilations.

``dynamic=True`` (``train --compile --dynamic``) is the strategy to compare against: the time
axis is marked dynamic, so one graph serves every length (measured on a per-length plan of 12
shapes: 2 compiled versions, the second a specialisation Dynamo still made).

What is compiled: the standardiser, the model's forward and the masked loss; AOT autograd
derives the backward graphs, so ``loss.backward()`` runs compiled code too. The fused recurrent
kernel stays one opaque eager op: Dynamo breaks the graph at ``nn.LSTM``/``GRU``/``RNN``, and
with ``allow_rnn`` torch 2.13's AOT autograd fails on the traced kernel ("expected all
tensors_saved_with_vc_check to be Tensors"). So each compiled version is made of the pieces
between those breaks: ``subgraphs`` counts them (the back end is wrapped to count what it is
handed). The model's input checks branch on data and break the graph too (measured: 6
subgraphs for the first shape of a unidirectional LSTM, 4 more per new shape). The optimiser
step and gradient clipping stay eager.
"""

from __future__ import annotations

import shutil
import types
import warnings
from typing import Any

import torch

from seqbucket.errors import ConfigError
from seqbucket.models import masked_loss
from seqbucket.train.evaluate import forward
from seqbucket.train.standardize import Standardizer

# Dynamo refuses to compile a function more often than its recompile limit (8 by default) and
# then silently runs it eagerly; a plan may hold more shapes than that, and every one must compile.
_RECOMPILE_LIMIT = 100_000


def check_backend(name: str) -> None:
    """``ConfigError`` unless ``name`` is a ``torch.compile`` back end that can run here: known to
    Dynamo, and for ``inductor`` on CPU, with a C++ compiler on PATH."""
    known = sorted(torch._dynamo.list_backends(exclude_tags=()))
    if name not in known:
        raise ConfigError(f"expected a torch.compile back end in {known}, got {name!r}")
    if name == "inductor" and not _cxx_compiler():
        raise ConfigError(
            "expected a C++ compiler for --compile-backend inductor (it builds CPU kernels), "
            "got none on PATH (g++, c++, clang++ or $CXX); use --compile-backend aot_eager"
        )


def _cxx_compiler() -> str | None:
    import os

    names = [os.environ.get("CXX", ""), "g++", "c++", "clang++"]
    return next((path for name in names if name and (path := shutil.which(name))), None)


class StepLoss:
    """``step_loss(batch) -> loss`` (a scalar tensor with a graph): standardise, forward and
    masked loss of one collated training batch, eagerly (``backend=None``) or compiled.

    Attributes:
        subgraphs: graphs the back end was handed so far (see NOTE [one graph per bucket]).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        task: str,
        standardizer: Standardizer | None,
        *,
        backend: str | None = None,
        dynamic: bool = False,
    ) -> None:
        self.model = model
        self.task = task
        self.standardizer = standardizer
        self.backend = backend
        self.dynamic = dynamic  # one graph with a symbolic time axis, instead of one per shape
        self.subgraphs = 0
        self.compiled_graphs = 0  # steps that compiled something: one per new batch shape
        # A copy of the code object per instance: Dynamo keeps its cache on the code object, so
        # this instance's compiled versions are exactly that cache's entries.
        code = _step_loss.__code__.replace()
        self._fn: Any = types.FunctionType(code, _step_loss.__globals__, "step_loss")
        if backend is not None:
            check_backend(backend)
            inner = torch._dynamo.lookup_backend(backend)

            def counting(gm: torch.fx.GraphModule, example_inputs: list[Any]) -> Any:
                self.subgraphs += 1
                return inner(gm, example_inputs)

            self._fn = torch.compile(self._fn, backend=counting, dynamic=dynamic)

    def __call__(self, batch: Any) -> torch.Tensor:
        if self.backend is None:
            return self._fn(self.model, self.task, self.standardizer, batch)
        before = self.subgraphs
        if self.dynamic:
            torch._dynamo.mark_dynamic(batch.x, 1)  # (B, T, ...): T symbolic from the start
        with (
            torch._dynamo.config.patch(
                recompile_limit=_RECOMPILE_LIMIT, accumulated_recompile_limit=_RECOMPILE_LIMIT
            ),
            warnings.catch_warnings(),
        ):
            # Dynamo's own warnings while it traces (it reads .grad of non-leaf tensors to build
            # guards; it instantiates autograd Functions), which under -W error would crash it
            warnings.filterwarnings("ignore", message="The .grad attribute of a Tensor that is")
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            loss = self._fn(self.model, self.task, self.standardizer, batch)
        if self.subgraphs > before:
            self.compiled_graphs += 1
        return loss

    def stats(self) -> dict[str, int]:
        """``{"compiled_graphs", "recompiles", "subgraphs"}`` when compiled; ``{}`` when eager."""
        if self.backend is None:
            return {}
        graphs = self.compiled_graphs
        return {
            "compiled_graphs": graphs,
            "recompiles": max(graphs - 1, 0),
            "subgraphs": self.subgraphs,
        }


def _step_loss(
    model: torch.nn.Module, task: str, standardizer: Standardizer | None, batch: Any
) -> torch.Tensor:
    """The loss of one collated batch: standardise -> model -> masked mean over real positions,
    taken in fp32 (a no-op without mixed precision)."""
    return masked_loss(task, forward(model, batch, standardizer).float(), batch.y)
