"""flush_denormals: on inside the block, the previous state restored after, nothing at import."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from seqbucket.models import flush_denormals, flushing_denormals


@pytest.fixture
def restore_flush_state():
    before = flushing_denormals()
    yield
    torch.set_flush_denormal(before)


@pytest.mark.parametrize("previous", [False, True])
def test_sets_and_restores(previous, restore_flush_state):
    if not torch.set_flush_denormal(previous) and previous:
        pytest.skip("this CPU cannot flush denormals")
    assert flushing_denormals() is previous
    with flush_denormals() as supported:
        if supported:
            assert flushing_denormals()
            assert (torch.tensor([1e-30]) * torch.tensor([1e-9])).item() == 0.0
    assert flushing_denormals() is previous


def test_restores_after_an_exception(restore_flush_state):
    torch.set_flush_denormal(False)
    with pytest.raises(RuntimeError, match="boom"), flush_denormals():
        raise RuntimeError("boom")
    assert not flushing_denormals()


def test_importing_the_package_changes_no_global_torch_state():
    code = (
        "import torch, seqbucket, seqbucket.models;"
        "print((torch.tensor([1e-30]) * torch.tensor([1e-9])).item() != 0.0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_flushes_on_the_intra_op_worker_threads_too(restore_flush_state):
    # torch.set_flush_denormal alone sets only the calling thread; a product computed by two
    # OpenMP threads must come out all zero inside the block, and all subnormal after it.
    torch.set_num_threads(2)  # the autouse fixture restores the thread count
    if torch.get_num_threads() < 2:
        pytest.skip("needs two intra-op threads")
    a = torch.full((2_000_000,), 1e-30)
    b = torch.full((2_000_000,), 1e-9)
    torch.set_flush_denormal(False)
    assert int(((a * b) != 0).sum()) == 2_000_000  # creates the worker threads first
    with flush_denormals() as supported:
        if not supported:
            pytest.skip("this CPU cannot flush denormals")
        assert int(((a * b) != 0).sum()) == 0
    assert int(((a * b) != 0).sum()) == 2_000_000
