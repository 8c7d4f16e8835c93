"""Model tests run single-threaded.

Their tensors are tiny (H <= 16, T <= 16), so intra-op threads only add synchronisation, and on
the 2 busy CI cores OpenMP workers wait for each other: measured 34 s for this folder with the
default 2 threads vs 7 s with 1 thread on the same loaded machine. Restored after each test.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _single_threaded(one_thread):  # tests/conftest.py
    pass
