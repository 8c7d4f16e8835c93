"""Shared test settings.

Hypothesis runs without per-example deadlines: CI has 2 busy cores, and a deadline there tests
the machine's load rather than our code.

``one_thread``: one intra-op torch thread for the test, restored after. Tests of tiny models ask
for it (tests/models/conftest.py has the measurement): on 2 busy cores a second OpenMP thread
only waits.
"""

from collections.abc import Iterator

import pytest
import torch
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci")


@pytest.fixture
def one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
