"""reuse_freed_memory: a large block freed in one step is reused by the next, without new pages."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from seqbucket.train import allocator
from seqbucket.train.allocator import reuse_freed_memory, supported

# Run in a fresh process: a heap that earlier tests grew (training runs inside the context)
# could serve "outside" allocations from memory it kept, and hide the difference.
_MEASURE = """
import json, resource, torch
from seqbucket.train.allocator import reuse_freed_memory

def faults(mib, times):
    torch.empty(mib << 18).fill_(1.0)  # warm-up: the first one may fault in any case
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(times):
        torch.empty(mib << 18).fill_(1.0)  # (mib << 18) float32 = mib MiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

outside = faults(64, 4)
with reuse_freed_memory() as acted:
    inside = faults(64, 4)
print(json.dumps({"outside": outside, "inside": inside, "acted": acted,
                  "pages": (64 << 20) // resource.getpagesize()}))
"""


@pytest.mark.skipif(not supported(), reason="glibc's mallopt only")
def test_large_blocks_are_reused_inside_and_returned_outside():
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE], capture_output=True, text=True, timeout=120, check=True
    )
    got = json.loads(proc.stdout)
    pages = got["pages"]  # 64 MiB: above glibc's largest mmap threshold
    assert got["acted"]
    assert got["outside"] >= 3 * pages  # mmap'd afresh each time: every page faults again
    # kept and reused: the heap grows by one block's pages at most, not one block per allocation
    assert got["inside"] <= pages + pages // 4


def test_glibc_defaults_are_restored_afterwards(monkeypatch):
    calls: list[tuple[int, int]] = []

    class Libc:
        def mallopt(self, param: int, value: int) -> int:
            calls.append((param, value))
            return 1

    monkeypatch.setattr(allocator, "_glibc", lambda: Libc())
    with reuse_freed_memory() as acted:
        assert acted
        assert (allocator._M_MMAP_MAX, 0) in calls  # large blocks from the heap inside
    assert calls[-2:] == [
        (allocator._M_MMAP_MAX, allocator._DEFAULT_MMAP_MAX),
        (allocator._M_TRIM_THRESHOLD, allocator._DEFAULT_TRIM_THRESHOLD),
    ]
