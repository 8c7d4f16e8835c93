"""Study tests run single-threaded, like the studies themselves (``fit.study_torch``): their
models are tiny, and on the busy CI cores a second OpenMP thread only waits (see
tests/models/conftest.py for the measurement). Restored after each test."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_intra_op_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
