"""Study tests run single-threaded, like the studies themselves (``fit.study_torch``): their
models are tiny, and on the busy CI cores a second OpenMP thread only waits (see
tests/models/conftest.py for the measurement). Restored after each test."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _single_threaded(one_thread):  # tests/conftest.py
    pass
