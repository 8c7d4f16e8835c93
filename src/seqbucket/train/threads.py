"""The default torch thread count: chosen from the work of one recurrent step, measured.

A recurrent layer runs T small matrix products one after another, each ``(B, In+H) x (In+H,
G*H)`` (G gates: 4 LSTM, 3 GRU, 1 RNN). Intra-op threads split one product; when the product is
small, waking and joining the workers costs more than they save, and on a shared machine a
spinning worker steals the core another process needs. So the rule gives one thread per
``MACS_PER_THREAD`` multiply-adds of one step's recurrent product, at least 1 and at most the
cores torch found (its own default, the physical cores).

Measured (``benchmarks/thread_rule.py``, 2 cores, docs/results.md): the demo (BiLSTM 64, batch
16: 0.26 M per step -> 1 thread) and PLAID's LSTM 1x128 at batch 32 (2.1 M -> 2 threads).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from seqbucket.train.config import TrainConfig

# Multiply-adds of one step's recurrent product per thread. Between the demo's 0.26 M (1 thread
# measured fastest) and PLAID's LSTM 1x128 batch 32 at 2.1 M (2 threads measured fastest).
MACS_PER_THREAD = 1_000_000

_GATES = {"lstm": 4, "gru": 3, "rnn": 1, "unshared": 1}

# torch's own default, read at import before anything changes it: the physical cores it found.
_CORES = max(1, torch.get_num_threads())


def available_cores() -> int:
    """The thread count torch chose by itself for this process (its physical cores)."""
    return _CORES


def step_macs(model: str, hidden_size: int, batch_size: int) -> int:
    """Multiply-adds of one time step's recurrent product ``(B, H) x (H, G*H)``."""
    return batch_size * _GATES.get(model, 1) * hidden_size * hidden_size


def threads_for(model: str, hidden_size: int, batch_size: int, cores: int | None = None) -> int:
    """The rule: ``step_macs // MACS_PER_THREAD``, clamped to ``1..cores``."""
    top = available_cores() if cores is None else cores
    return max(1, min(top, step_macs(model, hidden_size, batch_size) // MACS_PER_THREAD))


def resolve_threads(threads: int | None, model: str, hidden_size: int, batch_size: int) -> int:
    """``threads`` when set, else :func:`threads_for` the run's model and batch size."""
    return threads if threads is not None else threads_for(model, hidden_size, batch_size)


def config_threads(config: TrainConfig) -> int:
    """The thread count a run with ``config`` uses (its ``threads``, or the rule)."""
    return resolve_threads(config.threads, config.model, config.hidden_size, config.batch_size)
