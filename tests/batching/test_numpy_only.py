"""Batching is numpy over lengths: planning must not import torch (any framework can use it)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import numpy as np
from seqbucket.batching import BatchingConfig, plan, repeat_pair_fraction
a = plan(np.arange(1, 500), BatchingConfig(), epoch=0)
b = plan(np.arange(1, 500), BatchingConfig(), epoch=1)
repeat_pair_fraction(a, b)
print("torch" in sys.modules)
"""


def test_planning_never_imports_torch():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_the_sampler_still_loads_on_first_use():
    from seqbucket.batching import BucketBatchSampler

    assert BucketBatchSampler.__name__ == "BucketBatchSampler"
