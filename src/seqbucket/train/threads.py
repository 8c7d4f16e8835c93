"""The default torch thread count: chosen from the work of one recurrent step and the idle
cores, both measured.

A recurrent layer runs T small matrix products one after another, each ``(B, In+H) x (In+H,
G*H)`` (G gates: 4 LSTM, 3 GRU, 1 RNN). Intra-op threads split one product; when the product is
small, waking and joining the workers costs more than they save. And OpenMP workers meet at a
barrier after every product: when another process holds the core a worker needs, every step
waits for the scheduler. So the rule gives one thread per ``MACS_PER_THREAD`` multiply-adds of
one step's recurrent product, at least 1 and at most the cores that are idle when the run
starts (torch's own default, the physical cores, less the 1-minute load average).

Measured (``benchmarks/thread_rule.py``; docs/results.md has the figures and commands): a
BiLSTM 64 at batch 16 (0.26 M per step, the demo's model until 2026-12-03) is fastest at 1
thread; the demo's BiLSTM 128 (1.05 M) and PLAID's LSTM 1x128 at batch 32 (2.1 M) at 2 threads
on 2 idle cores, and at 1 thread on 2 busy cores, where 2 threads ran many times slower.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from seqbucket.train.config import TrainConfig

# Multiply-adds of one step's recurrent product per thread. Between a BiLSTM 64 at batch 16,
# 0.26 M (1 thread measured fastest), and the demo's BiLSTM 128 at batch 16, 1.05 M (2 idle
# threads trained it in 4.8-5.3 s, 1 thread in 6.1-6.3 s); PLAID's LSTM 1x128 batch 32, 2.1 M,
# is also fastest at 2 threads when idle.
MACS_PER_THREAD = 500_000

_GATES = {"lstm": 4, "gru": 3, "rnn": 1, "unshared": 1}

# torch's own default, read at import before anything changes it: the physical cores it found.
_CORES = max(1, torch.get_num_threads())


def available_cores() -> int:
    """The thread count torch chose by itself for this process (its physical cores)."""
    return _CORES


def idle_cores(cores: int | None = None) -> int:
    """``cores`` (default :func:`available_cores`) less the rounded 1-minute load average: the
    cores no other process is using now, divided among the training processes of this machine
    (``LOCAL_WORLD_SIZE``). At least 1."""
    top = available_cores() if cores is None else cores
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average on this platform: assume idle
        load = 0.0
    # Processes that share this machine (torchrun and --nproc set LOCAL_WORLD_SIZE) share it.
    share = max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1")))
    return max(1, min(top, top - round(load)) // share)


def step_macs(model: str, hidden_size: int, batch_size: int) -> int:
    """Multiply-adds of one time step's recurrent product ``(B, H) x (H, G*H)``."""
    return batch_size * _GATES.get(model, 1) * hidden_size * hidden_size


def threads_for(model: str, hidden_size: int, batch_size: int, cores: int | None = None) -> int:
    """The rule: ``step_macs // MACS_PER_THREAD``, clamped to ``1..cores`` (default: the idle
    cores, :func:`idle_cores`)."""
    top = idle_cores() if cores is None else cores
    return max(1, min(top, step_macs(model, hidden_size, batch_size) // MACS_PER_THREAD))


def resolve_threads(threads: int | None, model: str, hidden_size: int, batch_size: int) -> int:
    """``threads`` when set, else :func:`threads_for` the run's model and batch size."""
    return threads if threads is not None else threads_for(model, hidden_size, batch_size)


def config_threads(config: TrainConfig) -> int:
    """The thread count a run with ``config`` uses (its ``threads``, or the rule)."""
    return resolve_threads(config.threads, config.model, config.hidden_size, config.batch_size)
