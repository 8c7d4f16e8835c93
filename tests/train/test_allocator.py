"""reuse_freed_memory: a large block freed in one step is reused by the next, without new pages."""

from __future__ import annotations

import resource

import pytest
import torch

from seqbucket.train.allocator import reuse_freed_memory, supported


def _faults_of_reallocating(mib: int, times: int) -> int:
    """Minor page faults of allocating, touching and freeing ``mib`` MiB ``times`` times."""
    torch.empty(mib << 18).fill_(1.0)  # warm-up: the first one may fault in any case
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(times):
        torch.empty(mib << 18).fill_(1.0)  # (mib << 18) float32 = mib MiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@pytest.mark.skipif(not supported(), reason="glibc's mallopt only")
def test_large_blocks_are_reused_inside_and_returned_outside():
    pages = (64 << 20) // resource.getpagesize()  # 64 MiB: above glibc's largest mmap threshold
    outside = _faults_of_reallocating(64, 4)
    with reuse_freed_memory() as acted:
        inside = _faults_of_reallocating(64, 4)
    assert acted
    assert outside >= 3 * pages  # mmap'd afresh each time: every page faults again
    # kept and reused: the heap grows by one block's pages at most, not one block per allocation
    assert inside <= pages + pages // 4
    assert _faults_of_reallocating(64, 2) >= pages  # defaults back afterwards
