"""Pre-training checks (train/sanity.py): outliers, extreme padding and memory estimates."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from seqbucket.errors import ConfigError
from seqbucket.models import ModelConfig, build_model, param_count
from seqbucket.train import TrainConfig, sanity

MCFG = ModelConfig(kind="lstm", task="classify", input_size=3, num_classes=2, hidden_size=8)


def _plan(batches, pads):
    return SimpleNamespace(batches=[np.asarray(b) for b in batches], pad_lengths=np.asarray(pads))


def test_outlier_and_padding_warnings_name_the_cap():
    lengths = np.array([10] * 60 + [5000])
    plan = _plan([list(range(60)), [60]], [10, 5000])
    (outlier,) = sanity.outlier_warnings(lengths, plan, MCFG, strategy="auto")
    assert "5,000 steps" in outlier and "--max-length 20 --overlong truncate" in outlier
    # The same lengths padded together: the plan's padding is extreme too.
    together = _plan([list(range(61))], [5000])
    warnings = sanity.outlier_warnings(lengths, together, MCFG, strategy="random")
    assert any("pads" in w and "%" in w for w in warnings)
    # pad-all pads by definition: no padding warning, only the outlier one.
    assert len(sanity.outlier_warnings(lengths, together, MCFG, strategy="pad-all")) == 1
    # Nothing to say about well-behaved lengths.
    even = np.arange(5, 25)
    assert sanity.outlier_warnings(even, _plan([even.argsort()], [24]), MCFG) == []


def test_memory_warning_and_refusal(monkeypatch):
    monkeypatch.setattr(sanity, "memory_bytes", lambda device=None: 2**20)  # a 1 MiB machine
    lengths = np.array([1000] * 16)
    (warning,) = sanity.outlier_warnings(lengths, _plan([range(16)], [1000]), MCFG)
    assert "16 x 1,000 steps" in warning and "--max-tokens" in warning
    # The estimate counts what backward keeps: 4 bytes x B x T x (6 H x directions + F).
    assert sanity.activation_bytes(16, 100, MCFG) == 4.0 * 16 * 100 * (6 * 8 + 3)
    # The model itself: counted on the meta device, exactly, without allocating it.
    assert sanity.model_params(MCFG) == param_count(build_model(MCFG))
    big = ModelConfig(kind="lstm", task="classify", input_size=3, num_classes=2, hidden_size=512)
    with pytest.raises(ConfigError, match="smaller --hidden-size"):
        sanity.check_memory(big, TrainConfig(hidden_size=512))
