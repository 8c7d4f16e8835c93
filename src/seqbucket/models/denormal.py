"""``flush_denormals()``: the CPU denormal trap, handled where training runs, never at import.

NOTE [denormal trap]: backpropagation through a long recurrence shrinks gradients step by step
until they become subnormal floats (below ~1.2e-38 in fp32), which many x86 CPUs process up to
~100x slower. A many-to-one LSTM (T=300, H=128) then trains 5 to 9 times slower than the same
model with a loss on every step (whose fresh per-step gradients keep values normal). Flushing
subnormals to zero (FTZ/DAZ) removes the trap and changes results only below 1e-38.

FTZ/DAZ live in each thread's MXCSR register. ``torch.set_flush_denormal`` sets only the calling
thread's, while torch's intra-op OpenMP workers keep theirs (measured: with 2 threads, half of a
4M-element product of 1e-30 * 1e-9 stayed subnormal after ``torch.set_flush_denormal(True)``).
So :func:`flush_denormals` also runs ``torch.set_flush_denormal`` on every worker of the calling
thread's OpenMP team, through one ``GOMP_parallel`` region of the OpenMP runtime torch loaded.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache

import numpy as np
import torch

_Callback = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


def flushing_denormals() -> bool:
    """Whether the calling thread flushes subnormal results to zero (torch has no getter: probe).

    ``1e-30 * 1e-9 = 1e-39`` is subnormal in fp32: it stays nonzero unless flushing is on.
    """
    a = torch.tensor([1e-30], dtype=torch.float32)
    b = torch.tensor([1e-9], dtype=torch.float32)
    return bool((a * b).item() == 0.0)


@lru_cache(maxsize=1)
def _openmp_parallel() -> Callable[..., None] | None:
    """``GOMP_parallel`` of the OpenMP runtime loaded by torch (libgomp, or Intel's libiomp,
    which exports the same entry point), or None where there is none to find (e.g. macOS)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "/lib" in line}
    except OSError:
        return None
    runtimes = [p for p in paths if os.path.basename(p).startswith(("libgomp", "libiomp"))]
    torch_dir = os.path.dirname(torch.__file__)
    runtimes.sort(key=lambda p: not p.startswith(torch_dir))  # torch's own copy first
    for path in runtimes:
        try:
            parallel = ctypes.CDLL(path).GOMP_parallel
        except (OSError, AttributeError):
            continue
        parallel.argtypes = [_Callback, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint]
        parallel.restype = None
        return parallel
    return None


def set_flush_denormal_all_threads(on: bool) -> bool:
    """``torch.set_flush_denormal(on)`` on this thread and on each worker of its OpenMP team.

    Returns False where the CPU cannot flush (then nothing changed). Prefer the context manager
    :func:`flush_denormals`, which restores the previous state.
    """
    supported = torch.set_flush_denormal(on)
    parallel = _openmp_parallel()
    if supported and parallel is not None and torch.get_num_threads() > 1:
        # ctypes releases the GIL for the foreign call; each team thread (this one included)
        # re-acquires it to run the callback, so this cannot deadlock.
        callback = _Callback(lambda _: torch.set_flush_denormal(on))
        parallel(callback, None, 0, 0)  # 0 threads: the team size torch.set_num_threads chose
    return supported


@contextmanager
def flush_denormals() -> Iterator[bool]:
    """Flush denormals to zero for the block (on this thread and torch's intra-op workers) and
    restore the previous state on exit, also after an exception.

    Yields whether flushing is supported on this CPU (False: nothing changed). Wrap the training
    loop in it::

        with flush_denormals():
            trainer.fit()
    """
    # NumPy computes (and caches) its float limits on first use; computed under flush-to-zero,
    # numpy < 2.4 warns "the smallest subnormal is zero" (seen once aeon pinned numpy 2.3).
    for dtype in (np.float16, np.float32, np.float64):
        np.finfo(dtype)
    previous = flushing_denormals()
    supported = set_flush_denormal_all_threads(True)
    try:
        yield supported
    finally:
        set_flush_denormal_all_threads(previous)
