"""Fixtures of the batching tests."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def plaid_lengths() -> np.ndarray:
    """PLAID's 1,074 lengths (train + test), read once per session: parsing takes seconds."""
    from seqbucket.data import load_dataset

    return np.asarray(load_dataset("plaid", split="all").lengths)
