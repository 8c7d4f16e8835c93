"""Context managers that set global torch/process state for the length of a training run and put it
back afterwards: determinism, thread count, and a Ctrl-C handler that asks the loop to stop at the
next step boundary (so the checkpoint it then writes is consistent)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

import torch
import torch.utils.deterministic


@contextlib.contextmanager
def num_threads(threads: int | None) -> Iterator[None]:
    """``torch.set_num_threads(threads)`` for the block (None: leave it), then restore it."""
    old = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(old)


@contextlib.contextmanager
def deterministic(device: torch.device, threads: int | None) -> Iterator[None]:
    """``torch.use_deterministic_algorithms(True)`` and a fixed thread count, then restore both.

    On CUDA some kernels have no deterministic version; there it only warns (``warn_only``).

    Deterministic mode also fills every new uninitialised tensor with NaN by default (a debugging
    aid that catches kernels reading memory they never wrote). That fill is not needed for
    determinism, and it cost 28% of each PLAID training step (the LSTM kernels' workspaces,
    ``benchmarks/loop_ceiling.py --profile``), so it is off for the block."""
    was_enabled = torch.are_deterministic_algorithms_enabled()
    was_warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    was_filling = torch.utils.deterministic.fill_uninitialized_memory  # type: ignore[attr-defined]
    torch.use_deterministic_algorithms(True, warn_only=device.type == "cuda")
    torch.utils.deterministic.fill_uninitialized_memory = False  # type: ignore[attr-defined]
    try:
        with num_threads(threads):
            yield
    finally:
        torch.utils.deterministic.fill_uninitialized_memory = was_filling  # type: ignore[attr-defined]
        torch.use_deterministic_algorithms(was_enabled, warn_only=was_warn_only)


class StopFlag:
    """Set by the first Ctrl-C; the training loop polls ``requested`` after every step."""

    def __init__(self) -> None:
        self.requested = False


@contextlib.contextmanager
def stop_on_sigint() -> Iterator[StopFlag]:
    """The first SIGINT sets the flag instead of raising ``KeyboardInterrupt`` mid-step; a second
    one raises as usual (the checkpoint write is atomic, so even that leaves no torn file)."""
    flag = StopFlag()
    if threading.current_thread() is not threading.main_thread():
        yield flag  # signal handlers can only be installed from the main thread
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if flag.requested:
            raise KeyboardInterrupt
        flag.requested = True

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)
