"""``reuse_freed_memory()``: keep large freed blocks in the process for the next step to reuse.

NOTE [page faults per step]: glibc's ``malloc`` serves every request above its mmap threshold
(at most 32 MiB) with a fresh ``mmap`` and hands it back with ``munmap`` on free. The LSTM
kernels' workspaces for a PLAID batch (B=33, T=1344, H=128) are ~90 MiB, so every training
step asked the kernel for new pages and the kernel zeroed each one on first touch: 600,000
minor page faults in 12 steps, and the same raw ``nn.LSTM`` ran 1.9 times slower than with the
memory kept (``benchmarks/loop_ceiling.py``; docs/results.md). With ``M_MMAP_MAX = 0`` large
blocks come from the heap and with a high ``M_TRIM_THRESHOLD`` freed ones stay there, so the
next step of the same shape reuses pages that are already mapped. The cost: the process keeps
its peak heap until the block ends (training already needed that much).

Only glibc has these knobs; elsewhere (macOS, musl) the context manager does nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

# mallopt parameters (glibc malloc.h) and glibc's defaults, restored afterwards.
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_DEFAULT_TRIM_THRESHOLD = 128 * 1024
_DEFAULT_MMAP_MAX = 65536
_KEEP_UP_TO = 1 << 30  # freed memory the heap keeps before trimming (1 GiB)


@lru_cache(maxsize=1)
def _glibc() -> Any | None:
    """The C library when it is glibc (it exports ``gnu_get_libc_version``), else None."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.gnu_get_libc_version  # noqa: B018  (only glibc has it)
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.mallopt.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc


def supported() -> bool:
    """Whether this process's C library lets :func:`reuse_freed_memory` act (glibc)."""
    return _glibc() is not None


@contextlib.contextmanager
def reuse_freed_memory() -> Iterator[bool]:
    """Large allocations from the heap, freed memory kept, for the block (see NOTE [page faults
    per step]); glibc's defaults afterwards. Yields whether it could act."""
    libc = _glibc()
    if libc is None:
        yield False
        return
    libc.mallopt(_M_MMAP_MAX, 0)
    libc.mallopt(_M_TRIM_THRESHOLD, _KEEP_UP_TO)
    try:
        yield True
    finally:
        libc.mallopt(_M_MMAP_MAX, _DEFAULT_MMAP_MAX)
        libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM_THRESHOLD)
